-- silver.dim_users' sorting key, and whether silver.dim_users_next is there: the table an upgrade from the
-- layout keyed by (user_name, valid_from) copies the dimension into before exchanging the two.
SELECT name, sorting_key
FROM system.tables
WHERE database = 'silver' AND name IN ('dim_users', 'dim_users_next')
