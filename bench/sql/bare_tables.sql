-- The bare reference: plain MergeTree tables with the columns (and sort keys) of bronze.stg_events and
-- silver.fact_events, and nothing else: no rejection rules, no provenance, no dedup, no projections, no
-- partitions. Dropped after the measurement.
CREATE DATABASE IF NOT EXISTS bench_bare;

CREATE TABLE IF NOT EXISTS bench_bare.stg_events
(
    event_id        String,
    user_name       String,
    category        LowCardinality(String),
    source          LowCardinality(String),
    value           Float64,
    event_time      DateTime('UTC'),
    _batch_id       String,
    _window_start   DateTime('UTC'),
    _row            UInt64
)
ENGINE = MergeTree
ORDER BY (_window_start, _batch_id, _row);

CREATE TABLE IF NOT EXISTS bench_bare.fact_events
(
    event_id        String,
    user_name       String,
    category        LowCardinality(String),
    source          LowCardinality(String),
    value           Decimal(18, 2),
    is_revenue      UInt8,
    event_time      DateTime('UTC'),
    event_date      Date,
    event_hour      UInt8,
    _batch_id       String
)
ENGINE = MergeTree
ORDER BY (event_date, event_hour, event_id)
