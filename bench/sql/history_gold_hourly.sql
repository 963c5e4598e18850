-- History for the benchmark: gold.agg_events_hourly for every hour silver holds, with the shape of
-- aggregate_hourly (src/layers/gold/sql), so it reads silver's hourly_batch_totals projection. A row's _batch_id is
-- the run that last re-aggregated the hour: a window touches its own hour and the 24 before it (late
-- events), so the window 24 hours after it, or the last history window.
INSERT INTO gold.agg_events_hourly (event_date, event_hour, category, source, event_count, revenue_events, total_value, _batch_id)
SELECT
    event_date, event_hour, category, source, event_count, revenue_events, total_value,
    concat('scheduled__', formatDateTime(least(toDateTime(event_date, 'UTC') + toIntervalHour(event_hour + 24), {last_window:DateTime('UTC')}), '%Y-%m-%dT%H:%i:%S'), '+00:00')
FROM
(
    SELECT event_date, event_hour, category, source, count() AS event_count, sum(is_revenue) AS revenue_events, toFloat64(sum(value)) AS total_value
    FROM silver.fact_events
    GROUP BY event_date, event_hour, category, source
)
