import type { Warehouse } from '../engines/index.js';
import type { Batch } from '../layers/batch.js';
import type { TouchedWindows } from '../layers/bronze/repository.js';
import { sqlFile } from '../sql.js';

export interface Accounting {
  bronze_rows: number;
  quarantined_rows: number;
  silver_new_rows: number;
  duplicate_rows: number;
  already_in_silver_rows: number;
}

/** Whether silver holds each of the batch's event ids once across the dedup horizon (both 0 when it does). */
export interface SilverOnce {
  /** Ids this batch holds in silver twice, or holds while another batch of the horizon delivered them first. */
  held_more_than_once: number;
  /** Ids this batch holds in silver without having registered them first in silver.event_ids (a later delivery would miss them). */
  unregistered: number;
}

interface BatchCounts {
  bronze_rows: number;
  valid_rows: number;
  quarantined_rows: number;
  silver_rows: number;
  registered_first: number;
  registered_again: number;
}

/**
 * Where every bronze row of the batch went, counted from the tables (batch_accounting.sql): silver_new is what
 * silver holds for the batch, already_in_silver the ids the registry says another delivery of the horizon
 * holds, duplicates the valid rows beyond the batch's distinct ids. The equation holds when quarantine holds
 * exactly the invalid rows and silver exactly the ids the batch registered first. When silver and the
 * registry disagree, the ids at fault are counted one by one (silver_once_diagnosis.sql, a full pass).
 */
export async function batchAccounting(clickhouse: Warehouse, batch: Batch, touched: TouchedWindows, horizonDays: number): Promise<{ accounting: Accounting; silverOnce: SilverOnce }> {
  const params = { ...batch.params, ...touched.params, horizon_days: horizonDays };
  const [counts] = await clickhouse.rows<BatchCounts>(sqlFile(import.meta.url, 'batch_accounting'), params);
  if (!counts) throw new Error(`No accounting for batch ${batch.batchId}`);
  const accounting: Accounting = {
    bronze_rows: counts.bronze_rows,
    quarantined_rows: counts.quarantined_rows,
    silver_new_rows: counts.silver_rows,
    duplicate_rows: counts.valid_rows - counts.registered_first - counts.registered_again,
    already_in_silver_rows: counts.registered_again,
  };
  if (counts.silver_rows === counts.registered_first) return { accounting, silverOnce: { held_more_than_once: 0, unregistered: 0 } };
  const [diagnosis] = await clickhouse.rows<SilverOnce>(sqlFile(import.meta.url, 'silver_once_diagnosis'), params);
  return { accounting, silverOnce: diagnosis ?? { held_more_than_once: 0, unregistered: 0 } };
}

export function accountedRows(accounting: Accounting): number {
  return accounting.quarantined_rows + accounting.silver_new_rows + accounting.duplicate_rows + accounting.already_in_silver_rows;
}

export async function silverHourlyEvents(clickhouse: Warehouse, touched: TouchedWindows): Promise<Map<string, number>> {
  const rows = await clickhouse.rows<{ window_key: string; events: number }>(sqlFile(import.meta.url, 'silver_hourly_events'), touched.params);
  return new Map(rows.map((row) => [row.window_key, row.events]));
}

/** Per landed file of the batch: its records when read, and its rows in bronze. */
export function fileAccounting(clickhouse: Warehouse, batch: Batch): Promise<{ location: string; records: number; bronze_rows: number }[]> {
  return clickhouse.rows(sqlFile(import.meta.url, 'file_accounting'), batch.params);
}
