-- The merges (and mutations) the embedded engine has running, each named by its table and the part it
-- writes: closing the home would throw each away (its unfinished part is deleted when the engine next
-- opens), and the next process would begin it again from nothing.
SELECT concat(database, '.', table, '/', result_part_name) AS merge
FROM system.merges
ORDER BY merge
