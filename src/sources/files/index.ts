import type { Warehouse } from '../../engines/index.js';
import { killWhileRunning } from '../../faults.js';
import type { Batch } from '../../layers/batch.js';
import * as ledger from '../../layers/catalog/ledger.js';
import { maskSecrets } from '../../secrets.js';
import type { Mapping } from '../../source-mapping.js';
import type { LoadReport, Source } from '../index.js';
import { openLanding, type LandedFile, type S3Options } from './landing.js';
import { fileQuery, fingerprint, ingest, preview, type PreviewRow } from './reader.js';

/**
 * Files landed in a directory or an S3 prefix, each ingested exactly once (catalog.source_files):
 *
 * 1. A run takes the files that are new since the last ingestion — listed, not yet in the ledger (or
 *    released on purpose) — and records them as its own in one insert. A rerun of the run takes exactly
 *    the same files again, whatever landed since; a later run never takes them.
 * 2. Each file is read once to count and checksum its records: a file that cannot be read (truncated
 *    Parquet, wrong format) is recorded as failed with its error, before any of its rows reach bronze, and
 *    the other files go on.
 * 3. Its rows are loaded (the missing ones: a load cut short by a crash is completed), and the file is
 *    recorded as ingested once bronze holds exactly its records.
 *
 * A file ingested before whose size, time or ETag differs now is recorded as changed and reported, never
 * ingested again silently; `medallion sources reingest` releases it on purpose.
 */
export function openFilesSource(mapping: Mapping, s3: S3Options = {}): Source {
  const landing = openLanding(mapping.landing, mapping.glob, s3);
  return {
    name: mapping.name,
    dataset: `landing.${mapping.name}`,
    deliversRowsForSure: false,
    async load(clickhouse: Warehouse, batch: Batch): Promise<LoadReport> {
      let files = await ledger.filesOfBatch(clickhouse, mapping.name, batch.batchId);
      let changed: ledger.LedgerEntry[] = [];
      if (files.length === 0) {
        ({ files, changed } = await takeNewFiles(clickhouse, batch));
      }
      let added = 0;
      for (const [position, file] of files.entries()) {
        if (file.status === 'ingested') continue;
        const done = await loadFile(clickhouse, batch, file);
        added += done.added;
        files[position] = done.entry;
        await ledger.record(clickhouse, mapping.name, [done.entry]);
      }
      const ingested = files.filter((file) => file.status === 'ingested');
      const failed = files.filter((file) => file.status === 'failed');
      const rows = ingested.reduce((sum, file) => sum + file.rows, 0);
      const parts = [`${rows} rows in bronze from ${ingested.length} file${ingested.length === 1 ? '' : 's'} of ${mapping.landing}${added < rows ? ` (${rows - added} were already loaded)` : ''}`];
      if (failed.length > 0) parts.push(`${failed.length} failed: ${failed.map((file) => `${file.location}: ${file.error}`).join('; ')}`);
      if (changed.length > 0) parts.push(`${changed.length} changed after ingestion, not ingested again (medallion sources reingest): ${changed.map((file) => file.location).join(', ')}`);
      return {
        rows,
        added,
        delivered: rows,
        summary: parts.join('; '),
        metrics: { bronze_rows: rows, files_ingested: ingested.length, files_failed: failed.length, files_changed: changed.length },
      };
    },
  };

  /** Takes the files new since the last ingestion for this run, all in one ledger write. */
  async function takeNewFiles(clickhouse: Warehouse, batch: Batch): Promise<{ files: ledger.LedgerEntry[]; changed: ledger.LedgerEntry[] }> {
    const listed = await landing.list();
    const known = await ledger.known(clickhouse, mapping.name, listed.map((file) => file.location));
    const fresh = listed.filter((file) => !known.has(file.location) || known.get(file.location)!.status === 'released');
    const changed = listed.flatMap((file) => {
      const entry = known.get(file.location);
      const difference = entry?.status === 'ingested' ? differenceOf(entry, file) : undefined;
      return entry && difference ? [{ ...entry, status: 'changed' as const, error: `changed after run ${entry.batch_id} ingested it: ${difference}` }] : [];
    });
    const files = fresh.map((file, index): ledger.LedgerEntry => ({
      location: file.location,
      size: file.size,
      modified_at: timeText(file.modifiedAt),
      etag: file.etag,
      checksum: '',
      batch_id: batch.batchId,
      window_start: batch.windowStart,
      file_index: index,
      rows: 0,
      status: 'taken',
      error: '',
    }));
    await ledger.record(clickhouse, mapping.name, [...files, ...changed]);
    return { files, changed };
  }

  async function loadFile(clickhouse: Warehouse, batch: Batch, file: ledger.LedgerEntry): Promise<{ entry: ledger.LedgerEntry; added: number }> {
    let query;
    let print;
    try {
      query = await fileQuery(clickhouse, landing, mapping, file.location);
      print = await fingerprint(clickhouse, query);
    } catch (error) {
      // Unreadable as a whole: recorded, reported, and the window goes on with its other files.
      return { entry: { ...file, status: 'failed', error: maskSecrets(firstLine((error as Error).message)) }, added: 0 };
    }
    const target = { batch_id: batch.batchId, window_start: batch.windowStart, file_index: file.file_index, source_file: file.location };
    const { before, after } = await killWhileRunning('mid:load_bronze', () => ingest(clickhouse, query, target));
    if (after !== print.rows) throw new Error(`bronze holds ${after} rows of ${file.location}, which has ${print.rows} records: rerun the window`);
    return { entry: { ...file, rows: after, checksum: print.checksum, status: 'ingested', error: '' }, added: after - before };
  }
}

function differenceOf(entry: ledger.LedgerEntry, file: LandedFile): string | undefined {
  if (entry.etag && file.etag && entry.etag !== file.etag) return `ETag ${entry.etag} → ${file.etag}`;
  if (entry.size !== file.size) return `size ${entry.size} → ${file.size} bytes`;
  if (entry.modified_at !== timeText(file.modifiedAt)) return `modified ${entry.modified_at} → ${timeText(file.modifiedAt)}`;
  return undefined;
}

/** 'YYYY-MM-DD hh:mm:ss.sss' UTC, as catalog.source_files stores it. */
function timeText(time: Date): string {
  return time.toISOString().replace('T', ' ').replace('Z', '');
}

function firstLine(text: string): string {
  return text.split('\n')[0]!.slice(0, 500);
}

export interface MappingCheck {
  landing: string;
  files: LandedFile[];
  file: string;
  rows: PreviewRow[];
  /** Rows per rejection reason over the sample ('' for valid rows). */
  reasons: { rejection_reason: string; rows: number }[];
  sample: number;
}

/**
 * What `medallion sources check` shows: the landing location's matching files, and for one of them (the
 * first, or `file`) its first mapped rows and the quarantine reasons over a sample. Writes nothing.
 */
export async function checkMapping(clickhouse: Warehouse, mapping: Mapping, options: { file?: string; sample: number; windowStart: string; s3?: S3Options }): Promise<MappingCheck> {
  const landing = openLanding(mapping.landing, mapping.glob, options.s3);
  const files = await landing.list();
  const file = options.file ?? files[0]?.location;
  if (!file) throw new Error(`No file of ${mapping.landing} matches ${mapping.glob}: nothing to check`);
  const rows = await preview(clickhouse, await fileQuery(clickhouse, landing, mapping, file), { windowStart: options.windowStart, sample: options.sample });
  const counts = new Map<string, number>();
  for (const row of rows) counts.set(row.rejection_reason, (counts.get(row.rejection_reason) ?? 0) + 1);
  const reasons = [...counts].map(([rejection_reason, count]) => ({ rejection_reason, rows: count })).sort((a, b) => b.rows - a.rows);
  return { landing: mapping.landing, files, file, rows, reasons, sample: rows.length };
}
