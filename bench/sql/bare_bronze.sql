-- The bare reference, first statement: the window's rows written to a plain bronze table, by the expression
-- of the synthetic source (src/sources/sql/generate_events.sql: the same rows, dirt, duplicates, late events
-- and re-deliveries) without its skip of rows already loaded.
INSERT INTO bench_bare.stg_events (event_id, user_name, category, source, value, event_time, _batch_id, _window_start, _row)
WITH
    {events_per_hour:UInt64} AS n,
    intDiv(n, 100) AS duplicates,
    intDiv(n, 100) AS late,
    intDiv(n, 200) AS redeliveries,
    ['page_view', 'click', 'search', 'add_to_cart', 'purchase'] AS categories,
    ['web', 'ios', 'android', 'api'] AS sources
SELECT
    multiIf(dirt < 50 OR dirt >= 80 AND dirt < 100, '', concat('evt-', toString(toUnixTimestamp(origin_window)), '-', kind_tag, toString(k))) AS event_id,
    if(dirt >= 50 AND dirt < 100, '', concat('user_', toString(user_index))) AS user_name,
    categories[1 + if(cityHash64(h, 2) % 100 < 60, cityHash64({seed:UInt64}, user_index, 'category') % 5, cityHash64(h, 3) % 5)] AS category,
    sources[1 + if(cityHash64(h, 4) % 100 < 70, cityHash64({seed:UInt64}, user_index, 'source') % 4, cityHash64(h, 5) % 4)] AS source,
    if(category = 'purchase' AND cityHash64(h, 6) % 20 != 0, (cityHash64(h, 7) % 50000) / 100, 0) AS value,
    origin_window + toIntervalSecond(cityHash64(h, 8) % 3600) - toIntervalHour(hours_late) AS event_time,
    {batch_id:String} AS _batch_id,
    {window_start:DateTime('UTC')} AS _window_start,
    number AS _row
FROM
(
    SELECT
        number,
        cityHash64({seed:UInt64}, toUnixTimestamp({window_start:DateTime('UTC')}), number, 'pick') AS pick,
        multiIf(number < n, 'own', number < n + duplicates, 'duplicate', number < n + duplicates + late, 'late', 'redelivery') AS kind,
        if(kind = 'redelivery', {window_start:DateTime('UTC')} - toIntervalHour(1 + pick % 3), {window_start:DateTime('UTC')}) AS origin_window,
        toUInt64(multiIf(kind IN ('duplicate', 'redelivery'), pick % n, kind = 'late', number - n - duplicates, number)) AS k,
        if(kind = 'late', 'late-', '') AS kind_tag,
        cityHash64({seed:UInt64}, toUnixTimestamp(origin_window), kind_tag, k) AS h,
        toUInt64(if(kind = 'late', 1 + cityHash64(h, 9) % 24, 0)) AS hours_late,
        h % 1000 AS dirt,
        cityHash64(h, 1) % greatest(50, least(100000, intDiv(k + 1000, 20))) AS user_index
    FROM numbers(n + duplicates + late + redeliveries)
)
