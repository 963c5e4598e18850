-- The peer comparison: the seed's gold/sql/transform_daily.sql (airflow-clickhouse-medallion-etl), with our
-- column names (is_revenue, _batch_id), into a scratch copy of gold.rpt_daily_summary: the touched dates from
-- all of silver with FINAL, each date re-aggregated with FINAL.
INSERT INTO bench_peer.rpt_daily_summary (event_date, total_events, unique_users, revenue_events, total_revenue, avg_value, _batch_id)
SELECT
    event_date,
    count()                                  AS total_events,
    uniqExact(user_name)                     AS unique_users,
    sum(is_revenue)                          AS revenue_events,
    sum(if(is_revenue = 1, value, 0))        AS total_revenue,
    avg(value)                               AS avg_value,
    {batch_id:String}
FROM silver.fact_events FINAL
WHERE event_date IN (
    SELECT DISTINCT event_date
    FROM silver.fact_events FINAL
    WHERE _batch_id = {batch_id:String}
)
GROUP BY
    event_date
