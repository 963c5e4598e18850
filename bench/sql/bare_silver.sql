-- The bare reference, second statement: the valid rows cleaned into a plain silver table (money as
-- Decimal(18,2), date and hour derived), with no dedup of any kind.
INSERT INTO bench_bare.fact_events (event_id, user_name, category, source, value, is_revenue, event_time, event_date, event_hour, _batch_id)
SELECT
    event_id,
    user_name,
    category,
    source,
    toDecimal64(round(value * 100), 2) / 100 AS money,
    category = 'purchase' AND money > 0 AS is_revenue,
    event_time,
    toDate(event_time) AS event_date,
    toHour(event_time) AS event_hour,
    _batch_id
FROM bench_bare.stg_events
WHERE event_id != '' AND user_name != ''
