INSERT INTO catalog.column_registry (database, table_name, target, column_name, position, data_type, description, is_in_sorting_key, is_in_partition_key, registered_at)
SELECT database, table, 'clickhouse', name, position, type, comment, is_in_sorting_key, is_in_partition_key, now64(3)
FROM system.columns
WHERE database IN ('catalog', 'bronze', 'silver', 'gold')
