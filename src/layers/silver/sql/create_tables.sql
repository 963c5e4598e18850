-- One definition for a single node and a cluster: the /*…*/ markers are rendered by src/sql.ts (renderDeployment).
CREATE DATABASE IF NOT EXISTS silver /*ON CLUSTER*/ COMMENT 'Cleaned, deduplicated facts, the SCD2 user dimension and rejected rows';

CREATE TABLE IF NOT EXISTS silver.fact_events /*ON CLUSTER*/
(
    event_id        String   COMMENT 'Event id: unique in this table',
    user_name       String   COMMENT 'User who produced the event',
    category        LowCardinality(String) COMMENT 'Event category',
    source          LowCardinality(String) COMMENT 'Channel the event came from',
    value           Decimal(18, 2) COMMENT 'Monetary value of the event, in cents precision (sums are exact)',
    is_revenue      UInt8    COMMENT '1 for a purchase with value > 0',
    event_time      DateTime('UTC') COMMENT 'When the event happened (UTC)',
    event_date      Date     COMMENT 'UTC date of event_time',
    event_hour      UInt8    COMMENT 'UTC hour of event_time (0-23)',
    _batch_id       String   COMMENT 'Run that first delivered the event'
)
ENGINE = /*Replicated*/ReplacingMergeTree
PARTITION BY toYYYYMM(event_date)
ORDER BY (event_date, event_hour, event_id)
SETTINGS deduplicate_merge_projection_mode = 'ignore'
COMMENT 'Valid events, each event_id once (transform_silver inserts only ids not yet present)';

-- A merge combines the parts' projections as it combines their rows, instead of rebuilding every projection
-- from the merged rows ('rebuild', which tables of earlier releases have): silver's merges are most of a
-- window's background work, and this halves them or better (18.3 M rows of two 10 M windows: 6.6 instead of
-- 13-31 core-seconds). It is exact because a merge of this table never drops a row: transform_silver inserts
-- an event id only when no delivery holds it, and the gate fails a run that leaves one twice.
ALTER TABLE silver.fact_events /*ON CLUSTER*/ MODIFY SETTING deduplicate_merge_projection_mode = 'ignore';

-- An hour's totals per category, source and delivering batch, read as a few pre-aggregated rows whatever the
-- events: gold.agg_events_hourly sums them over the batches; the gate's silver count and transform_silver's
-- "did an earlier attempt insert already?" count one batch's. One projection for both costs a sixth less
-- of the silver insert than the two it replaced (hourly_totals without the batch, batch_hours without the
-- category and source: 0.87-1.01 instead of 1.03-1.29 core-seconds for 0.91 M rows), and its rows per hour
-- are those of the batches that delivered events of the hour, a few dozen. Added by ALTER so that existing
-- tables get it (upgradeTables materializes it for parts written before, reads being exact meanwhile, and
-- drops the two earlier projections).
ALTER TABLE silver.fact_events /*ON CLUSTER*/
    ADD PROJECTION IF NOT EXISTS hourly_batch_totals
    (
        SELECT event_date, event_hour, category, source, _batch_id, count(), sum(is_revenue), sum(value)
        GROUP BY event_date, event_hour, category, source, _batch_id
    );

-- The users' type-1 totals for dim_users, read as one row per user and part whatever the days of history
-- (added by ALTER so that existing tables get it; upgradeTables materializes it for parts written before).
ALTER TABLE silver.fact_events /*ON CLUSTER*/
    ADD PROJECTION IF NOT EXISTS user_totals
    (
        SELECT user_name, count(), sum(is_revenue), sum(value), max(event_date)
        GROUP BY user_name
    );

-- A date's totals for gold.rpt_daily_summary, its distinct users included (an exact uniqExact state per date and
-- part), read as a few rows whatever the events. It replaced user_daily_totals (one row per date and user,
-- whose insert cost three times as much): added by ALTER so that existing tables get it (upgradeTables
-- materializes it for parts written before, and drops the earlier projection).
ALTER TABLE silver.fact_events /*ON CLUSTER*/
    ADD PROJECTION IF NOT EXISTS daily_totals
    (
        SELECT event_date, count(), uniqExact(user_name), sum(is_revenue), sum(value), sumIf(value, is_revenue = 1)
        GROUP BY event_date
    );

-- A version is keyed by its end: (valid_to, user_name) is unique because a user's versions never overlap. The
-- current versions (valid_to = the open end) sort last, one row per user, and a batch reads only the versions
-- it can change, a key range (those ending at or after its window) whatever the history: closing a version
-- writes it under its end and replaces the user's current row. Tables of the earlier layout, keyed by
-- (user_name, valid_from), are migrated by upgradeTables (repository.ts).
CREATE TABLE IF NOT EXISTS silver.dim_users /*ON CLUSTER*/
(
    user_key         UInt64  DEFAULT cityHash64(user_name, valid_from) COMMENT 'Surrogate key: cityHash64(user_name, valid_from), stable across reruns',
    user_name        String  COMMENT 'Natural key',
    primary_category LowCardinality(String) COMMENT 'Type 2: the user''s most frequent category in the batch (ties alphabetical)',
    primary_source   LowCardinality(String) COMMENT 'Type 2: the user''s most frequent source in the batch (ties alphabetical)',
    valid_from       DateTime('UTC') COMMENT 'Window start from which this version holds (inclusive)',
    valid_to         DateTime('UTC') COMMENT 'Window start at which the next version begins; while current, the largest DateTime (2106-02-07 06:28:15)',
    is_current       UInt8   COMMENT '1 for the user''s current version, exactly one per user',
    last_seen_date   Date    COMMENT 'Type 1 (current version): latest event date of the user in silver',
    total_events     UInt64  COMMENT 'Type 1 (current version): the user''s events in silver',
    total_value      Float64 COMMENT 'Type 1 (current version): sum of the user''s event values in silver',
    is_revenue_user  UInt8   COMMENT 'Type 1 (current version): 1 once the user has a revenue event',
    _version         UInt64  COMMENT 'Row version: the latest write of a (valid_to, user_name) wins',
    _is_deleted      UInt8   COMMENT '1 marks a version removed by an out-of-order batch'
)
ENGINE = /*Replicated*/ReplacingMergeTree(_version, _is_deleted)
ORDER BY (valid_to, user_name)
COMMENT 'SCD Type 2 user dimension: one current version per user, contiguous history';

CREATE TABLE IF NOT EXISTS silver.quarantine_events /*ON CLUSTER*/
(
    event_id         String  COMMENT 'Event id as delivered (possibly empty)',
    user_name        String  COMMENT 'User name as delivered (possibly empty)',
    category         LowCardinality(String) COMMENT 'Event category as delivered',
    source           LowCardinality(String) COMMENT 'Source as delivered',
    value            Float64 COMMENT 'Value as delivered',
    event_time       DateTime('UTC') COMMENT 'Event time as delivered',
    rejection_reason String  COMMENT 'Every rule the row broke, comma-separated (e.g. empty_event_id,empty_user_name)',
    _batch_id        String  COMMENT 'Run that delivered the row',
    _window_start    DateTime('UTC') COMMENT 'Start of the delivering run''s window',
    _row             UInt64  COMMENT 'Position of the row in its bronze batch',
    _quarantined_at  DateTime64(3, 'UTC') DEFAULT now64(3) COMMENT 'When the row was quarantined'
)
ENGINE = /*Replicated*/ReplacingMergeTree
PARTITION BY toYYYYMM(_window_start)
ORDER BY (_window_start, _batch_id, _row)
COMMENT 'Rows rejected at the silver boundary, with the reason; nothing is dropped silently';

-- Where "is this id already in silver?" is answered across the horizon (MEDALLION_DEDUP_HORIZON_DAYS) without
-- reading silver: one row per distinct valid event id of each batch, written before the event itself; is_first
-- marks the batch whose delivery silver holds. The gate's accounting counts these rows too. The id is a
-- 96-bit fingerprint: a lookup scans id_hash alone (8 bytes a row, pruned to the horizon's days by the key)
-- and reads id_check only where id_hash matched, so two ids are never taken for one (about 10^-12 per window at 10 M events an hour against 30 days of them). About 13 bytes a row.
CREATE TABLE IF NOT EXISTS silver.event_ids /*ON CLUSTER*/
(
    delivery_date   Date     COMMENT 'UTC date of the delivering window: the horizon is counted in these days',
    id_hash         UInt64   COMMENT 'cityHash64(event_id): what a lookup scans',
    id_check        UInt32   COMMENT 'xxHash32(event_id): with id_hash a 96-bit fingerprint, read only where id_hash matched',
    _batch_id       LowCardinality(String) COMMENT 'Run that delivered the event id (first or again)'
)
ENGINE = /*Replicated*/ReplacingMergeTree
PARTITION BY toYYYYMM(delivery_date)
ORDER BY (delivery_date, id_hash, id_check, _batch_id)
COMMENT 'Every distinct valid event id of every batch, by delivery date: the dedup lookup across the horizon and the batch accounting (transform_silver registers an id before inserting it)';

-- Added by ALTER, so that a registry from before re-deliveries were registered gets it: every row such a
-- registry holds is a first delivery.
ALTER TABLE silver.event_ids /*ON CLUSTER*/
    ADD COLUMN IF NOT EXISTS is_first UInt8 DEFAULT 1 COMMENT '1: the batch delivered the id first and silver.fact_events holds it under this batch; 0: another delivery (in the horizon) came first';
