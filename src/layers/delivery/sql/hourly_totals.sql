-- Money is summed as numeric: exact, so the total does not depend on the order PostgreSQL reads the rows in.
SELECT to_char(event_date, 'YYYY-MM-DD') || ' ' || lpad(event_hour::text, 2, '0') || ':00:00' AS window_key,
       count(*)::bigint AS rows, sum(event_count)::bigint AS event_count,
       sum(revenue_events)::bigint AS revenue_events, sum(total_value::numeric)::double precision AS total_value
FROM {{schema}}.agg_events_hourly
WHERE (event_date, event_hour) IN (SELECT h::date, extract(hour FROM h)::smallint FROM unnest($1::timestamp[]) AS h)
GROUP BY event_date, event_hour
