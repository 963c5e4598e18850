-- One batch of touched rows (arrays bound as parameters); the caller runs every batch in one transaction.
INSERT INTO {{schema}}.agg_events_hourly (event_date, event_hour, category, source, event_count, revenue_events, total_value, _batch_id, _loaded_at)
SELECT event_date, event_hour, category, source, event_count, revenue_events, total_value, _batch_id, now()
FROM unnest($1::date[], $2::smallint[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::double precision[], $8::text[])
    AS incoming(event_date, event_hour, category, source, event_count, revenue_events, total_value, _batch_id)
ON CONFLICT (event_date, event_hour, category, source) DO UPDATE SET
    event_count = EXCLUDED.event_count,
    revenue_events = EXCLUDED.revenue_events,
    total_value = EXCLUDED.total_value,
    _batch_id = EXCLUDED._batch_id,
    _loaded_at = EXCLUDED._loaded_at
