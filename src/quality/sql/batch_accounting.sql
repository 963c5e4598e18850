-- The per-batch accounting, recomputed from the tables themselves (not from what the tasks reported):
-- bronze = quarantined + silver_new + duplicate_in_batch + already_in_silver.
SELECT b.bronze_rows AS bronze_rows, q.quarantined_rows AS quarantined_rows, s.silver_new_rows AS silver_new_rows,
       b.duplicate_rows AS duplicate_rows, s.already_in_silver_rows AS already_in_silver_rows
FROM
(
    SELECT count() AS bronze_rows, countIf(_rejection_reason = '') - uniqExactIf(event_id, _rejection_reason = '') AS duplicate_rows
    FROM bronze.stg_events
    WHERE _window_start = {window_start:DateTime('UTC')} AND _batch_id = {batch_id:String}
) AS b
CROSS JOIN
(
    SELECT count() AS quarantined_rows
    FROM silver.quarantine_events FINAL
    WHERE _window_start = {window_start:DateTime('UTC')} AND _batch_id = {batch_id:String}
) AS q
CROSS JOIN
(
    -- Each valid event_id of the batch is in silver once: delivered first by this batch or by an earlier one.
    SELECT countIf(_batch_id = {batch_id:String}) AS silver_new_rows, countIf(_batch_id != {batch_id:String}) AS already_in_silver_rows
    FROM silver.fact_events
    WHERE (event_date, event_hour) IN (SELECT toDate(hour), toHour(hour) FROM (SELECT arrayJoin({touched_hours:Array(DateTime('UTC'))}) AS hour))
      AND event_id IN (
          SELECT event_id FROM bronze.stg_events
          WHERE _window_start = {window_start:DateTime('UTC')} AND _batch_id = {batch_id:String} AND _rejection_reason = ''
      )
) AS s
