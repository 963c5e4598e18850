-- Flows registered before that the declarations no longer make: another source or PostgreSQL schema was
-- configured since, or a task's reads or writes changed.
SELECT count() AS flows
FROM catalog.data_lineage FINAL
WHERE NOT has({flows:Array(String)}, concat(source_table, ' -> ', target_table))
