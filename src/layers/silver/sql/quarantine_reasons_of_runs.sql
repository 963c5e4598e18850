SELECT rejection_reason, count() AS rows
FROM silver.quarantine_events FINAL
WHERE _batch_id IN {run_ids:Array(String)}
GROUP BY rejection_reason
ORDER BY rows DESC
