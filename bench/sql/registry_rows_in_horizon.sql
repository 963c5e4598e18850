-- The rows of silver.event_ids a window's lookup scans: those delivered within the horizon of its window.
SELECT count() AS rows
FROM silver.event_ids
WHERE delivery_date BETWEEN toDate({window_start:DateTime('UTC')}) - {horizon_days:UInt16} AND toDate({window_start:DateTime('UTC')}) + {horizon_days:UInt16}
