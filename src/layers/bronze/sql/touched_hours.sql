-- The hours the batch's valid rows fall in, late events included: every downstream step works on these.
SELECT DISTINCT formatDateTime(toStartOfHour(event_time), '%Y-%m-%d %H:00:00') AS hour
FROM bronze.stg_events
WHERE _window_start = {window_start:DateTime('UTC')} AND _batch_id = {batch_id:String} AND _rejection_reason = ''
ORDER BY hour
