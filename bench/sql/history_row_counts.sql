-- What the history load left in each table, in layer order (counts from part metadata: nothing is read).
SELECT table, rows
FROM
(
    SELECT 1 AS position, 'bronze.stg_events' AS table, (SELECT count() FROM bronze.stg_events) AS rows
    UNION ALL SELECT 2, 'silver.quarantine_events', (SELECT count() FROM silver.quarantine_events)
    UNION ALL SELECT 3, 'silver.event_ids', (SELECT count() FROM silver.event_ids)
    UNION ALL SELECT 4, 'silver.fact_events', (SELECT count() FROM silver.fact_events)
    UNION ALL SELECT 5, 'silver.dim_users', (SELECT count() FROM silver.dim_users)
    UNION ALL SELECT 6, 'gold.agg_events_hourly', (SELECT count() FROM gold.agg_events_hourly)
    UNION ALL SELECT 7, 'gold.rpt_daily_summary', (SELECT count() FROM gold.rpt_daily_summary)
    UNION ALL SELECT 8, 'catalog.pipeline_runs', (SELECT count() FROM catalog.pipeline_runs)
)
ORDER BY position
