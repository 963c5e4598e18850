-- History for the benchmark (--history-ids): {ids} event ids registered in silver.event_ids as if the {per_window}
-- events of each hourly window before the first benchmarked one had been delivered (the newest first), so the
-- windows' lookups run against a registry that already holds them, within the dedup horizon. Ids only: no event
-- of silver, bronze or gold goes with them (--history-days loads those).
INSERT INTO silver.event_ids (delivery_date, id_hash, id_check, _batch_id)
SELECT toDate(delivered), cityHash64(event_id), xxHash32(event_id), concat('bench_history__', toString(delivered))
FROM
(
    SELECT concat('history-', toString(number)) AS event_id,
           {first_window:DateTime('UTC')} - toIntervalHour(1 + intDiv(number, {per_window:UInt64})) AS delivered
    FROM numbers({ids:UInt64})
)
