-- Type-1 attributes recomputed from silver for the batch's users: exact, idempotent and independent of
-- the order batches ran in. The inner query is the shape of the user_daily_totals projection, so it
-- reads pre-aggregated (date, user) rows rather than events.
SELECT
    user_name,
    toString(max(event_date)) AS last_seen_date,
    sum(events) AS total_events,
    toFloat64(sum(value)) AS total_value,
    max(revenue_events) > 0 AS is_revenue_user
FROM
(
    SELECT event_date, user_name, count() AS events, sum(is_revenue) AS revenue_events, sum(value) AS value
    FROM silver.fact_events
    WHERE user_name IN (
        SELECT user_name FROM bronze.stg_events
        WHERE _window_start = {window_start:DateTime('UTC')} AND _batch_id = {batch_id:String} AND _rejection_reason = ''
    )
    GROUP BY event_date, user_name
)
GROUP BY user_name
