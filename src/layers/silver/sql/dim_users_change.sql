-- What the dimension holds for the batch's users at its window once the batch is applied (so a rerun after a
-- crash reports what a clean run reports): the users, the versions that begin at the window and those that
-- end there; and how many rows the application wrote ({version} is its row version). A key range of
-- silver.dim_users: the current versions and those that end at or after the window.
WITH {window_start:DateTime('UTC')} AS batch_window
SELECT
    count() AS users,
    countIf(versions.opened) AS opened,
    countIf(versions.closed) AS closed,
    (SELECT count() FROM silver.dim_users WHERE valid_to >= batch_window AND _version = {version:UInt64}) AS written
FROM
(
    SELECT user_name
    FROM bronze.stg_events
    WHERE _window_start = batch_window AND _batch_id = {batch_id:String} AND _rejection_reason = ''
    GROUP BY user_name
) AS batch_users
LEFT JOIN
(
    SELECT user_name, max(valid_from = batch_window) AS opened, max(valid_to = batch_window) AS closed
    FROM silver.dim_users FINAL
    WHERE valid_to >= batch_window
    GROUP BY user_name
) AS versions USING (user_name)
