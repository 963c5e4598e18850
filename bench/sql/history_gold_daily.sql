-- History for the benchmark: gold.rpt_daily_summary for every date silver holds, with the shape of
-- aggregate_daily (src/layers/gold/sql), so it reads silver's daily_totals projection. A row's _batch_id
-- is the run that last re-aggregated the date: the window 24 hours after the date's last hour, or the last
-- history window.
INSERT INTO gold.rpt_daily_summary (event_date, total_events, unique_users, revenue_events, total_revenue, avg_value, _batch_id)
SELECT
    event_date,
    count() AS total_events,
    uniqExact(user_name) AS unique_users,
    sum(is_revenue) AS revenue_events,
    toFloat64(sumIf(value, is_revenue = 1)) AS total_revenue,
    toFloat64(sum(value)) / count() AS avg_value,
    concat('scheduled__', formatDateTime(least(toDateTime(event_date, 'UTC') + toIntervalHour(47), {last_window:DateTime('UTC')}), '%Y-%m-%dT%H:%i:%S'), '+00:00')
FROM silver.fact_events
GROUP BY event_date
