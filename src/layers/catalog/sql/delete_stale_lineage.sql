DELETE FROM catalog.data_lineage
WHERE NOT has({flows:Array(String)}, concat(source_table, ' -> ', target_table))
