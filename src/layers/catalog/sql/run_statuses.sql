-- The latest status of each given run; runs never started are absent.
SELECT run_id, status, failed_task
FROM catalog.pipeline_runs FINAL
WHERE run_id IN {run_ids:Array(String)}
