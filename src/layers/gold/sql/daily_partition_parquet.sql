-- One lake partition: the date's summary with stable types; event_date lives in the Hive path.
SELECT toInt64(total_events) AS total_events, toInt64(unique_users) AS unique_users,
       toInt64(revenue_events) AS revenue_events, total_revenue, avg_value
FROM gold.rpt_daily_summary FINAL
WHERE event_date = {event_date:Date}
