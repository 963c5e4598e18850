-- Active parts of silver.fact_events without the projection {projection} (written before it existed).
SELECT count() AS without
FROM system.parts
WHERE database = 'silver' AND table = 'fact_events' AND active
  AND name NOT IN (
      SELECT parent_name FROM system.projection_parts
      WHERE database = 'silver' AND table = 'fact_events' AND name = {projection:String} AND active
  )
