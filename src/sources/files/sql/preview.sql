-- `medallion sources check`: the first mapped rows of a file with the quality rules evaluated as bronze
-- would evaluate them (for the window starting at {window_start}), nothing written.
SELECT event_id, user_name, category, source, value, toString(event_time) AS event_time, line, record,
       /*REJECTION_RULES*/ AS rejection_reason
FROM
(
    SELECT *, _medallion_line AS line, _medallion_record AS record, _medallion_problem AS _source_problem, {window_start:DateTime('UTC')} AS _window_start
    FROM (/*MAPPED_ROWS*/)
    LIMIT {sample:UInt32}
)
