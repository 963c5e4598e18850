-- The latest day of delivery the registry holds (from part metadata): whether a later delivery lies beyond a
-- backfilled window's horizon.
SELECT toString(max(delivery_date)) AS latest FROM silver.event_ids
