-- A new version of the run's row; ReplacingMergeTree keeps the latest (updated_at).
INSERT INTO catalog.pipeline_runs
    (run_id, window_start, window_end, status, framework, started_at, finished_at, failed_task, error,
     bronze_rows, quarantined_rows, silver_new_rows, duplicate_rows, already_in_silver_rows,
     dim_users_new, dim_users_updated, gold_hourly_rows, gold_daily_rows, touched_hours, updated_at)
VALUES
    ({run_id:String}, {window_start:DateTime('UTC')}, {window_end:DateTime('UTC')}, {status:String}, {framework:String},
     {started_at:DateTime64(3, 'UTC')}, {finished_at:Nullable(DateTime64(3, 'UTC'))}, {failed_task:String}, {error:String},
     {bronze_rows:UInt64}, {quarantined_rows:UInt64}, {silver_new_rows:UInt64}, {duplicate_rows:UInt64}, {already_in_silver_rows:UInt64},
     {dim_users_new:UInt64}, {dim_users_updated:UInt64}, {gold_hourly_rows:UInt64}, {gold_daily_rows:UInt64}, {touched_hours:UInt32}, now64(6))
