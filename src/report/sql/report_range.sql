-- The report's span ends at the latest window run (not at the clock: a backfill of last year reports last
-- year) and reaches back {days} UTC dates, that date included.
SELECT count() AS runs,
       formatDateTime(max(window_start), '%Y-%m-%d %H:%i') AS latest_window,
       toString(toDate(max(window_start)) - ({days:UInt32} - 1)) AS from_date
FROM catalog.pipeline_runs FINAL
