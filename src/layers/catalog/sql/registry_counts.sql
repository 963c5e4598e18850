SELECT (SELECT count() FROM catalog.table_registry FINAL) AS tables, (SELECT count() FROM catalog.column_registry FINAL) AS columns
