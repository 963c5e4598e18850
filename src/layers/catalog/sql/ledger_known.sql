-- What the ledger knows of the given files.
SELECT location, size, toString(modified_at) AS modified_at, etag, checksum, batch_id, formatDateTime(window_start, '%Y-%m-%d %H:%i:%S') AS window_start, file_index, rows, status, error
FROM catalog.source_files FINAL
WHERE source = {source:String} AND location IN {locations:Array(String)}
