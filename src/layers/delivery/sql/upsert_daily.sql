-- One batch of touched dates (arrays bound as parameters); the caller runs every batch in one transaction.
INSERT INTO {{schema}}.rpt_daily_summary (event_date, total_events, unique_users, revenue_events, total_revenue, avg_value, _batch_id, _loaded_at)
SELECT event_date, total_events, unique_users, revenue_events, total_revenue, avg_value, _batch_id, now()
FROM unnest($1::date[], $2::bigint[], $3::bigint[], $4::bigint[], $5::double precision[], $6::double precision[], $7::text[])
    AS incoming(event_date, total_events, unique_users, revenue_events, total_revenue, avg_value, _batch_id)
ON CONFLICT (event_date) DO UPDATE SET
    total_events = EXCLUDED.total_events,
    unique_users = EXCLUDED.unique_users,
    revenue_events = EXCLUDED.revenue_events,
    total_revenue = EXCLUDED.total_revenue,
    avg_value = EXCLUDED.avg_value,
    _batch_id = EXCLUDED._batch_id,
    _loaded_at = EXCLUDED._loaded_at
