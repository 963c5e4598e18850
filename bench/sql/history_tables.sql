-- Scratch table of the history load: the first delivery of every event id new in the chunk being loaded,
-- as one number (the bronze row's window start in seconds × 2^32 + its _row: a synthetic window has far fewer
-- than 2^32 rows), and the id's fingerprint. Written by history_firsts.sql, read by history_event_ids.sql and
-- history_fact_events.sql; dropped when the history is loaded.
CREATE DATABASE IF NOT EXISTS bench_history;

CREATE TABLE IF NOT EXISTS bench_history.firsts
(
    first           UInt64,
    id_hash         UInt64,
    id_check        UInt32
)
ENGINE = Memory
