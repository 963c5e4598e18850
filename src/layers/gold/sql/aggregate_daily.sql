-- Re-aggregates every touched date whole from silver. The query has the shape of silver's daily_totals
-- projection: a date is read as a few pre-aggregated rows (one per part), its distinct users as exact
-- uniqExact states merged across parts, never as events.
INSERT INTO gold.rpt_daily_summary (event_date, total_events, unique_users, revenue_events, total_revenue, avg_value, _batch_id)
SELECT
    event_date,
    count() AS total_events,
    uniqExact(user_name) AS unique_users,
    sum(is_revenue) AS revenue_events,
    toFloat64(sumIf(value, is_revenue = 1)) AS total_revenue,
    toFloat64(sum(value)) / count() AS avg_value,
    {batch_id:String}
FROM silver.fact_events
WHERE event_date IN {touched_dates:Array(Date)}
GROUP BY event_date
