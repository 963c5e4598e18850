-- What of the replica schema already exists: an owner may have created it for a loader without CREATE.
SELECT current_user AS user_name, current_database() AS database_name,
       EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1) AS schema_exists,
       coalesce((SELECT array_agg(tablename::text ORDER BY tablename) FROM pg_tables WHERE schemaname = $1), '{}') AS tables
