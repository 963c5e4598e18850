-- The ledger of one source, newest first.
SELECT location, size, toString(modified_at) AS modified_at, etag, checksum, batch_id, formatDateTime(window_start, '%Y-%m-%d %H:%i:%S') AS window_start, file_index, rows, status, error, toString(updated_at) AS updated_at
FROM catalog.source_files FINAL
WHERE source = {source:String}
ORDER BY updated_at DESC, location
LIMIT {limit:UInt32}
