-- The rows a batch copied into each history table.
SELECT
    (SELECT count() FROM gold.agg_events_hourly_history WHERE _snapshot_batch = {batch_id:String}) AS hourly,
    (SELECT count() FROM gold.rpt_daily_summary_history WHERE _snapshot_batch = {batch_id:String}) AS daily
