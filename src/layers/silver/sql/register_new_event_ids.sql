-- Registers the batch's new event ids in silver.event_ids: its valid ids, one per fingerprint, that silver
-- does not hold yet. insert_new_events then inserts exactly the ids this batch registered, so a crash
-- between the two statements leaves registered ids that the rerun inserts, never an event in silver that
-- a later batch cannot find. An id is already held when
--   * its fingerprint is registered by a batch delivered within the horizon: the days of delivery from
--     {horizon_days} before the batch's to {horizon_days} after (a backfilled window sees later ones), this
--     batch included, so a rerun registers nothing twice; whatever event_time that delivery carried;
--   * or silver holds it in one of the batch's touched hours (a delivery older than the horizon with the
--     same event_time: silver's key never holds an id twice).
-- The horizon lookup reads id_hash alone over the horizon's days (PREWHERE) and id_check only where
-- id_hash matched: its cost is bounded by the rows of the horizon, whatever the history. A small batch (up
-- to 100 000 ids) also prunes the key to the ranges that can hold its ids; for a bigger one that analysis
-- costs more than it saves (its ids fall in every granule), so it only probes the set of its hashes.
INSERT INTO silver.event_ids (delivery_date, id_hash, id_check, _batch_id)
SELECT toDate({window_start:DateTime('UTC')}), id_hash, id_check, {batch_id:String}
FROM
(
    SELECT event_id, cityHash64(event_id) AS id_hash, xxHash32(event_id) AS id_check
    FROM bronze.stg_events
    WHERE _window_start = {window_start:DateTime('UTC')} AND _batch_id = {batch_id:String} AND _rejection_reason = ''
    GROUP BY event_id
)
WHERE (id_hash, id_check) NOT IN (
    SELECT id_hash, id_check FROM silver.event_ids
    PREWHERE delivery_date BETWEEN toDate({window_start:DateTime('UTC')}) - {horizon_days:UInt16} AND toDate({window_start:DateTime('UTC')}) + {horizon_days:UInt16}
         AND id_hash IN (
             SELECT cityHash64(event_id) FROM bronze.stg_events
             WHERE _window_start = {window_start:DateTime('UTC')} AND _batch_id = {batch_id:String} AND _rejection_reason = ''
         )
)
  AND event_id NOT IN (
    SELECT event_id FROM silver.fact_events
    WHERE (event_date, event_hour) IN (SELECT toDate(hour), toHour(hour) FROM (SELECT arrayJoin({touched_hours:Array(DateTime('UTC'))}) AS hour))
      AND event_id IN (
          SELECT event_id FROM bronze.stg_events
          WHERE _window_start = {window_start:DateTime('UTC')} AND _batch_id = {batch_id:String} AND _rejection_reason = ''
      )
)
SETTINGS use_index_for_in_with_subqueries_max_values = 100000
