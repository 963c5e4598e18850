import type { Warehouse } from '../../engines/index.js';
import { faultPoint } from '../../faults.js';
import { runScript, sqlFile } from '../../sql.js';
import type { Batch } from '../batch.js';
import type { TouchedWindows } from '../bronze/repository.js';

export interface HourlyRow {
  event_date: string;
  event_hour: number;
  category: string;
  source: string;
  event_count: number;
  revenue_events: number;
  total_value: number;
  _batch_id: string;
}

export interface DailyRow {
  event_date: string;
  total_events: number;
  unique_users: number;
  revenue_events: number;
  total_revenue: number;
  avg_value: number;
  _batch_id: string;
}

/** The hour a gold row belongs to, as the touched-window key 'YYYY-MM-DD HH:00:00'. */
export function hourOf(row: { event_date: string; event_hour: number }): string {
  return `${row.event_date} ${String(row.event_hour).padStart(2, '0')}:00:00`;
}

export async function createTables(clickhouse: Warehouse): Promise<void> {
  await runScript((statement) => clickhouse.command(statement), ddl());
}

/** The layer's DDL (create_tables.sql). */
export function ddl(): string {
  return sqlFile(import.meta.url, 'create_tables');
}

/** The rows a batch copied into each history table. */
export interface SnapshotCounts {
  hourly: number;
  daily: number;
}

export async function countSnapshots(clickhouse: Warehouse, batch: Batch): Promise<SnapshotCounts> {
  const [row] = await clickhouse.rows<SnapshotCounts>(sqlFile(import.meta.url, 'count_snapshots'), batch.params);
  return row ?? { hourly: 0, daily: 0 };
}

/**
 * Copies the touched gold rows to the history tables, tagged with the batch; rows this batch already
 * copied are skipped, so calling it again after a crash between the two inserts completes the snapshot.
 */
export async function snapshotHistory(clickhouse: Warehouse, batch: Batch, touched: TouchedWindows): Promise<SnapshotCounts> {
  const params = { ...batch.params, ...touched.params };
  await clickhouse.command(sqlFile(import.meta.url, 'snapshot_hourly'), params);
  faultPoint('mid:snapshot_gold_history');
  await clickhouse.command(sqlFile(import.meta.url, 'snapshot_daily'), params);
  return countSnapshots(clickhouse, batch);
}

export async function aggregateHourly(clickhouse: Warehouse, batch: Batch, touched: TouchedWindows): Promise<HourlyRow[]> {
  await clickhouse.command(sqlFile(import.meta.url, 'aggregate_hourly'), { ...batch.params, ...touched.params });
  return readHourly(clickhouse, touched);
}

export async function aggregateDaily(clickhouse: Warehouse, batch: Batch, touched: TouchedWindows): Promise<DailyRow[]> {
  await clickhouse.command(sqlFile(import.meta.url, 'aggregate_daily'), { ...batch.params, ...touched.params });
  return readDaily(clickhouse, touched);
}

export function readHourly(clickhouse: Warehouse, touched: TouchedWindows): Promise<HourlyRow[]> {
  return clickhouse.rows<HourlyRow>(sqlFile(import.meta.url, 'read_hourly'), touched.params);
}

export function readDaily(clickhouse: Warehouse, touched: TouchedWindows): Promise<DailyRow[]> {
  return clickhouse.rows<DailyRow>(sqlFile(import.meta.url, 'read_daily'), touched.params);
}

/** A touched hour's gold rows as one Parquet file. */
export function hourlyPartitionParquet(clickhouse: Warehouse, hour: string): Promise<Buffer> {
  return clickhouse.bytes(sqlFile(import.meta.url, 'hourly_partition_parquet'), 'Parquet', { event_date: hour.slice(0, 10), event_hour: Number(hour.slice(11, 13)) });
}

/** A touched date's gold summary as one Parquet file. */
export function dailyPartitionParquet(clickhouse: Warehouse, date: string): Promise<Buffer> {
  return clickhouse.bytes(sqlFile(import.meta.url, 'daily_partition_parquet'), 'Parquet', { event_date: date });
}
