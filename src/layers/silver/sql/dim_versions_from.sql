-- The versions of the batch's users that a batch at this window can change: the one containing the
-- window and every later one (in window order that is only the current version), and the one that ends
-- where the window starts (closed by an earlier application of this batch: counted, never changed).
SELECT
    user_name,
    primary_category,
    primary_source,
    formatDateTime(valid_from, '%Y-%m-%d %H:%i:%S') AS valid_from,
    formatDateTime(valid_to, '%Y-%m-%d %H:%i:%S') AS valid_to,
    is_current,
    toString(last_seen_date) AS last_seen_date,
    total_events,
    toFloat64(total_value) AS total_value,
    is_revenue_user
FROM silver.dim_users FINAL
WHERE valid_to >= {window_start:DateTime('UTC')}
  AND user_name IN (
      SELECT user_name FROM bronze.stg_events
      WHERE _window_start = {window_start:DateTime('UTC')} AND _batch_id = {batch_id:String} AND _rejection_reason = ''
  )
ORDER BY user_name, valid_from
