SELECT count() AS rows
FROM bronze.stg_events
WHERE _window_start = {window_start:DateTime('UTC')} AND _batch_id = {batch_id:String} AND _source_file = {source_file:String}
