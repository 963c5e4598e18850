-- What each task of the run reported on its latest successful attempt.
SELECT task_name, argMax(metrics, started_at) AS metrics, argMax(duration_ms, started_at) AS duration_ms
FROM catalog.benchmark_log
WHERE run_id = {run_id:String} AND status = 'success'
GROUP BY task_name
