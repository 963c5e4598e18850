-- The touched hours' gold rows as they stand before this batch re-aggregates them. Rows this batch already
-- snapshotted are skipped, so a snapshot cut short by a crash is completed by the rerun (gold has not been
-- re-aggregated in between: the aggregations run only after the snapshot task has succeeded).
INSERT INTO gold.agg_events_hourly_history (event_date, event_hour, category, source, event_count, revenue_events, total_value, _batch_id, _snapshot_batch)
SELECT event_date, event_hour, category, source, event_count, revenue_events, total_value, _batch_id, {batch_id:String}
FROM gold.agg_events_hourly FINAL
WHERE (event_date, event_hour) IN (SELECT toDate(hour), toHour(hour) FROM (SELECT arrayJoin({touched_hours:Array(DateTime('UTC'))}) AS hour))
  AND (event_date, event_hour, category, source) NOT IN (
      SELECT event_date, event_hour, category, source FROM gold.agg_events_hourly_history WHERE _snapshot_batch = {batch_id:String}
  )
