INSERT INTO gold.rpt_daily_summary_history (event_date, total_events, unique_users, revenue_events, total_revenue, avg_value, _batch_id, _snapshot_batch)
SELECT event_date, total_events, unique_users, revenue_events, total_revenue, avg_value, _batch_id, {batch_id:String}
FROM gold.rpt_daily_summary FINAL
WHERE event_date IN {touched_dates:Array(Date)}
