-- Valid rows of the batch, one per event_id (the first delivered), for exactly the ids the batch registered
-- in silver.event_ids (register_new_event_ids decided which are new, across the horizon), minus those
-- silver already holds (a rerun, or a crash mid-insert). Silver therefore never holds an event twice, and
-- gold can aggregate it without FINAL. The batch's registrations are read from its delivery day only.
INSERT INTO silver.fact_events (event_id, user_name, category, source, value, is_revenue, event_time, event_date, event_hour, _batch_id)
SELECT
    event_id,
    user_name,
    category,
    source,
    money AS value,
    category = 'purchase' AND money > 0 AS is_revenue,
    event_time,
    toDate(event_time) AS event_date,
    toHour(event_time) AS event_hour,
    {batch_id:String} AS _batch_id
FROM
(
    SELECT
        event_id,
        argMin(user_name, _row) AS user_name,
        argMin(category, _row) AS category,
        argMin(source, _row) AS source,
        -- Money is kept as Decimal: exact sums, identical on every rerun.
        toDecimal64(round(argMin(value, _row) * 100), 2) / 100 AS money,
        argMin(event_time, _row) AS event_time
    FROM bronze.stg_events
    WHERE _window_start = {window_start:DateTime('UTC')} AND _batch_id = {batch_id:String} AND _rejection_reason = ''
    GROUP BY event_id
)
WHERE (cityHash64(event_id), xxHash32(event_id)) IN (
    SELECT id_hash, id_check FROM silver.event_ids
    PREWHERE delivery_date = toDate({window_start:DateTime('UTC')}) AND _batch_id = {batch_id:String}
)
  AND event_id NOT IN (
    SELECT event_id FROM silver.fact_events
    WHERE (event_date, event_hour) IN (SELECT toDate(hour), toHour(hour) FROM (SELECT arrayJoin({touched_hours:Array(DateTime('UTC'))}) AS hour))
      AND event_id IN (
          SELECT event_id FROM bronze.stg_events
          WHERE _window_start = {window_start:DateTime('UTC')} AND _batch_id = {batch_id:String} AND _rejection_reason = ''
      )
)
SETTINGS use_index_for_in_with_subqueries_max_values = 100000
