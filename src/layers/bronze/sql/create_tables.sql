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

-- Provenance of rows from files (empty for the synthetic source): added by ALTER so existing tables get them.
ALTER TABLE bronze.stg_events /*ON CLUSTER*/
    ADD COLUMN IF NOT EXISTS _source_file String DEFAULT '' COMMENT 'File the row was read from (path or s3:// URL); empty for the synthetic source',
    ADD COLUMN IF NOT EXISTS _source_line UInt64 DEFAULT 0 COMMENT 'Line (text formats, the header of a CSV being line 1) or row (Parquet, from 1) of the row in its file',
    ADD COLUMN IF NOT EXISTS _source_record String DEFAULT '' COMMENT 'The original line, for text formats: what a quarantined row looked like',
    ADD COLUMN IF NOT EXISTS _source_problem String DEFAULT '' COMMENT 'What went wrong reading the row (unparsable_line, invalid_value), found at load';

-- The quality rules are evaluated once per row at load into the materialized column; they are declared by
-- ALTER so that an existing table takes new rules too (rows loaded before keep the reasons they got). The
-- rules themselves are in rejection_rules.sql, which `medallion sources check` evaluates too.
ALTER TABLE bronze.stg_events /*ON CLUSTER*/
    MODIFY COLUMN _rejection_reason String MATERIALIZED /*REJECTION_RULES*/
    COMMENT 'The quality rules the row breaks, comma-separated, evaluated once at load; empty for a valid row'
