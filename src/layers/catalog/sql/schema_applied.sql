-- Whether {task_name} succeeded with this schema fingerprint (src/layers/schema.ts): its work is done.
SELECT count() > 0 AS applied
FROM catalog.benchmark_log
WHERE task_name = {task_name:String} AND status = 'success' AND metrics['schema_fingerprint'] = {fingerprint:Float64}
