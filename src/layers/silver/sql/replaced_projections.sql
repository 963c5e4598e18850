-- Which of the projections {names} (those of earlier releases, see upgradeTables) silver.fact_events still has.
SELECT name
FROM system.projections
WHERE database = 'silver' AND table = 'fact_events' AND name IN {names:Array(String)}
