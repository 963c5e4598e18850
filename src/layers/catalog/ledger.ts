import type { Warehouse } from '../../engines/index.js';
import { sqlFile } from '../../sql.js';

/**
 * The files ledger (catalog.source_files): each landed file is taken by exactly one run, then ingested
 * wholly or recorded as failed. One row per (source, file); the latest write wins.
 */
export type FileStatus = 'taken' | 'ingested' | 'failed' | 'changed' | 'released';

export interface LedgerEntry {
  location: string;
  size: number;
  /** 'YYYY-MM-DD hh:mm:ss.sss' UTC. */
  modified_at: string;
  etag: string;
  checksum: string;
  batch_id: string;
  /** The window of that run: 'YYYY-MM-DD hh:mm:ss'. */
  window_start: string;
  file_index: number;
  rows: number;
  status: FileStatus;
  error: string;
}

export function filesOfBatch(clickhouse: Warehouse, source: string, batchId: string): Promise<LedgerEntry[]> {
  return clickhouse.rows<LedgerEntry>(sqlFile(import.meta.url, 'ledger_files_of_batch'), { source, batch_id: batchId });
}

export async function known(clickhouse: Warehouse, source: string, locations: readonly string[]): Promise<Map<string, LedgerEntry>> {
  if (locations.length === 0) return new Map();
  const rows = await clickhouse.rows<LedgerEntry>(sqlFile(import.meta.url, 'ledger_known'), { source, locations });
  return new Map(rows.map((row) => [row.location, row]));
}

export function ofSource(clickhouse: Warehouse, source: string, limit = 100): Promise<(LedgerEntry & { updated_at: string })[]> {
  return clickhouse.rows(sqlFile(import.meta.url, 'ledger_of_source'), { source, limit });
}

/** Writes the entries' new state (one insert: a run's files are taken all at once or not at all). */
export async function record(clickhouse: Warehouse, source: string, entries: readonly LedgerEntry[]): Promise<void> {
  const updatedAt = new Date().toISOString().replace('T', ' ').replace('Z', '');
  await clickhouse.insert('catalog.source_files', entries.map((entry) => ({ source, ...entry, updated_at: updatedAt })));
}

/** Releases ingested (or changed, or failed) files so that the next run takes them again: `medallion sources reingest`. */
export async function release(clickhouse: Warehouse, source: string, locations: readonly string[]): Promise<LedgerEntry[]> {
  const entries = [...(await known(clickhouse, source, locations)).values()];
  const missing = locations.filter((location) => !entries.some((entry) => entry.location === location));
  if (missing.length > 0) throw new Error(`Not in the ledger of source ${source}: ${missing.join(', ')}`);
  const released = entries.map((entry) => ({ ...entry, status: 'released' as const, error: `released for ingestion again (was ${entry.status} by run ${entry.batch_id})` }));
  await record(clickhouse, source, released);
  return released;
}
