-- The records of a CSV file with a header line, one per line: the fields split inside ClickHouse (RFC 4180
-- quoting, "" for a quote; a record may not span lines), each column of the mapping taken by its position
-- in the header. A line with another number of fields than the header stays, marked unparsable_line.
SELECT
    _row_number + 1 AS _medallion_line,
    line AS _medallion_record,
    arrayMap(g -> if(g[1] != '', replaceAll(g[1], '""', '"'), g[2]), extractAllGroups(concat(',', trimRight(line, '\r')), ',(?:"((?:[^"]|"")*)"|([^,"]*))')) AS _medallion_fields,
    if(length(_medallion_fields) = {header_width:UInt32}, '', 'unparsable_line') AS _medallion_problem
    /*COLUMNS*/
FROM /*TABLE_FUNCTION*/
WHERE _row_number > 0
