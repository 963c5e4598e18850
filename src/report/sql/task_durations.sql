-- Each task's latest attempt in each of the report's runs (a run done again with --redo shows its last
-- execution; retries show as the attempt that decided the run). benchmark_log is ordered by run_id, so the
-- IN list reads only these runs' rows.
SELECT run_id, task_name,
       argMax(duration_ms, (started_at, attempt)) AS duration_ms,
       argMax(status, (started_at, attempt)) AS status,
       max(attempt) AS attempts
FROM catalog.benchmark_log
WHERE run_id IN {run_ids:Array(String)}
GROUP BY run_id, task_name
ORDER BY run_id, task_name
