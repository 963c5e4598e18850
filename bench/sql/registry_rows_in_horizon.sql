-- The rows of silver.event_ids a window's lookup scanned: those delivered within the horizon of its window,
-- counted after the bench's windows, so the rows of the windows run after it ({later}: their run ids) are left out.
SELECT count() AS rows
FROM silver.event_ids
WHERE delivery_date BETWEEN toDate({window_start:DateTime('UTC')}) - {horizon_days:UInt16} AND toDate({window_start:DateTime('UTC')}) + {horizon_days:UInt16}
  AND _batch_id NOT IN {later:Array(String)}
