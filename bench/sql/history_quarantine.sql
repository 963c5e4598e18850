-- History for the benchmark: the rule-breaking bronze rows of the history windows [from, to), moved to
-- quarantine with their reasons, as quarantine_invalid_rows would have moved them window by window (the home
-- is new, so there is nothing to skip).
INSERT INTO silver.quarantine_events (event_id, user_name, category, source, value, event_time, rejection_reason, _batch_id, _window_start, _row)
SELECT event_id, user_name, category, source, value, event_time, _rejection_reason, _batch_id, _window_start, _row
FROM bronze.stg_events
WHERE _window_start >= {from:DateTime('UTC')} AND _window_start < {to:DateTime('UTC')} AND _rejection_reason != ''
SETTINGS optimize_on_insert = 0
