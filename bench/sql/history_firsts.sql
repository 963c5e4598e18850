-- History for the benchmark: the first delivery of every valid event id of the history windows [from, to)
-- (the earliest window, and its lowest row there: the row insert_new_events keeps), unless an earlier chunk
-- registered the id. Grouped by the 96-bit fingerprint, as the registry tells ids apart, with one number as
-- state (window and row packed: see history_tables.sql). The earlier deliveries looked up are those of
-- {earlier}, the run ids of the windows right before the chunk: the synthetic source re-delivers events of the
-- 1-3 previous windows only (generate_events.sql), and its late events carry ids of their own.
INSERT INTO bench_history.firsts (first, id_hash, id_check)
SELECT first, id_hash, id_check
FROM
(
    SELECT cityHash64(event_id) AS id_hash, xxHash32(event_id) AS id_check,
           min(bitShiftLeft(toUInt64(toUnixTimestamp(_window_start)), 32) + _row) AS first
    FROM bronze.stg_events
    WHERE _window_start >= {from:DateTime('UTC')} AND _window_start < {to:DateTime('UTC')} AND _rejection_reason = ''
    GROUP BY id_hash, id_check
)
WHERE (id_hash, id_check) NOT IN (
    SELECT id_hash, id_check FROM silver.event_ids
    PREWHERE delivery_date BETWEEN toDate({from:DateTime('UTC')}) - 1 AND toDate({from:DateTime('UTC')})
         AND _batch_id IN {earlier:Array(String)}
         AND id_hash IN (
             SELECT cityHash64(event_id) FROM bronze.stg_events
             WHERE _window_start >= {from:DateTime('UTC')} AND _window_start < {to:DateTime('UTC')} AND _rejection_reason = ''
         )
)
