-- The peer comparison: the seed's gold/sql/transform_hourly.sql (airflow-clickhouse-medallion-etl), with our
-- column names (is_revenue, _batch_id), into a scratch copy of gold.agg_events_hourly. Its touched hours are
-- found by reading all of silver with FINAL for the batch's rows, and each hour is re-aggregated with FINAL.
INSERT INTO bench_peer.agg_events_hourly (event_date, event_hour, category, source, event_count, revenue_events, total_value, _batch_id)
SELECT
    event_date,
    event_hour,
    category,
    source,
    count()          AS event_count,
    sum(is_revenue)  AS revenue_events,
    sum(value)       AS total_value,
    {batch_id:String}
FROM silver.fact_events FINAL
WHERE (event_date, event_hour) IN (
    SELECT DISTINCT event_date, event_hour
    FROM silver.fact_events FINAL
    WHERE _batch_id = {batch_id:String}
)
GROUP BY
    event_date,
    event_hour,
    category,
    source
