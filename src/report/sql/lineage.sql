-- The registered data flows (a few dozen rows: one per source and target).
SELECT source_table, target_table, task_name, transformation
FROM catalog.data_lineage FINAL
ORDER BY source_table, target_table
