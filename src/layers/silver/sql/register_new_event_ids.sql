-- Registers every distinct valid event id of the batch (of one slice of its ids, {slice} of {slices}: see
-- insertNewEvents) in silver.event_ids, first or not: is_first = 1 for
-- the ids no other delivery holds, which insert_new_events then inserts into silver (so a crash between the
-- two statements leaves registered ids that the rerun inserts, never an event in silver that a later batch
-- cannot find); is_first = 0 for the others, which the gate counts as already in silver. Ids the batch
-- registered already (a rerun) are skipped, so nothing is registered twice. Another delivery holds an id when
--   * its fingerprint is registered by another batch delivered within the horizon: the days of delivery from
--     {horizon_days} before the batch's to {horizon_days} after (a backfilled window sees later ones),
--     whatever event_time that delivery carried;
--   * or silver holds it, from another batch, in one of {silver_check_hours}: the touched hours where a
--     delivery beyond the horizon could hold the same event_time (silver's key never holds an id twice).
--     The caller passes only those hours (src/layers/silver/repository.ts), usually none.
-- The batch is grouped by fingerprint, not by the id string (five times cheaper). The horizon lookup is a
-- sort-merge semi join ('partial_merge'): the batch's hashes sorted once, each block of the registry's rows
-- over the horizon's days sorted (they come nearly sorted: the key is (delivery_date, id_hash)) and merged
-- against them. Probing a hash set of the batch's hashes instead costs a cache miss per registry row once the
-- batch has about a million ids: 1.1-1.3 s instead of 0.6-0.8 s for 67 M rows of 30 days against a 1 M batch.
-- Memory is bounded by the batch, time by the rows of the horizon.
INSERT INTO silver.event_ids (delivery_date, id_hash, id_check, _batch_id, is_first)
SELECT toDate({window_start:DateTime('UTC')}), batch.id_hash, batch.id_check, {batch_id:String},
       NOT (known.elsewhere OR (batch.id_hash, batch.id_check) IN (
           SELECT cityHash64(event_id), xxHash32(event_id) FROM silver.fact_events
           WHERE (event_date, event_hour) IN (SELECT toDate(hour), toHour(hour) FROM (SELECT arrayJoin({silver_check_hours:Array(DateTime('UTC'))}) AS hour))
             AND _batch_id != {batch_id:String}
             AND event_id IN (
                 SELECT event_id FROM bronze.stg_events
                 WHERE _window_start = {window_start:DateTime('UTC')} AND _batch_id = {batch_id:String} AND _rejection_reason = ''
      AND cityHash64(event_id) % {slices:UInt64} = {slice:UInt64}
                   AND has({silver_check_hours:Array(DateTime('UTC'))}, toStartOfHour(event_time))
             )
       ))
FROM
(
    SELECT cityHash64(event_id) AS id_hash, xxHash32(event_id) AS id_check
    FROM bronze.stg_events
    WHERE _window_start = {window_start:DateTime('UTC')} AND _batch_id = {batch_id:String} AND _rejection_reason = ''
      AND cityHash64(event_id) % {slices:UInt64} = {slice:UInt64}
    GROUP BY id_hash, id_check
) AS batch
LEFT JOIN
(
    SELECT registered.id_hash AS id_hash, registered.id_check AS id_check,
           max(registered._batch_id = {batch_id:String}) AS mine, max(registered._batch_id != {batch_id:String}) AS elsewhere
    FROM silver.event_ids AS registered
    LEFT SEMI JOIN
    (
        SELECT cityHash64(event_id) AS id_hash FROM bronze.stg_events
        WHERE _window_start = {window_start:DateTime('UTC')} AND _batch_id = {batch_id:String} AND _rejection_reason = ''
          AND cityHash64(event_id) % {slices:UInt64} = {slice:UInt64}
          -- Nothing to sort when the horizon holds no registered id (a new home's first window).
          AND (SELECT count() > 0 FROM (
              SELECT 1 FROM silver.event_ids
              WHERE delivery_date BETWEEN toDate({window_start:DateTime('UTC')}) - {horizon_days:UInt16} AND toDate({window_start:DateTime('UTC')}) + {horizon_days:UInt16}
              LIMIT 1))
    ) AS batch_hashes ON registered.id_hash = batch_hashes.id_hash
    WHERE registered.delivery_date BETWEEN toDate({window_start:DateTime('UTC')}) - {horizon_days:UInt16} AND toDate({window_start:DateTime('UTC')}) + {horizon_days:UInt16}
    GROUP BY id_hash, id_check
    SETTINGS join_algorithm = 'partial_merge'
) AS known ON known.id_hash = batch.id_hash AND known.id_check = batch.id_check
WHERE NOT known.mine
-- Unmatched ids read 0 (not NULL) whatever a server profile says; the registry's merge-on-insert is useless
-- here (the rows are distinct) and costs as much as the write.
SETTINGS join_use_nulls = 0, optimize_on_insert = 0
