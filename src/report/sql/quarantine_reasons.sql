-- Quarantined rows per UTC date of their delivering window and reason (the rules a row broke, as stored:
-- a row counts once, so a day's bars add up to its quarantined rows). The key starts with _window_start,
-- so the span is a key range.
SELECT toString(toDate(_window_start)) AS day, rejection_reason AS reason, count() AS rows
FROM silver.quarantine_events FINAL
WHERE _window_start >= toDateTime({from_date:Date}, 'UTC')
GROUP BY day, reason
ORDER BY day, reason
