-- The header line of a CSV file, split as records_csv.sql splits its records.
SELECT arrayMap(g -> if(g[1] != '', replaceAll(g[1], '""', '"'), g[2]), extractAllGroups(concat(',', trimRight(line, '\r')), ',(?:"((?:[^"]|"")*)"|([^,"]*))')) AS header
FROM /*TABLE_FUNCTION*/
LIMIT 1
