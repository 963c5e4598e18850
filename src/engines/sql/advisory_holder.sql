-- Who holds the advisory lock (int4 $1, int4 $2) in this database: pg_locks keeps the two keys as classid
-- and objid with objsubid 2. application_name is visible to every user; backend_start and client_addr only
-- to the session's own user (or pg_read_all_stats).
SELECT l.pid, a.application_name, a.backend_start, host(a.client_addr) AS client_addr
FROM pg_locks AS l
LEFT JOIN pg_stat_activity AS a ON a.pid = l.pid
WHERE l.locktype = 'advisory'
  AND l.granted
  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND l.classid = $1::int4::oid
  AND l.objid = $2::int4::oid
  AND l.objsubid = 2
LIMIT 1
