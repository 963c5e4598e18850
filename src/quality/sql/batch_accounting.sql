-- The per-batch accounting, from what the tables hold rather than from what the tasks reported, and without a
-- second pass over the batch's events: counts over the batch's key range of bronze (two narrow columns) and
-- of quarantine, the batch's rows of the registry's delivery day, and silver's hourly_batch_totals projection.
--   bronze_rows       the batch in bronze;         valid_rows   those without a rejection reason;
--   quarantined_rows  the batch in quarantine;     silver_rows  the events silver holds for the batch;
--   registered_first / registered_again  the batch's distinct valid ids in silver.event_ids, delivered first
--                     by this batch or by another within the horizon.
SELECT b.bronze_rows AS bronze_rows, b.valid_rows AS valid_rows, q.quarantined_rows AS quarantined_rows,
       s.silver_rows AS silver_rows, r.registered_first AS registered_first, r.registered_again AS registered_again
FROM
(
    SELECT count() AS bronze_rows, countIf(_rejection_reason = '') AS valid_rows
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
    SELECT count() AS silver_rows
    FROM silver.fact_events
    WHERE _batch_id = {batch_id:String}
      AND (event_date, event_hour) IN (SELECT toDate(hour), toHour(hour) FROM (SELECT arrayJoin({touched_hours:Array(DateTime('UTC'))}) AS hour))
) AS s
CROSS JOIN
(
    SELECT countIf(is_first = 1) AS registered_first, countIf(is_first = 0) AS registered_again
    FROM silver.event_ids
    PREWHERE delivery_date = toDate({window_start:DateTime('UTC')}) AND _batch_id = {batch_id:String}
) AS r
