-- One landed file mapped onto the canonical event: the mapping's expressions over the file's columns (each a
-- String), then what could not be read becomes the row's _source_problem (a value that is not a number:
-- invalid_value; a missing or unparseable time becomes 0, which the quality rules call invalid_event_time).
-- /*…*/ markers are filled from the validated mapping (src/sources/files/reader.ts).
SELECT
    mapped_event_id AS event_id,
    mapped_user_name AS user_name,
    mapped_category AS category,
    mapped_source AS source,
    ifNull(mapped_value, 0) AS value,
    ifNull(mapped_event_time, toDateTime(0, 'UTC')) AS event_time,
    _medallion_line,
    _medallion_record,
    multiIf(_medallion_problem != '', _medallion_problem, mapped_value IS NULL, 'invalid_value', '') AS _medallion_problem
FROM
(
    SELECT
        ifNull(toString(/*event_id*/), '') AS mapped_event_id,
        ifNull(toString(/*user_name*/), '') AS mapped_user_name,
        ifNull(toString(/*category*/), '') AS mapped_category,
        ifNull(toString(/*source*/), '') AS mapped_source,
        CAST((/*value*/) AS Nullable(Float64)) AS mapped_value,
        CAST((/*event_time*/) AS Nullable(DateTime('UTC'))) AS mapped_event_time,
        _medallion_line,
        _medallion_record,
        _medallion_problem
    FROM (/*RECORDS*/)
)
