-- The latest {limit} runs whose window falls in the span, oldest first. pipeline_runs holds one row per hourly
-- run (about 9 000 a year), so FINAL over its span is cheap.
SELECT *
FROM
(
    SELECT run_id,
           formatDateTime(window_start, '%Y-%m-%d %H:%i') AS window_start,
           formatDateTime(window_end, '%Y-%m-%d %H:%i') AS window_end,
           status, framework,
           toString(started_at) AS started_at,
           if(finished_at IS NULL, NULL, toString(finished_at)) AS finished_at,
           if(finished_at IS NULL, NULL, dateDiff('millisecond', started_at, finished_at)) AS duration_ms,
           failed_task, error,
           bronze_rows, quarantined_rows, silver_new_rows, duplicate_rows, already_in_silver_rows,
           dim_users_new, dim_users_updated, gold_hourly_rows, gold_daily_rows, touched_hours
    FROM catalog.pipeline_runs FINAL
    WHERE window_start >= toDateTime({from_date:Date}, 'UTC')
    ORDER BY window_start DESC, started_at DESC
    LIMIT {limit:UInt32}
)
ORDER BY window_start, started_at
