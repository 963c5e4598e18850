SELECT count() > 0 AS succeeded
FROM catalog.benchmark_log
WHERE run_id = {run_id:String} AND task_name = {task_name:String} AND status = 'success'
