CREATE SCHEMA IF NOT EXISTS {{schema}};

CREATE TABLE IF NOT EXISTS {{schema}}.agg_events_hourly
(
    event_date      date             NOT NULL,
    event_hour      smallint         NOT NULL,
    category        text             NOT NULL,
    source          text             NOT NULL,
    event_count     bigint           NOT NULL,
    revenue_events  bigint           NOT NULL,
    total_value     double precision NOT NULL,
    _batch_id       text             NOT NULL,
    _loaded_at      timestamptz      NOT NULL DEFAULT now(),
    PRIMARY KEY (event_date, event_hour, category, source)
);

COMMENT ON TABLE {{schema}}.agg_events_hourly IS 'Hourly operational KPI, replica of gold.agg_events_hourly (upserted per touched hour)';
COMMENT ON COLUMN {{schema}}.agg_events_hourly.event_date IS 'UTC date';
COMMENT ON COLUMN {{schema}}.agg_events_hourly.event_hour IS 'UTC hour (0-23)';
COMMENT ON COLUMN {{schema}}.agg_events_hourly.category IS 'Event category';
COMMENT ON COLUMN {{schema}}.agg_events_hourly.source IS 'Channel the events came from';
COMMENT ON COLUMN {{schema}}.agg_events_hourly.event_count IS 'Events in the hour for this category and source';
COMMENT ON COLUMN {{schema}}.agg_events_hourly.revenue_events IS 'Purchases with value > 0';
COMMENT ON COLUMN {{schema}}.agg_events_hourly.total_value IS 'Sum of event values';
COMMENT ON COLUMN {{schema}}.agg_events_hourly._batch_id IS 'Run that last loaded this row';
COMMENT ON COLUMN {{schema}}.agg_events_hourly._loaded_at IS 'When the row was last loaded';

CREATE TABLE IF NOT EXISTS {{schema}}.rpt_daily_summary
(
    event_date      date             NOT NULL PRIMARY KEY,
    total_events    bigint           NOT NULL,
    unique_users    bigint           NOT NULL,
    revenue_events  bigint           NOT NULL,
    total_revenue   double precision NOT NULL,
    avg_value       double precision NOT NULL,
    _batch_id       text             NOT NULL,
    _loaded_at      timestamptz      NOT NULL DEFAULT now()
);

COMMENT ON TABLE {{schema}}.rpt_daily_summary IS 'Daily executive KPI, replica of gold.rpt_daily_summary (upserted per touched date)';
COMMENT ON COLUMN {{schema}}.rpt_daily_summary.event_date IS 'UTC date';
COMMENT ON COLUMN {{schema}}.rpt_daily_summary.total_events IS 'Events of the day';
COMMENT ON COLUMN {{schema}}.rpt_daily_summary.unique_users IS 'Distinct users with an event that day';
COMMENT ON COLUMN {{schema}}.rpt_daily_summary.revenue_events IS 'Purchases with value > 0';
COMMENT ON COLUMN {{schema}}.rpt_daily_summary.total_revenue IS 'Sum of the values of revenue events';
COMMENT ON COLUMN {{schema}}.rpt_daily_summary.avg_value IS 'Average event value over all events of the day';
COMMENT ON COLUMN {{schema}}.rpt_daily_summary._batch_id IS 'Run that last loaded this row';
COMMENT ON COLUMN {{schema}}.rpt_daily_summary._loaded_at IS 'When the row was last loaded';
