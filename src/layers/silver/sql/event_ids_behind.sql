-- silver.event_ids holds one row per silver event (the registration comes first), so fewer rows than silver
-- means events silver held before the registry existed: a deployment upgraded from a release without it,
-- or a backfill cut short. Both counts come from part metadata: nothing is read.
SELECT (SELECT count() FROM silver.event_ids) < (SELECT count() FROM silver.fact_events) AS behind
