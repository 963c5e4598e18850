-- Per run and check, its latest round of comparisons (a rerun appends a round): how many, how many failed.
SELECT run_id, check_name, argMax(checks, checked_at) AS checks, argMax(failed, checked_at) AS failed
FROM
(
    SELECT run_id, check_name, checked_at, count() AS checks, countIf(passed = 0) AS failed
    FROM catalog.validation_log
    WHERE run_id IN {run_ids:Array(String)}
    GROUP BY run_id, check_name, checked_at
)
GROUP BY run_id, check_name
ORDER BY check_name, run_id
