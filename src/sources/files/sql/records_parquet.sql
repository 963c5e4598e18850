-- The rows of a Parquet file, each column of the mapping as a String (null as '').
SELECT
    _row_number + 1 AS _medallion_line,
    '' AS _medallion_record,
    '' AS _medallion_problem
    /*COLUMNS*/
FROM (SELECT *, _row_number FROM /*TABLE_FUNCTION*/)
