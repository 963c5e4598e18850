-- History for the benchmark: registers in silver.event_ids the ids history_firsts found new in the chunk,
-- under the window that delivered each first (its delivery date and batch: {batches} are the run ids of the
-- chunk's windows from {from}, hour by hour): the rows register_new_event_ids writes for first deliveries.
-- Re-deliveries are not registered again (a lookup only asks whether another batch holds the id).
INSERT INTO silver.event_ids (delivery_date, id_hash, id_check, _batch_id)
SELECT toDate(window_start), id_hash, id_check, {batches:Array(String)}[1 + intDiv(toUnixTimestamp(window_start) - toUnixTimestamp({from:DateTime('UTC')}), 3600)]
FROM
(
    SELECT toDateTime(bitShiftRight(first, 32), 'UTC') AS window_start, id_hash, id_check
    FROM bench_history.firsts
)
SETTINGS optimize_on_insert = 0
