-- Registers every event silver holds under the batch that inserted it, for a deployment upgraded from a
-- release without silver.event_ids (run by ensure_all_tables when the registry is behind, so once). An
-- old batch's delivery date is its run's window's in catalog.pipeline_runs (every run is logged there
-- before transform_silver), the event's own date when the run is unknown. Rows registered already are
-- inserted again and merged away by the engine (ReplacingMergeTree), so a backfill cut short is completed
-- by the next one; lookups only ask whether a fingerprint is there.
INSERT INTO silver.event_ids (delivery_date, id_hash, id_check, _batch_id)
SELECT toDate(delivered), cityHash64(event_id), xxHash32(event_id), _batch_id
FROM
(
    SELECT s.event_id AS event_id, s._batch_id AS _batch_id, if(r.window_start = 0, s.event_time, r.window_start) AS delivered
    FROM silver.fact_events AS s
    LEFT JOIN (SELECT run_id, window_start FROM catalog.pipeline_runs FINAL) AS r ON r.run_id = s._batch_id
)
SETTINGS join_use_nulls = 0
