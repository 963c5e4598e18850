-- Session-level: held until pg_advisory_unlock or the end of the session, whatever transactions do.
SELECT pg_try_advisory_lock($1::int4, $2::int4) AS acquired
