-- One definition for a single node and a cluster: the /*…*/ markers are rendered by src/sql.ts (renderDeployment).
CREATE DATABASE IF NOT EXISTS catalog /*ON CLUSTER*/ COMMENT 'Metadata governance: registry, lineage, runs, validations, benchmarks';

CREATE TABLE IF NOT EXISTS catalog.table_registry /*ON CLUSTER*/
(
    database       String   COMMENT 'Database (ClickHouse) or schema (PostgreSQL) of the table',
    table_name     String   COMMENT 'Table name',
    target         LowCardinality(String) COMMENT 'Engine that holds the table: clickhouse or postgres',
    layer          LowCardinality(String) COMMENT 'Medallion layer: catalog, bronze, silver, gold or delivery',
    engine         String   COMMENT 'Table engine as the database reports it',
    partition_key  String   COMMENT 'PARTITION BY expression as the database reports it',
    sorting_key    String   COMMENT 'ORDER BY (or primary key) expression as the database reports it',
    description    String   COMMENT 'The table COMMENT from its DDL',
    registered_at  DateTime64(3, 'UTC') COMMENT 'When this registration was written'
)
ENGINE = /*Replicated*/ReplacingMergeTree(registered_at)
ORDER BY (target, database, table_name)
COMMENT 'Every pipeline table, read from the engines'' own system tables (never written by hand)';

CREATE TABLE IF NOT EXISTS catalog.column_registry /*ON CLUSTER*/
(
    database       String   COMMENT 'Database or schema of the table',
    table_name     String   COMMENT 'Table name',
    target         LowCardinality(String) COMMENT 'clickhouse or postgres',
    column_name    String   COMMENT 'Column name',
    position       UInt32   COMMENT 'Ordinal position of the column, from 1',
    data_type      String   COMMENT 'Column type as the database reports it',
    description    String   COMMENT 'The column COMMENT from its DDL',
    is_in_sorting_key   UInt8 COMMENT '1 when the column is part of the sorting or primary key',
    is_in_partition_key UInt8 COMMENT '1 when the column is part of the partition key',
    registered_at  DateTime64(3, 'UTC') COMMENT 'When this registration was written'
)
ENGINE = /*Replicated*/ReplacingMergeTree(registered_at)
ORDER BY (target, database, table_name, column_name)
COMMENT 'Every column of every pipeline table, read from system.columns / information_schema';

CREATE TABLE IF NOT EXISTS catalog.data_lineage /*ON CLUSTER*/
(
    source_table   String   COMMENT 'Source dataset: a ClickHouse table (database.table), or the configured source (source.synthetic, landing.<name>)',
    target_table   String   COMMENT 'Target dataset: a ClickHouse table (database.table), or a delivered replica (lake.<table>, postgres.<schema>.<table>)',
    task_name      String   COMMENT 'Pipeline task that realises the flow',
    transformation String   COMMENT 'What the flow does to the rows',
    registered_at  DateTime64(3, 'UTC') COMMENT 'When this registration was written'
)
ENGINE = /*Replicated*/ReplacingMergeTree(registered_at)
ORDER BY (source_table, target_table)
COMMENT 'The data flows, derived from what each task of the graph declares it reads and writes';

-- A table created with the earlier comments (hand-listed flows between tables) takes these.
ALTER TABLE catalog.data_lineage /*ON CLUSTER*/
    MODIFY COMMENT 'The data flows, derived from what each task of the graph declares it reads and writes',
    COMMENT COLUMN source_table 'Source dataset: a ClickHouse table (database.table), or the configured source (source.synthetic, landing.<name>)',
    COMMENT COLUMN target_table 'Target dataset: a ClickHouse table (database.table), or a delivered replica (lake.<table>, postgres.<schema>.<table>)';

CREATE TABLE IF NOT EXISTS catalog.pipeline_runs /*ON CLUSTER*/
(
    run_id          String   COMMENT 'Batch id: the Airflow run id, or scheduled__<window start>',
    window_start    DateTime('UTC') COMMENT 'Start of the hourly window (inclusive)',
    window_end      DateTime('UTC') COMMENT 'End of the hourly window (exclusive)',
    status          LowCardinality(String) COMMENT 'running, success or failed',
    framework       LowCardinality(String) COMMENT 'Orchestrator that ran it (embedded runner or airflow)',
    started_at      DateTime64(3, 'UTC') COMMENT 'When the run started',
    finished_at     Nullable(DateTime64(3, 'UTC')) COMMENT 'When the run reached success or failed',
    failed_task     String   COMMENT 'Task that failed the run (empty unless failed)',
    error           String   COMMENT 'Error of the failed task (empty unless failed)',
    bronze_rows     UInt64   COMMENT 'Rows of this batch in bronze.stg_events',
    quarantined_rows UInt64  COMMENT 'Rows of this batch in silver.quarantine_events',
    silver_new_rows UInt64   COMMENT 'Events this batch added to silver.fact_events',
    duplicate_rows  UInt64   COMMENT 'Valid rows repeating an event_id earlier in the same batch',
    already_in_silver_rows UInt64 COMMENT 'Valid rows whose event_id an earlier batch already delivered',
    dim_users_new   UInt64   COMMENT 'dim_users versions that begin at the window (new users and type-2 changes)',
    dim_users_updated UInt64 COMMENT 'dim_users versions closed at the window by a type-2 change',
    gold_hourly_rows UInt64  COMMENT 'gold.agg_events_hourly rows written for the touched hours',
    gold_daily_rows UInt64   COMMENT 'gold.rpt_daily_summary rows written for the touched dates',
    touched_hours   UInt32   COMMENT 'Distinct (event_date, event_hour) the batch touched',
    updated_at      DateTime64(6, 'UTC') COMMENT 'Version of this row: the latest write wins'
)
ENGINE = /*Replicated*/ReplacingMergeTree(updated_at)
ORDER BY run_id
COMMENT 'One row per run: running, then success or failed with the task and error';

CREATE TABLE IF NOT EXISTS catalog.validation_log /*ON CLUSTER*/
(
    run_id        String   COMMENT 'Run that performed the check',
    checked_at    DateTime64(3, 'UTC') COMMENT 'When the check ran',
    check_name    LowCardinality(String) COMMENT 'Which comparison: e.g. accounting, gold_vs_silver, clickhouse_vs_postgres, clickhouse_vs_lake',
    grain         LowCardinality(String) COMMENT 'batch, hour, date or file',
    window_key    String   COMMENT 'The window checked: the batch id, YYYY-MM-DD HH:00 or YYYY-MM-DD',
    metric        LowCardinality(String) COMMENT 'Metric compared, e.g. rows, event_count, total_value',
    expected      Float64  COMMENT 'Value on the reference side (ClickHouse)',
    actual        Float64  COMMENT 'Value on the checked side',
    passed        UInt8    COMMENT '1 when the values agree (money within 0.01)'
)
ENGINE = /*Replicated*/MergeTree
PARTITION BY toYYYYMM(checked_at)
ORDER BY (run_id, check_name, window_key, metric)
COMMENT 'Every quality and delivery check, appended per run';

CREATE TABLE IF NOT EXISTS catalog.benchmark_log /*ON CLUSTER*/
(
    framework       LowCardinality(String) COMMENT 'Orchestrator that ran the task, for side-by-side comparison',
    run_id          String   COMMENT 'Run of the task attempt',
    task_name       LowCardinality(String) COMMENT 'Task id from the graph',
    attempt         UInt16   COMMENT 'Attempt number from 1',
    status          LowCardinality(String) COMMENT 'success or failed',
    started_at      DateTime64(3, 'UTC') COMMENT 'When the attempt started',
    duration_ms     Float64  COMMENT 'Wall-clock duration of the attempt',
    rows_in         UInt64   COMMENT 'Rows the task read',
    rows_out        UInt64   COMMENT 'Rows the task wrote',
    rows_per_second Float64  COMMENT 'max(rows_in, rows_out) per second of the attempt',
    peak_rss_bytes  UInt64   COMMENT 'Peak resident memory of the process at the end of the attempt',
    metrics         Map(String, Float64) COMMENT 'Named counts the task reported (bronze rows, quarantined, …)',
    error           String   COMMENT 'Error message of a failed attempt'
)
ENGINE = /*Replicated*/MergeTree
PARTITION BY toYYYYMM(started_at)
ORDER BY (run_id, task_name, attempt, started_at)
COMMENT 'One row per task attempt: duration, rows in/out, throughput and peak memory';

CREATE TABLE IF NOT EXISTS catalog.source_files /*ON CLUSTER*/
(
    source          LowCardinality(String) COMMENT 'Name of the files source (its mapping''s name)',
    location        String   COMMENT 'The file: absolute path, or s3://bucket/key',
    size            UInt64   COMMENT 'Size in bytes when the file was taken',
    modified_at     DateTime64(3, 'UTC') COMMENT 'Modification time when the file was taken (S3: LastModified)',
    etag            String   COMMENT 'S3 ETag when the file was taken; empty for a directory',
    checksum        String   COMMENT 'Checksum of the content as ingested (computed inside ClickHouse over its lines or rows)',
    batch_id        String   COMMENT 'Run that took the file: the file belongs to this run''s window',
    window_start    DateTime('UTC') COMMENT 'Window of that run',
    file_index      UInt32   COMMENT 'Position of the file among the run''s files: the high half of its rows'' _row in bronze',
    rows            UInt64   COMMENT 'Lines (records, a CSV header excluded) or rows of the file: its bronze rows',
    status          LowCardinality(String) COMMENT 'taken, ingested, failed (unreadable: see error), changed (content changed after ingestion) or released (to be ingested again)',
    error           String   COMMENT 'Why the file failed, or what changed',
    updated_at      DateTime64(6, 'UTC') COMMENT 'Version of this row: the latest write wins'
)
ENGINE = /*Replicated*/ReplacingMergeTree(updated_at)
ORDER BY (source, location)
COMMENT 'The files ledger: each landed file is taken by one run and ingested exactly once';
