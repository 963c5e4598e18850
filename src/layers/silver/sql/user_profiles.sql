-- Type-2 attributes per (window, user): the most frequent category and source among the user's distinct
-- valid events of that window, ties broken alphabetically (sumMap sorts its keys). Covers the batch's
-- window and any later window already loaded, for the users of the batch.
SELECT
    formatDateTime(window_start, '%Y-%m-%d %H:%i:%S') AS window_start,
    user_name,
    (sumMap([category], [events]) AS by_category).1[indexOf(by_category.2, arrayMax(by_category.2))] AS primary_category,
    (sumMap([source], [events]) AS by_source).1[indexOf(by_source.2, arrayMax(by_source.2))] AS primary_source
FROM
(
    SELECT window_start, user_name, category, source, count() AS events
    FROM
    (
        -- Each event once, however often the batch repeated it.
        SELECT DISTINCT _window_start AS window_start, event_id, user_name, toString(category) AS category, toString(source) AS source
        FROM bronze.stg_events
        WHERE _window_start >= {window_start:DateTime('UTC')} AND _rejection_reason = ''
          AND user_name IN (
              SELECT user_name FROM bronze.stg_events
              WHERE _window_start = {window_start:DateTime('UTC')} AND _batch_id = {batch_id:String} AND _rejection_reason = ''
          )
    )
    GROUP BY window_start, user_name, category, source
)
GROUP BY window_start, user_name
ORDER BY user_name, window_start
