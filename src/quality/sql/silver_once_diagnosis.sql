-- The gate's diagnosis when silver's count of the batch and its first registrations disagree (see
-- batch_accounting.sql): per valid event id of the batch, whether silver holds it twice or holds it while
-- another batch delivered it first, and whether it holds it unregistered. It reads the batch, the registry
-- over the horizon and silver over the touched hours, so it runs only then.
SELECT held_more_than_once, unregistered
FROM
(
    -- Per valid event id of the batch: the copies silver holds in the touched hours (this batch's, and
    -- another's with the same event hour), and who registered it across the horizon (the days of delivery
    -- transform_silver looked through, so a delivery one day later with another event_time is found).
    -- held_more_than_once: this batch holds it twice, or holds it while another batch delivered it first.
    -- unregistered: this batch holds it but never registered it first, so a later delivery would not find it.
    SELECT
        countIf(copies_of_batch > 1 OR (copies_of_batch > 0 AND (registered_elsewhere OR copies_elsewhere > 0))) AS held_more_than_once,
        countIf(copies_of_batch > 0 AND NOT registered_by_batch) AS unregistered
    FROM
    (
        SELECT event_id, cityHash64(event_id) AS id_hash, xxHash32(event_id) AS id_check
        FROM bronze.stg_events
        WHERE _window_start = {window_start:DateTime('UTC')} AND _batch_id = {batch_id:String} AND _rejection_reason = ''
        GROUP BY event_id
    ) AS ids
    LEFT JOIN
    (
        SELECT id_hash, id_check, max(_batch_id = {batch_id:String} AND is_first = 1) AS registered_by_batch, max(_batch_id != {batch_id:String}) AS registered_elsewhere
        FROM silver.event_ids
        PREWHERE delivery_date BETWEEN toDate({window_start:DateTime('UTC')}) - {horizon_days:UInt16} AND toDate({window_start:DateTime('UTC')}) + {horizon_days:UInt16}
             AND id_hash IN (
                 SELECT cityHash64(event_id) FROM bronze.stg_events
                 WHERE _window_start = {window_start:DateTime('UTC')} AND _batch_id = {batch_id:String} AND _rejection_reason = ''
             )
        GROUP BY id_hash, id_check
    ) AS registry ON registry.id_hash = ids.id_hash AND registry.id_check = ids.id_check
    LEFT JOIN
    (
        SELECT event_id, countIf(_batch_id = {batch_id:String}) AS copies_of_batch, countIf(_batch_id != {batch_id:String}) AS copies_elsewhere
        FROM silver.fact_events
        WHERE (event_date, event_hour) IN (SELECT toDate(hour), toHour(hour) FROM (SELECT arrayJoin({touched_hours:Array(DateTime('UTC'))}) AS hour))
          AND event_id IN (
              SELECT event_id FROM bronze.stg_events
              WHERE _window_start = {window_start:DateTime('UTC')} AND _batch_id = {batch_id:String} AND _rejection_reason = ''
          )
        GROUP BY event_id
    ) AS held ON held.event_id = ids.event_id
) AS s
-- A server profile's join_use_nulls = 1 would turn the counts of unmatched ids into NULLs.
SETTINGS use_index_for_in_with_subqueries_max_values = 100000, join_use_nulls = 0
