-- The PostgreSQL replicas as the server describes them, for the catalog's registry.
SELECT c.relname AS table_name,
       coalesce(obj_description(c.oid, 'pg_class'), '') AS description,
       coalesce((SELECT string_agg(a.attname, ', ' ORDER BY array_position(i.indkey, a.attnum))
                 FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
                 WHERE i.indrelid = c.oid AND i.indisprimary), '') AS primary_key
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND c.relkind = 'r'
ORDER BY c.relname
