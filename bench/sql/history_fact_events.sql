-- History for the benchmark: the events history_firsts found new in the chunk [from, to), each from its first
-- delivery (the bronze row of that window and _row), with the columns and derivations of insert_new_events
-- (src/layers/silver/sql).
INSERT INTO silver.fact_events (event_id, user_name, category, source, value, is_revenue, event_time, event_date, event_hour, _batch_id)
SELECT
    event_id,
    user_name,
    category,
    source,
    money AS value,
    category = 'purchase' AND money > 0 AS is_revenue,
    event_time,
    toDate(event_time) AS event_date,
    toHour(event_time) AS event_hour,
    _batch_id
FROM
(
    SELECT event_id, user_name, category, source, toDecimal64(round(value * 100), 2) / 100 AS money, event_time, _batch_id
    FROM bronze.stg_events
    WHERE _window_start >= {from:DateTime('UTC')} AND _window_start < {to:DateTime('UTC')} AND _rejection_reason = ''
      AND bitShiftLeft(toUInt64(toUnixTimestamp(_window_start)), 32) + _row IN (SELECT first FROM bench_history.firsts)
)
SETTINGS optimize_on_insert = 0
