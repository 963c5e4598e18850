-- The dimension's tables and their sorting keys: silver.dim_users keyed by (user_name, valid_from) is the
-- layout before 2026-11 (migrated by createTables), dim_users_previous_layout the same table set aside while
-- its rows are copied.
SELECT name, sorting_key
FROM system.tables
WHERE database = 'silver' AND name IN ('dim_users', 'dim_users_previous_layout')
