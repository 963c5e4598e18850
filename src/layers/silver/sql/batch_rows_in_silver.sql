-- The events silver holds for the batch in its touched hours: a few rows of the hourly_batch_totals projection.
SELECT count() AS rows
FROM silver.fact_events
WHERE _batch_id = {batch_id:String}
  AND (event_date, event_hour) IN (SELECT toDate(hour), toHour(hour) FROM (SELECT arrayJoin({touched_hours:Array(DateTime('UTC'))}) AS hour))
