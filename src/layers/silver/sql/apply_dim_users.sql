-- Applies a batch to the SCD2 dimension in one statement: rebuilds each of the batch's users' chains from
-- the batch's batch_window on (the rule of scd2.ts rebuildChain) and writes only what differs from the stored
-- chain (scd2.ts diffChain): nothing when the batch was applied already.
--
-- Reads per batch_window, whatever the history: the bronze rows of the windows from the batch's on (in window
-- order, the batch's own), the versions that end at or after the batch_window (silver.dim_users is keyed by
-- (valid_to, user_name): the current versions and the few closed at or after the batch_window, a key range), and
-- the users' totals from silver's user_totals projection (one row per user and part, not per day).
--
-- The writes are one block (the SETTINGS below), hence one part: a version closed at the batch_window and the
-- current version that replaces it (both keyed by their end) land together or not at all.
INSERT INTO silver.dim_users (user_name, primary_category, primary_source, valid_from, valid_to, is_current, last_seen_date, total_events, total_value, is_revenue_user, _version, _is_deleted)
WITH
    {window_start:DateTime('UTC')} AS batch_window,
    toDateTime('2106-02-07 06:28:15', 'UTC') AS open_end,
    -- Type-1 attributes of a closed version.
    (toDate('1970-01-01'), toUInt64(0), toFloat64(0), toUInt8(0)) AS closed_type_one
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
    write.10 AS _is_deleted
FROM
(
    SELECT
        profiles.user_name AS user_name,
        -- Versions are tuples (valid_from, valid_to, primary_category, primary_source, is_current,
        -- last_seen_date, total_events, total_value, is_revenue_user).
        stored.versions AS stored_versions,
        -- The version that holds the batch_window and began before it: it stands for everything before the batch_window.
        arrayFirst(version -> version.1 < batch_window AND batch_window < version.2, stored_versions) AS containing,
        -- Points (at, primary_category, primary_source): the containing version's start, then every loaded
        -- batch_window from the batch's on; a version starts at each point whose attributes differ from the one before.
        arrayConcat(if(containing.2 > batch_window, [(containing.1, containing.3, containing.4)], []), profiles.points) AS points,
        arrayFilter((point, i) -> i = 1 OR (point.2, point.3) != (points[i - 1].2, points[i - 1].3), points, arrayEnumerate(points)) AS starts,
        arrayMap(
            i -> tupleConcat(
                (starts[i].1, if(i < length(starts), starts[i + 1].1, open_end), starts[i].2, starts[i].3, toUInt8(i = length(starts))),
                if(i < length(starts), closed_type_one, (totals.last_seen_date, totals.total_events, totals.total_value, totals.is_revenue_user))),
            arrayEnumerate(starts)) AS rebuilt,
        -- Rows to write, keyed by (valid_to, user_name) like the table: rebuilt versions not stored as they are,
        -- and tombstones for stored versions after the batch_window whose end is no longer an end.
        arrayConcat(
            arrayMap(version -> tupleConcat(version, tuple(toUInt8(0))), arrayFilter(version -> NOT has(stored_versions, version), rebuilt)),
            arrayMap(version -> tupleConcat(version, tuple(toUInt8(1))), arrayFilter(version -> version.2 > batch_window AND NOT has(rebuilt.2, version.2), stored_versions))
        ) AS writes,
        throwIf(totals.total_events = 0, 'update_dim_users: a user of the batch has no events in silver (run transform_silver first)') AS checked
    FROM
    (
        -- The type-2 attributes of each batch_window from the batch's on, for the batch's users: the most frequent
        -- category and source among the user's distinct valid events of that batch_window, ties broken
        -- alphabetically (sumMap sorts its keys).
        SELECT
            user_name,
            arraySort(groupArray((window_start, primary_category, primary_source))) AS points,
            max(of_batch) AS in_batch
        FROM
        (
            SELECT
                window_start,
                user_name,
                (sumMap([category], [events]) AS by_category).1[indexOf(by_category.2, arrayMax(by_category.2))] AS primary_category,
                (sumMap([source], [events]) AS by_source).1[indexOf(by_source.2, arrayMax(by_source.2))] AS primary_source,
                max(of_batch) AS of_batch
            FROM
            (
                -- Each event once, however often the batch repeated it: distinct ids per (batch_window, user, category, source).
                SELECT
                    _window_start AS window_start,
                    user_name,
                    toString(category) AS category,
                    toString(source) AS source,
                    uniqExact(event_id) AS events,
                    max(_window_start = batch_window AND _batch_id = {batch_id:String}) AS of_batch
                FROM bronze.stg_events
                WHERE _window_start >= batch_window AND _rejection_reason = ''
                GROUP BY window_start, user_name, category, source
            )
            GROUP BY window_start, user_name
        )
        GROUP BY user_name
        HAVING in_batch = 1
    ) AS profiles
    LEFT JOIN
    (
        -- The versions a batch at this batch_window can change, and those that end where it begins.
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
ARRAY JOIN writes AS write
WHERE checked = 0
SETTINGS max_insert_threads = 1, min_insert_block_size_rows = 1000000000, min_insert_block_size_bytes = 1000000000000
