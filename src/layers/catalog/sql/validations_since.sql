-- The checks a run recorded from a moment on: one task attempt's round (OpenLineage's data-quality assertions).
SELECT check_name, grain, window_key, metric, expected, actual, passed
FROM catalog.validation_log
WHERE run_id = {run_id:String} AND checked_at >= {since:DateTime64(3, 'UTC')}
ORDER BY check_name, grain, window_key, metric
