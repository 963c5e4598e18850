-- Scratch copies of the gold tables (same columns and engine) for the seed's statements to write into,
-- so they do the work of a gold task (aggregate and insert) without touching gold. Dropped afterwards.
CREATE DATABASE IF NOT EXISTS bench_peer;

CREATE TABLE IF NOT EXISTS bench_peer.agg_events_hourly AS gold.agg_events_hourly;

CREATE TABLE IF NOT EXISTS bench_peer.rpt_daily_summary AS gold.rpt_daily_summary
