-- One definition for a single node and a cluster: the /*…*/ markers are rendered by src/sql.ts (renderDeployment).
CREATE DATABASE IF NOT EXISTS gold /*ON CLUSTER*/ COMMENT 'Business KPIs and their audit snapshots';

CREATE TABLE IF NOT EXISTS gold.agg_events_hourly /*ON CLUSTER*/
(
    event_date      Date     COMMENT 'UTC date',
    event_hour      UInt8    COMMENT 'UTC hour (0-23)',
    category        LowCardinality(String) COMMENT 'Event category',
    source          LowCardinality(String) COMMENT 'Channel the events came from',
    event_count     UInt64   COMMENT 'Events in the hour for this category and source',
    revenue_events  UInt64   COMMENT 'Purchases with value > 0',
    total_value     Float64  COMMENT 'Sum of event values',
    _batch_id       String   COMMENT 'Run that last aggregated this row'
)
ENGINE = /*Replicated*/ReplacingMergeTree
PARTITION BY toYYYYMM(event_date)
ORDER BY (event_date, event_hour, category, source)
COMMENT 'Hourly operational KPI per (event_date, event_hour, category, source)';

CREATE TABLE IF NOT EXISTS gold.rpt_daily_summary /*ON CLUSTER*/
(
    event_date      Date     COMMENT 'UTC date',
    total_events    UInt64   COMMENT 'Events of the day',
    unique_users    UInt64   COMMENT 'Distinct users with an event that day',
    revenue_events  UInt64   COMMENT 'Purchases with value > 0',
    total_revenue   Float64  COMMENT 'Sum of the values of revenue events',
    avg_value       Float64  COMMENT 'Average event value over all events of the day',
    _batch_id       String   COMMENT 'Run that last aggregated this row'
)
ENGINE = /*Replicated*/ReplacingMergeTree
PARTITION BY toYYYYMM(event_date)
ORDER BY event_date
COMMENT 'Daily executive KPI per event_date';

CREATE TABLE IF NOT EXISTS gold.agg_events_hourly_history /*ON CLUSTER*/
(
    event_date      Date     COMMENT 'UTC date',
    event_hour      UInt8    COMMENT 'UTC hour (0-23)',
    category        LowCardinality(String) COMMENT 'Event category',
    source          LowCardinality(String) COMMENT 'Channel the events came from',
    event_count     UInt64   COMMENT 'Events as gold said before the snapshotting batch',
    revenue_events  UInt64   COMMENT 'Revenue events as gold said before the snapshotting batch',
    total_value     Float64  COMMENT 'Value as gold said before the snapshotting batch',
    _batch_id       String   COMMENT 'Run that had aggregated the snapshotted row',
    _snapshot_batch String   COMMENT 'Run that took the snapshot before re-aggregating',
    _snapshot_at    DateTime64(3, 'UTC') DEFAULT now64(3) COMMENT 'When the snapshot was taken'
)
ENGINE = /*Replicated*/MergeTree
PARTITION BY toYYYYMM(event_date)
ORDER BY (_snapshot_batch, event_date, event_hour, category, source)
COMMENT 'Audit trail: gold hourly rows as they were before each batch re-aggregated them';

CREATE TABLE IF NOT EXISTS gold.rpt_daily_summary_history /*ON CLUSTER*/
(
    event_date      Date     COMMENT 'UTC date',
    total_events    UInt64   COMMENT 'Events as gold said before the snapshotting batch',
    unique_users    UInt64   COMMENT 'Distinct users as gold said before the snapshotting batch',
    revenue_events  UInt64   COMMENT 'Revenue events as gold said before the snapshotting batch',
    total_revenue   Float64  COMMENT 'Revenue as gold said before the snapshotting batch',
    avg_value       Float64  COMMENT 'Average value as gold said before the snapshotting batch',
    _batch_id       String   COMMENT 'Run that had aggregated the snapshotted row',
    _snapshot_batch String   COMMENT 'Run that took the snapshot before re-aggregating',
    _snapshot_at    DateTime64(3, 'UTC') DEFAULT now64(3) COMMENT 'When the snapshot was taken'
)
ENGINE = /*Replicated*/MergeTree
PARTITION BY toYYYYMM(event_date)
ORDER BY (_snapshot_batch, event_date)
COMMENT 'Audit trail: gold daily rows as they were before each batch re-aggregated them';
