SELECT c.relname AS table_name, a.attname AS column_name, a.attnum::int AS position,
       format_type(a.atttypid, a.atttypmod) AS data_type,
       coalesce(col_description(c.oid, a.attnum), '') AS description,
       coalesce((SELECT a.attnum = ANY(i.indkey) FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary), false) AS in_primary_key
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE n.nspname = $1 AND c.relkind = 'r'
ORDER BY c.relname, a.attnum
