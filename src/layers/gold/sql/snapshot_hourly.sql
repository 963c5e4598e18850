INSERT INTO gold.agg_events_hourly_history (event_date, event_hour, category, source, event_count, revenue_events, total_value, _batch_id, _snapshot_batch)
SELECT event_date, event_hour, category, source, event_count, revenue_events, total_value, _batch_id, {batch_id:String}
FROM gold.agg_events_hourly FINAL
WHERE (event_date, event_hour) IN (SELECT toDate(hour), toHour(hour) FROM (SELECT arrayJoin({touched_hours:Array(DateTime('UTC'))}) AS hour))
