-- Loads one landed file into bronze: every line (or row) of it, good or bad, with its provenance. Rows of the
-- file already in bronze for the batch are skipped, so a load cut short by a crash is completed by the rerun
-- and nothing is loaded twice. _row = file index × 2^32 + line: the row's identity within the batch.
INSERT INTO bronze.stg_events (event_id, user_name, category, source, value, event_time, _batch_id, _window_start, _row, _source_file, _source_line, _source_record, _source_problem)
SELECT
    event_id, user_name, category, source, value, event_time,
    {batch_id:String}, {window_start:DateTime('UTC')},
    {file_index:UInt64} * 4294967296 + _medallion_line AS row,
    {source_file:String}, _medallion_line, _medallion_record, _medallion_problem
FROM (/*MAPPED_ROWS*/)
WHERE row NOT IN (
    SELECT _row FROM bronze.stg_events
    WHERE _window_start = {window_start:DateTime('UTC')} AND _batch_id = {batch_id:String} AND _source_file = {source_file:String}
)
