-- Events per (date, hour) over the span: gold's hourly rows summed over category and source (24 rows a day,
-- each a handful of gold rows; FINAL is bounded by the key's date range).
SELECT toString(event_date) AS event_date, event_hour, sum(event_count) AS events
FROM gold.agg_events_hourly FINAL
WHERE event_date >= {from_date:Date}
GROUP BY event_date, event_hour
ORDER BY event_date, event_hour
