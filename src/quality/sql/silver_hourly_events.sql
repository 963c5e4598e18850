SELECT formatDateTime(toDateTime(event_date) + toIntervalHour(event_hour), '%Y-%m-%d %H:00:00') AS window_key, count() AS events
FROM silver.fact_events
WHERE (event_date, event_hour) IN (SELECT toDate(hour), toHour(hour) FROM (SELECT arrayJoin({touched_hours:Array(DateTime('UTC'))}) AS hour))
GROUP BY event_date, event_hour
