import type { Warehouse } from '../../engines/index.js';
import { runScript, sqlFile } from '../../sql.js';
import type { Batch } from '../batch.js';

export async function createTables(clickhouse: Warehouse): Promise<void> {
  await runScript((statement) => clickhouse.command(statement), ddl());
}

/** The layer's DDL (create_tables.sql), with the quality rules in place. */
export function ddl(): string {
  return sqlFile(import.meta.url, 'create_tables').replace('/*REJECTION_RULES*/', rejectionRules());
}

/** The quality rules as one ClickHouse expression over a bronze row's columns (see rejection_rules.sql). */
export function rejectionRules(): string {
  return sqlFile(import.meta.url, 'rejection_rules').replace(/^--.*\n/gm, '').trim();
}

export async function countBatchRows(clickhouse: Warehouse, batch: Batch): Promise<number> {
  const [row] = await clickhouse.rows<{ rows: number }>(sqlFile(import.meta.url, 'count_batch_rows'), batch.params);
  return row?.rows ?? 0;
}

/** The touched windows: the (date, hour) of every valid row of the batch, and their dates. */
export async function touchedWindows(clickhouse: Warehouse, batch: Batch): Promise<TouchedWindows> {
  const rows = await clickhouse.rows<{ hour: string }>(sqlFile(import.meta.url, 'touched_hours'), batch.params);
  const hours = rows.map((row) => row.hour);
  const dates = [...new Set(hours.map((hour) => hour.slice(0, 10)))];
  return { hours, dates, params: { touched_hours: hours, touched_dates: dates } };
}

export interface TouchedWindows {
  /** 'YYYY-MM-DD HH:00:00', ascending. */
  hours: string[];
  /** 'YYYY-MM-DD', ascending. */
  dates: string[];
  /** Bound as {touched_hours:Array(DateTime('UTC'))} and {touched_dates:Array(Date)}. */
  params: { touched_hours: string[]; touched_dates: string[] };
}
