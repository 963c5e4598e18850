-- The files a run took, in the order they were given their index.
SELECT location, size, toString(modified_at) AS modified_at, etag, checksum, batch_id, formatDateTime(window_start, '%Y-%m-%d %H:%i:%S') AS window_start, file_index, rows, status, error
FROM catalog.source_files FINAL
WHERE source = {source:String} AND batch_id = {batch_id:String} AND status IN ('taken', 'ingested', 'failed')
ORDER BY file_index
