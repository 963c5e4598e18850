SELECT rejection_reason, count() AS rows
FROM silver.quarantine_events FINAL
WHERE _window_start = {window_start:DateTime('UTC')} AND _batch_id = {batch_id:String}
GROUP BY rejection_reason
ORDER BY rejection_reason
