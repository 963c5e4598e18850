-- Money is summed as numeric: exact, so the total does not depend on the order PostgreSQL reads the rows in.
SELECT to_char(event_date, 'YYYY-MM-DD') AS window_key,
       count(*)::bigint AS rows, sum(total_events)::bigint AS total_events, sum(unique_users)::bigint AS unique_users,
       sum(revenue_events)::bigint AS revenue_events, sum(total_revenue::numeric)::double precision AS total_revenue,
       sum(avg_value::numeric)::double precision AS avg_value
FROM {{schema}}.rpt_daily_summary
WHERE event_date = ANY($1::date[])
GROUP BY event_date
