-- The registry is read from ClickHouse itself: engine, keys and the DDL's COMMENT are never restated.
INSERT INTO catalog.table_registry (database, table_name, target, layer, engine, partition_key, sorting_key, description, registered_at)
SELECT database, name, 'clickhouse', database, engine, partition_key, sorting_key, comment, now64(3)
FROM system.tables
WHERE database IN ('catalog', 'bronze', 'silver', 'gold') AND NOT is_temporary
