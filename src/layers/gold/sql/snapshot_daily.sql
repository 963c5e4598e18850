-- The touched dates' gold rows before this batch re-aggregates them; rows already snapshotted by this
-- batch are skipped (see snapshot_hourly.sql).
INSERT INTO gold.rpt_daily_summary_history (event_date, total_events, unique_users, revenue_events, total_revenue, avg_value, _batch_id, _snapshot_batch)
SELECT event_date, total_events, unique_users, revenue_events, total_revenue, avg_value, _batch_id, {batch_id:String}
FROM gold.rpt_daily_summary FINAL
WHERE event_date IN {touched_dates:Array(Date)}
  AND event_date NOT IN (SELECT event_date FROM gold.rpt_daily_summary_history WHERE _snapshot_batch = {batch_id:String})
