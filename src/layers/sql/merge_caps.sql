-- The pipeline's MergeTree tables, each with the cap on its merges its settings hold (0: none set, the
-- engine's default of 150 GB).
SELECT database, name AS table, toUInt64OrZero(extract(engine_full, 'max_bytes_to_merge_at_max_space_in_pool = (\\d+)')) AS cap
FROM system.tables
WHERE database IN ('catalog', 'bronze', 'silver', 'gold') AND engine LIKE '%MergeTree'
ORDER BY database, table
