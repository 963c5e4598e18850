-- How many of the tables the report reads exist: before the first run's ensure_all_tables there are none.
SELECT count() AS present
FROM system.tables
WHERE concat(database, '.', name) IN {tables:Array(String)}
