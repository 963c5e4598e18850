-- Per landed file of the batch: its records as counted when it was read (the ledger) against its rows in
-- bronze. Empty for the synthetic source.
SELECT l.location AS location, l.rows AS records, ifNull(b.rows, 0) AS bronze_rows
FROM
(
    SELECT location, rows FROM catalog.source_files FINAL
    WHERE batch_id = {batch_id:String} AND window_start = {window_start:DateTime('UTC')} AND status = 'ingested'
) AS l
LEFT JOIN
(
    SELECT _source_file, count() AS rows FROM bronze.stg_events
    WHERE _window_start = {window_start:DateTime('UTC')} AND _batch_id = {batch_id:String} AND _source_file != ''
    GROUP BY _source_file
) AS b ON b._source_file = l.location
ORDER BY location
