-- Applies a batch to the SCD2 dimension in one statement: rebuilds each of the batch's users' chains from
-- the batch's window on (the rule of scd2.ts rebuildChain) and writes only what differs from the stored
-- chain (scd2.ts diffChain): nothing when the batch was applied already.
--
-- Reads per window, whatever the history: the bronze rows of the windows from the batch's on (in window
-- order, the batch's own), the versions that end at or after the window (silver.dim_users is keyed by
-- (valid_to, user_name): the current versions and the few closed at or after the window, a key range), and
-- the users' totals from silver's user_totals projection (one row per user and part, not per day).
--
-- The writes are one block (the SETTINGS below), hence one part: a version closed at the window and the
-- current version that replaces it (both keyed by their end) land together or not at all.
INSERT INTO silver.dim_users (user_name, primary_category, primary_source, valid_from, valid_to, is_current, last_seen_date, total_events, total_value, is_revenue_user, _version, _is_deleted)
WITH
    {window_start:DateTime('UTC')} AS batch_window,
    toDateTime('2106-02-07 06:28:15', 'UTC') AS open_end,
    -- The categories and sources of the windows read, each in alphabetical order (DISTINCT reads dictionaries).
    (SELECT arraySort(groupArray(toString(category))) FROM (SELECT DISTINCT category FROM bronze.stg_events WHERE _window_start >= batch_window AND _rejection_reason = '')) AS categories,
    (SELECT arraySort(groupArray(toString(source))) FROM (SELECT DISTINCT source FROM bronze.stg_events WHERE _window_start >= batch_window AND _rejection_reason = '')) AS sources,
    (SELECT count() > 0 FROM silver.event_ids WHERE delivery_date = toDate(batch_window) AND _batch_id = {batch_id:String}) AS batch_registered
SELECT
    user_name,
    write.3 AS primary_category,
    write.4 AS primary_source,
    write.1 AS valid_from,
    write.2 AS valid_to,
    write.5 AS is_current,
    write.6 AS last_seen_date,
    write.7 AS total_events,
    write.8 AS total_value,
    write.9 AS is_revenue_user,
    {version:UInt64} AS _version,
    deleted AS _is_deleted
FROM
(
    SELECT
        profiles.user_name AS user_name,
        -- A version is a tuple (valid_from, valid_to, primary_category, primary_source, is_current,
        -- last_seen_date, total_events, total_value, is_revenue_user).
        stored.versions AS stored_versions,
        -- The version that holds the window and began before it stands for everything before the window:
        -- its start is the first point. The loaded windows from the batch's on are the others.
        arrayFirst(version -> version.1 < batch_window AND batch_window < version.2, stored_versions) AS containing,
        containing.2 > batch_window AS continues,
        arrayConcat(if(continues, [containing.1], []), profiles.windows.1) AS point_at,
        arrayConcat(if(continues, [containing.3], []), profiles.windows.2) AS point_category,
        arrayConcat(if(continues, [containing.4], []), profiles.windows.3) AS point_source,
        -- A version starts at the first point and at each point whose attributes differ from the one before;
        -- it ends where the next begins, the last one at the open end.
        arrayMap((category, source, previous_category, previous_source, i) -> i = 1 OR category != previous_category OR source != previous_source,
            point_category, point_source, arrayPushFront(arrayPopBack(point_category), ''), arrayPushFront(arrayPopBack(point_source), ''), arrayEnumerate(point_at)) AS starts,
        arrayFilter((at, start) -> start, point_at, starts) AS version_from,
        arrayPushBack(arrayPopFront(version_from), open_end) AS version_to,
        -- Type-1 attributes on the current version; closed ones carry neutral values.
        arrayMap((valid_from, valid_to, category, source) -> (valid_from, valid_to, category, source, toUInt8(valid_to = open_end),
                if(valid_to = open_end, totals.last_seen_date, toDate('1970-01-01')), if(valid_to = open_end, totals.total_events, 0),
                if(valid_to = open_end, totals.total_value, 0), if(valid_to = open_end, totals.is_revenue_user, 0)),
            version_from, version_to, arrayFilter((category, start) -> start, point_category, starts), arrayFilter((source, start) -> start, point_source, starts)) AS rebuilt,
        -- What to write, keyed by (valid_to, user_name) like the table: the rebuilt versions not stored as
        -- they are, and tombstones for stored versions after the window whose end is no longer an end.
        arrayFilter(version -> NOT has(stored_versions, version), rebuilt) AS changed,
        arrayFilter(version -> version.2 > batch_window AND NOT has(version_to, version.2), stored_versions) AS removed,
        arrayConcat(changed, removed) AS writes,
        arrayConcat(arrayMap(version -> toUInt8(0), changed), arrayMap(version -> toUInt8(1), removed)) AS deletes,
        -- transform_silver registers every distinct valid id of a batch before this runs: a batch with valid rows
        -- and no registered id has not been through it. (A user may still hold no event in silver: one whose only
        -- events were re-deliveries, under their name, of events silver holds under another user's. Their
        -- version carries zero totals, as silver says.)
        throwIf(NOT batch_registered, 'update_dim_users: the batch has no event ids in silver.event_ids (run transform_silver first)') AS checked
    FROM
    (
        -- The type-2 attributes of each window from the batch's on, for the batch's users: the most frequent
        -- category and source among the user's distinct valid events of that window, ties broken
        -- alphabetically. An event is packed in a UInt128: its window (seconds), cityHash64(event_id), and
        -- its category's and its source's rank in alphabetical order; distinct per user, counted per window.
        SELECT
            user_name,
            arrayDistinct(groupArray(
                bitShiftLeft(toUInt128(toUInt32(_window_start)), 96)
                + bitShiftLeft(toUInt128(cityHash64(event_id)), 32)
                + transform(category, categories, arrayEnumerate(categories), 0) * 65536
                + transform(source, sources, arrayEnumerate(sources), 0))) AS events,
            arrayMap(event -> toUInt32(bitShiftRight(event, 96)), events) AS window_of,
            arrayMap(event -> toUInt32(event), events) AS ranks_of,
            arrayMap(ranks -> intDiv(ranks, 65536), ranks_of) AS category_of,
            arrayMap(ranks -> ranks % 65536, ranks_of) AS source_of,
            -- Per window, ascending: the lowest (-count, rank) is the most frequent, the alphabetically first
            -- among equals.
            arrayMap(at -> (
                    toDateTime(at, 'UTC'),
                    categories[arrayMin(arrayMap(rank -> (-countEqual(arrayFilter((c, w) -> w = at, category_of, window_of), rank), rank), arrayDistinct(arrayFilter((c, w) -> w = at, category_of, window_of)))).2],
                    sources[arrayMin(arrayMap(rank -> (-countEqual(arrayFilter((s, w) -> w = at, source_of, window_of), rank), rank), arrayDistinct(arrayFilter((s, w) -> w = at, source_of, window_of)))).2]),
                arraySort(arrayDistinct(window_of))) AS windows,
            max(_window_start = batch_window AND _batch_id = {batch_id:String}) AS in_batch
        FROM bronze.stg_events
        WHERE _window_start >= batch_window AND _rejection_reason = ''
        GROUP BY user_name
        HAVING in_batch = 1
    ) AS profiles
    LEFT JOIN
    (
        -- The versions a batch at this window can change, and those that end where it begins.
        SELECT
            user_name,
            groupArray((valid_from, valid_to, toString(primary_category), toString(primary_source), is_current, last_seen_date, total_events, total_value, is_revenue_user)) AS versions
        FROM silver.dim_users FINAL
        WHERE valid_to >= batch_window
        GROUP BY user_name
    ) AS stored USING (user_name)
    LEFT JOIN
    (
        -- Type-1 attributes recomputed from silver: exact, idempotent and independent of the order batches
        -- ran in. The shape of the user_totals projection.
        SELECT
            user_name,
            max(event_date) AS last_seen_date,
            count() AS total_events,
            toFloat64(sum(value)) AS total_value,
            toUInt8(sum(is_revenue) > 0) AS is_revenue_user
        FROM silver.fact_events
        GROUP BY user_name
    ) AS totals USING (user_name)
)
ARRAY JOIN writes AS write, deletes AS deleted
WHERE checked = 0
SETTINGS join_use_nulls = 0, max_insert_threads = 1, min_insert_block_size_rows = 1000000000, min_insert_block_size_bytes = 1000000000000
