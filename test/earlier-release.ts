/**
 * What a home of the release before hourly_batch_totals holds: the statements that give silver.fact_events its
 * projections of then (hourly_totals and batch_hours, built for every part, hourly_batch_totals absent). Used by
 * the upgrade tests (test/silver-once.test.ts, and test/earlier-projections.ts for test/projection-upgrade.test.ts).
 */
export const EARLIER_PROJECTIONS: readonly string[] = [
  'ALTER TABLE silver.fact_events DROP PROJECTION hourly_batch_totals SETTINGS mutations_sync = 2',
  'ALTER TABLE silver.fact_events ADD PROJECTION hourly_totals (SELECT event_date, event_hour, category, source, count(), sum(is_revenue), sum(value) GROUP BY event_date, event_hour, category, source)',
  'ALTER TABLE silver.fact_events ADD PROJECTION batch_hours (SELECT _batch_id, event_date, event_hour, count() GROUP BY _batch_id, event_date, event_hour)',
  'ALTER TABLE silver.fact_events MATERIALIZE PROJECTION hourly_totals SETTINGS mutations_sync = 2',
  'ALTER TABLE silver.fact_events MATERIALIZE PROJECTION batch_hours SETTINGS mutations_sync = 2',
];
