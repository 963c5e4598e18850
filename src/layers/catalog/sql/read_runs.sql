SELECT run_id, formatDateTime(window_start, '%Y-%m-%d %H:%i:%S') AS window_start, formatDateTime(window_end, '%Y-%m-%d %H:%i:%S') AS window_end,
       status, framework, toString(started_at) AS started_at, toString(finished_at) AS finished_at,
       dateDiff('millisecond', started_at, coalesce(finished_at, now64(3))) AS duration_ms, failed_task, error,
       bronze_rows, quarantined_rows, silver_new_rows, duplicate_rows, already_in_silver_rows,
       dim_users_new, dim_users_updated, gold_hourly_rows, gold_daily_rows, touched_hours
FROM catalog.pipeline_runs FINAL
WHERE {run_id:String} = '' OR run_id = {run_id:String}
ORDER BY window_start DESC, started_at DESC
LIMIT {limit:UInt32}
