-- One lake partition: the hour's rows with stable types (counts Int64, money DOUBLE); event_date and
-- event_hour live in the Hive path.
SELECT toString(category) AS category, toString(source) AS source,
       toInt64(event_count) AS event_count, toInt64(revenue_events) AS revenue_events, total_value
FROM gold.agg_events_hourly FINAL
WHERE event_date = {event_date:Date} AND event_hour = {event_hour:UInt8}
ORDER BY category, source
