-- The error of the task's latest failed attempt in the run, as the attempt recorded it.
SELECT argMax(error, started_at) AS error
FROM catalog.benchmark_log
WHERE run_id = {run_id:String} AND task_name = {task_name:String} AND status = 'failed'
