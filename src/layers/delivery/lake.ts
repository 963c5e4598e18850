import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import type { Lake, Warehouse } from '../../engines/index.js';
import type { TouchedWindows } from '../bronze/repository.js';
import * as gold from '../gold/repository.js';
import type { WindowTotals } from './repository.js';

/** The gold tables' Hive partition folders in the lake. */
const folders = {
  hourlyDate: (date: string) => `agg_events_hourly/event_date=${date}/`,
  hourly: (hour: string) => `${folders.hourlyDate(hour.slice(0, 10))}event_hour=${hour.slice(11, 13)}/`,
  daily: (date: string) => `rpt_daily_summary/event_date=${date}/`,
};

/** Each partition is one part file. */
export const lakeKeys = {
  hourly: (hour: string) => `${folders.hourly(hour)}part-0.parquet`,
  daily: (date: string) => `${folders.daily(date)}part-0.parquet`,
};

/** A touched partition: its window, its part file and every object in its folder (the part file included). */
export interface LakePartition {
  grain: 'hour' | 'date';
  window: string;
  part: string;
  objects: string[];
}

/**
 * Every object in the touched partitions' folders: one listing per touched date and table (a date holds
 * at most 24 hour folders), never a listing of a whole table, which holds months of partitions.
 */
export async function listTouchedPartitions(lake: Lake, touched: TouchedWindows): Promise<LakePartition[]> {
  const hourlyDates = [...new Set(touched.hours.map((hour) => hour.slice(0, 10)))];
  const listings = await Promise.all([
    ...hourlyDates.map((date) => lake.list(folders.hourlyDate(date))),
    ...touched.dates.map((date) => lake.list(folders.daily(date))),
  ]);
  const objects = listings.flat();
  const inFolder = (folder: string) => objects.filter((key) => key.startsWith(folder));
  return [
    ...touched.hours.map((hour): LakePartition => ({ grain: 'hour', window: hour, part: lakeKeys.hourly(hour), objects: inFolder(folders.hourly(hour)) })),
    ...touched.dates.map((date): LakePartition => ({ grain: 'date', window: date, part: lakeKeys.daily(date), objects: inFolder(folders.daily(date)) })),
  ];
}

/**
 * What writers before the `_staging/` area left when killed between staging and rename: `part-0.parquet.<pid>.tmp`
 * beside the part file. Only that exact shape is ours to delete; any other stray is reported by delivery
 * validation, never deleted.
 */
const LEGACY_STAGING = /\/part-\d+\.parquet\.\d+\.tmp$/;

/**
 * Rewrites every touched partition of both gold tables in the lake, each one whole. First it sweeps what
 * killed writers left: the lake's abandoned staging objects, and legacy staging files inside the touched
 * partition folders (untouched partitions are not listed: that would read the lake's whole history on
 * every run).
 */
/** What an export wrote to one table of the lake: part files, their bytes, and their rows (from each file's Parquet footer). */
export interface LakeTableWrite {
  files: number;
  bytes: number;
  rows: number;
}

export async function exportToLake(clickhouse: Warehouse, lake: Lake, touched: TouchedWindows): Promise<{ files: number; bytes: number; swept: string[]; tables: Record<'agg_events_hourly' | 'rpt_daily_summary', LakeTableWrite> }> {
  const swept = await lake.sweepStaging();
  for (const { objects } of await listTouchedPartitions(lake, touched)) {
    for (const key of objects.filter((object) => LEGACY_STAGING.test(object))) {
      await lake.remove(key);
      swept.push(key);
    }
  }
  const partitions: [key: string, render: () => Promise<Buffer>][] = [
    ...touched.hours.map((hour): [string, () => Promise<Buffer>] => [lakeKeys.hourly(hour), () => gold.hourlyPartitionParquet(clickhouse, hour)]),
    ...touched.dates.map((date): [string, () => Promise<Buffer>] => [lakeKeys.daily(date), () => gold.dailyPartitionParquet(clickhouse, date)]),
  ];
  let bytes = 0;
  const tables = { agg_events_hourly: { files: 0, bytes: 0, rows: 0 }, rpt_daily_summary: { files: 0, bytes: 0, rows: 0 } };
  await mapConcurrently(partitions, async ([key, render]) => {
    const parquet = await render();
    await lake.write(key, parquet);
    bytes += parquet.length;
    const table = tables[key.startsWith('agg_events_hourly/') ? 'agg_events_hourly' : 'rpt_daily_summary'];
    table.files += 1;
    table.bytes += parquet.length;
    // The footer's row count: the file's metadata only, no data is decoded.
    table.rows += Number(parquetMetadata(parquet).num_rows);
  });
  return { files: partitions.length, bytes, swept, tables };
}

/**
 * How many partitions are rendered, written or read back at once: a window touches 25 hours and 2 dates, and
 * one at a time each waits for its own round trip (an S3 PUT or GET above all); a few at a time keep
 * ClickHouse, the disk and the network busy without a burst of requests.
 */
const PARTITIONS_AT_ONCE = 6;

/** Runs `work` on every item, at most PARTITIONS_AT_ONCE at a time; results in the items' order. */
async function mapConcurrently<T, R>(items: readonly T[], work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARTITIONS_AT_ONCE, items.length) }, worker));
  return results;
}

/** Reads a lake partition back with an independent Parquet reader. */
export async function readLakePartition(lake: Lake, key: string): Promise<Record<string, unknown>[] | undefined> {
  const bytes = await lake.read(key);
  if (!bytes) return undefined;
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  return parquetReadObjects({ file });
}

export async function lakeHourlyTotals(lake: Lake, touched: TouchedWindows): Promise<WindowTotals[]> {
  const totals = await mapConcurrently(touched.hours, async (hour): Promise<WindowTotals | undefined> => {
    const rows = await readLakePartition(lake, lakeKeys.hourly(hour));
    return rows && { window_key: hour, rows: rows.length, ...sumColumns(rows, ['event_count', 'revenue_events', 'total_value']) };
  });
  return totals.filter((total) => total !== undefined);
}

export async function lakeDailyTotals(lake: Lake, touched: TouchedWindows): Promise<WindowTotals[]> {
  const totals = await mapConcurrently(touched.dates, async (date): Promise<WindowTotals | undefined> => {
    const rows = await readLakePartition(lake, lakeKeys.daily(date));
    return rows && { window_key: date, rows: rows.length, ...sumColumns(rows, ['total_events', 'unique_users', 'revenue_events', 'total_revenue', 'avg_value']) };
  });
  return totals.filter((total) => total !== undefined);
}

function sumColumns(rows: readonly Record<string, unknown>[], columns: readonly string[]): Record<string, number> {
  return Object.fromEntries(columns.map((column) => [column, rows.reduce((sum, row) => sum + Number(row[column] ?? 0), 0)]));
}
