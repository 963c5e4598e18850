-- Re-aggregates every touched date whole from silver. The inner query has the shape of silver's
-- user_daily_totals projection: a day is read as (date, user) rows, not as events.
INSERT INTO gold.rpt_daily_summary (event_date, total_events, unique_users, revenue_events, total_revenue, avg_value, _batch_id)
SELECT
    event_date,
    sum(events) AS total_events,
    count() AS unique_users,
    sum(revenue_events) AS revenue_events,
    toFloat64(sum(revenue)) AS total_revenue,
    toFloat64(sum(value)) / sum(events) AS avg_value,
    {batch_id:String}
FROM
(
    SELECT event_date, user_name, count() AS events, sum(is_revenue) AS revenue_events, sum(value) AS value, sumIf(value, is_revenue = 1) AS revenue
    FROM silver.fact_events
    WHERE event_date IN {touched_dates:Array(Date)}
    GROUP BY event_date, user_name
)
GROUP BY event_date
