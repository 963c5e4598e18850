-- Reads a landed file once before it is loaded, without parsing it: how many records it has (its bronze rows
-- to be) and a checksum of its raw lines (text) or rows (Parquet). A file that cannot be read (truncated,
-- wrong format, corrupt compression) fails here, before any row of it reaches bronze: a file is ingested
-- wholly or not at all.
SELECT count() AS rows, toString(sum(cityHash64(*, _row_number))) AS checksum
FROM /*TABLE_FUNCTION*/
/*HEADER_FILTER*/
