SELECT toString(event_date) AS event_date, event_hour, toString(category) AS category, toString(source) AS source,
       event_count, revenue_events, total_value, _batch_id
FROM gold.agg_events_hourly FINAL
WHERE (event_date, event_hour) IN (SELECT toDate(hour), toHour(hour) FROM (SELECT arrayJoin({touched_hours:Array(DateTime('UTC'))}) AS hour))
ORDER BY event_date, event_hour, category, source
