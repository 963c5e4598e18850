SELECT toString(event_date) AS event_date, total_events, unique_users, revenue_events, total_revenue, avg_value, _batch_id
FROM gold.rpt_daily_summary FINAL
WHERE event_date IN {touched_dates:Array(Date)}
ORDER BY event_date
