-- Every registered column, in table order: what OpenLineage's schema facets describe (src/openlineage/).
SELECT target, database, table_name, column_name, position, data_type, description
FROM catalog.column_registry FINAL
ORDER BY target, database, table_name, position
