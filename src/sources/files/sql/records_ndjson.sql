-- The lines of an NDJSON file, each column of the mapping read from the line's object as a String (a string
-- unquoted, a number or nested value as its JSON text, null or absent as ''), the line parsed once for all
-- of them. A line that is not a JSON object stays, marked unparsable_line: nothing is dropped.
SELECT
    _row_number + 1 AS _medallion_line,
    line AS _medallion_record,
    if(JSONType(line) = 'Object', '', 'unparsable_line') AS _medallion_problem,
    JSONExtract(line, /*TUPLE_TYPE*/) AS _medallion_fields
    /*COLUMNS*/
FROM /*TABLE_FUNCTION*/
