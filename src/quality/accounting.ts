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
  /** Ids this batch holds in silver without having registered them in silver.event_ids (a later delivery would miss them). */
  unregistered: number;
}

/**
 * Where every bronze row of the batch went, counted from the tables: already_in_silver counts the ids another
 * batch delivered first anywhere in the horizon (`horizonDays` days of delivery either side of the batch's).
 */
export async function batchAccounting(clickhouse: Warehouse, batch: Batch, touched: TouchedWindows, horizonDays: number): Promise<{ accounting: Accounting; silverOnce: SilverOnce }> {
  const [row] = await clickhouse.rows<Accounting & SilverOnce>(sqlFile(import.meta.url, 'batch_accounting'), { ...batch.params, ...touched.params, horizon_days: horizonDays });
  if (!row) throw new Error(`No accounting for batch ${batch.batchId}`);
  const { held_more_than_once, unregistered, ...accounting } = row;
  return { accounting, silverOnce: { held_more_than_once, unregistered } };
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
