-- Re-aggregates every touched hour whole from silver, so late events correct the hour they belong to.
-- The query has the shape of silver's hourly_batch_totals projection (without the batch): it reads pre-aggregated rows.
INSERT INTO gold.agg_events_hourly (event_date, event_hour, category, source, event_count, revenue_events, total_value, _batch_id)
SELECT event_date, event_hour, category, source, count(), sum(is_revenue), toFloat64(sum(value)), {batch_id:String}
FROM silver.fact_events
WHERE (event_date, event_hour) IN (SELECT toDate(hour), toHour(hour) FROM (SELECT arrayJoin({touched_hours:Array(DateTime('UTC'))}) AS hour))
GROUP BY event_date, event_hour, category, source
