-- Rows breaking a quality rule move to quarantine with every reason. Rows already quarantined for the
-- batch are skipped, so a rerun or a retry after a crash adds nothing twice.
INSERT INTO silver.quarantine_events (event_id, user_name, category, source, value, event_time, rejection_reason, _batch_id, _window_start, _row)
SELECT event_id, user_name, category, source, value, event_time, _rejection_reason, _batch_id, _window_start, _row
FROM bronze.stg_events
WHERE _window_start = {window_start:DateTime('UTC')} AND _batch_id = {batch_id:String} AND _rejection_reason != ''
  AND _row NOT IN (
      SELECT _row FROM silver.quarantine_events
      WHERE _window_start = {window_start:DateTime('UTC')} AND _batch_id = {batch_id:String}
  )
-- The rows are distinct by construction (one per bronze row not yet quarantined): ReplacingMergeTree's
-- merge-on-insert would only sort and compare them again.
SETTINGS optimize_on_insert = 0
