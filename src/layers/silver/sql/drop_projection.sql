-- Drops a projection an earlier release had (a mutation of every part: seconds on a large table, once).
ALTER TABLE silver.fact_events /*ON CLUSTER*/ DROP PROJECTION IF EXISTS {{projection}}
