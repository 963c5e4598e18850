-- Empties the lineage before the current flows are written again (see registerLineage): at once, unlike a
-- DELETE, which is a mutation queued behind the background merges. On a cluster the replicated table
-- replicates the truncation, as it did the DELETE.
TRUNCATE TABLE catalog.data_lineage
