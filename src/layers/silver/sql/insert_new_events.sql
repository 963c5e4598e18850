-- The batch's new events, of one slice of its ids ({slice} of {slices}: see insertNewEvents): its valid
-- rows, the first delivered of each event id (lowest _row), minus the ids it registered as delivered before (is_first = 0 in silver.event_ids; register_new_event_ids registered every
-- distinct valid id of the batch, deciding across the horizon). Silver therefore never holds an event twice,
-- and gold aggregates it without FINAL. The set of ids delivered before is small (re-deliveries). After a
-- crash mid-insert (the caller finds rows of the batch in silver already) {recheck_hours} are the touched
-- hours and the ids silver holds for the batch there are skipped; otherwise it is empty and nothing of
-- silver is read.
INSERT INTO silver.fact_events (event_id, user_name, category, source, value, is_revenue, event_time, event_date, event_hour, _batch_id)
SELECT
    event_id,
    user_name,
    category,
    source,
    -- Money is kept as Decimal: exact sums, identical on every rerun.
    toDecimal64(round(value * 100), 2) / 100 AS money,
    category = 'purchase' AND money > 0 AS is_revenue,
    event_time,
    toDate(event_time) AS event_date,
    toHour(event_time) AS event_hour,
    {batch_id:String} AS _batch_id
FROM
(
    -- In _row order, which is bronze's key order within a batch: read in order (merging the batch's sorted
    -- parts), never sorted; LIMIT 1 BY keeps the first row of each id, streaming.
    SELECT event_id, user_name, category, source, value, event_time
    FROM bronze.stg_events
    WHERE _window_start = {window_start:DateTime('UTC')} AND _batch_id = {batch_id:String} AND _rejection_reason = ''
      AND cityHash64(event_id) % {slices:UInt64} = {slice:UInt64}
    ORDER BY _window_start, _batch_id, _row
    LIMIT 1 BY cityHash64(event_id), xxHash32(event_id)
)
WHERE (cityHash64(event_id), xxHash32(event_id)) NOT IN (
      SELECT id_hash, id_check FROM silver.event_ids
      PREWHERE delivery_date = toDate({window_start:DateTime('UTC')}) AND _batch_id = {batch_id:String}
      WHERE is_first = 0
  )
  AND event_id NOT IN (
      SELECT event_id FROM silver.fact_events
      WHERE (event_date, event_hour) IN (SELECT toDate(hour), toHour(hour) FROM (SELECT arrayJoin({recheck_hours:Array(DateTime('UTC'))}) AS hour))
        AND _batch_id = {batch_id:String}
        AND cityHash64(event_id) % {slices:UInt64} = {slice:UInt64}
  )
-- The rows are distinct by construction: ReplacingMergeTree's merge-on-insert would only double the write.
SETTINGS optimize_on_insert = 0
