-- One definition for a single node and a cluster: the /*…*/ markers are rendered by src/sql.ts (renderDeployment).
CREATE DATABASE IF NOT EXISTS bronze /*ON CLUSTER*/ COMMENT 'Raw events exactly as delivered (append-only audit trail)';

CREATE TABLE IF NOT EXISTS bronze.stg_events /*ON CLUSTER*/
(
    event_id        String   COMMENT 'Event id from the source; may be empty (quarantined later)',
    user_name       String   COMMENT 'User name from the source; may be empty (quarantined later)',
    category        LowCardinality(String) COMMENT 'Event category, e.g. purchase, page_view',
    source          LowCardinality(String) COMMENT 'Channel the event came from, e.g. web, ios',
    value           Float64  COMMENT 'Monetary value of the event',
    event_time      DateTime('UTC') COMMENT 'When the event happened (UTC); may lie before the window (late event)',
    _batch_id       String   COMMENT 'Run that delivered the row',
    _window_start   DateTime('UTC') COMMENT 'Start of the delivering run''s window',
    _row            UInt64   COMMENT 'Position of the row in its batch: with _batch_id, the row''s identity',
    _rejection_reason String COMMENT 'The quality rules the row breaks (set below)',
    _ingested_at    DateTime64(3, 'UTC') DEFAULT now64(3) COMMENT 'When the row was loaded'
)
ENGINE = /*Replicated*/MergeTree
PARTITION BY toYYYYMM(_window_start)
ORDER BY (_window_start, _batch_id, _row)
COMMENT 'Every delivered event, valid or not, one row per delivery';

-- The quality rules, in one place: evaluated once per row at load into the materialized column. Declared by
-- ALTER so that an existing table takes new rules too (rows loaded before keep the reasons they got).
-- A value above 999 999 999.99 is out of range: no single event is worth a billion, and the bound keeps
-- an hour's Float64 sums exact to the cent. This model has no refunds, so a negative value is invalid.
-- An event_time of 0 is what an unparseable time becomes; more than a day past the window's end is a
-- clock or parsing error, not a late event.
ALTER TABLE bronze.stg_events /*ON CLUSTER*/
    MODIFY COLUMN _rejection_reason String MATERIALIZED arrayStringConcat(arrayFilter(rule -> rule != '', [
        if(event_id = '', 'empty_event_id', ''),
        if(user_name = '', 'empty_user_name', ''),
        if(NOT isFinite(value), 'non_finite_value', ''),
        if(isFinite(value) AND value < 0, 'negative_value', ''),
        if(isFinite(value) AND value > 999999999.99, 'value_out_of_range', ''),
        if(toUnixTimestamp(event_time) = 0, 'invalid_event_time', ''),
        if(event_time > _window_start + toIntervalHour(25), 'future_event_time', '')
    ]), ',')
    COMMENT 'The quality rules the row breaks, comma-separated, evaluated once at load; empty for a valid row'
