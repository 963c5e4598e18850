/**
 * History for the pipeline bench (`--history-days`): days × 24 hourly windows loaded into the project's own
 * tables in bulk, with the rows the pipeline would have left had it run each window — bronze, quarantine,
 * silver (each event id once, under its first delivery), the event-id registry, dim_users, gold for every
 * hour and date, and a `success` run per window in catalog.pipeline_runs, so the benchmarked windows after
 * it find a home with that much history and treat those windows as done. PostgreSQL and the lake get none:
 * a window re-exports and re-upserts every hour it touches itself.
 *
 * Bronze is the project's synthetic source, one statement per window (the generator itself, so the history
 * is the rows the pipeline would have loaded); everything else is a few INSERT … SELECT per chunk of windows
 * (bench/sql/history_*.sql), never a pipeline run. A chunk is as many windows (a divisor of 24, so chunks
 * never straddle a day) as keep it near CHUNK_ROWS bronze rows, which bounds the memory of its GROUP BY.
 * Per chunk, the first delivery of each new event id (window and row) is found once, grouped by fingerprint
 * with numbers only as state, into a scratch table (database bench_history, dropped at the end); the
 * registry and silver are written from it, silver by picking those rows of bronze.
 */
import type { Warehouse } from '../src/engines/index.js';
import { formatClickHouseTime, toBatch } from '../src/layers/batch.js';
import * as bronze from '../src/layers/bronze/repository.js';
import * as catalog from '../src/layers/catalog/repository.js';
import * as gold from '../src/layers/gold/repository.js';
import * as silver from '../src/layers/silver/repository.js';
import { defaultRunId } from '../src/pipeline/context.js';
import { runScript, sqlFile } from '../src/sql.js';
import { expectedRows, openSyntheticSource } from '../src/sources/synthetic.js';

const HOUR_MS = 3_600_000;
/** Bronze rows per chunk of history: about what the pipeline itself groups at 10 M events an hour. */
const CHUNK_ROWS = 12_000_000;
/** Windows before a chunk whose deliveries its ids are looked up in: generate_events.sql re-delivers events of the 1-3 previous windows. */
const REDELIVERY_WINDOWS = 3;

export interface HistoryOptions {
  /** The first benchmarked window: the history ends right before it. */
  before: Date;
  days: number;
  eventsPerHour: number;
  seed: number;
  /** Event ids registered only (no events), as delivered by the windows before `before` (--history-ids). */
  ids: number;
  /** Progress lines (stderr). */
  log: (line: string) => void;
}

export interface HistoryReport {
  days: number;
  windows: number;
  eventsPerHour: number;
  ids: number;
  /** Hours per chunk of the bulk statements. */
  chunkHours: number;
  ms: number;
  /** Milliseconds per step, all chunks together. */
  steps: Record<string, number>;
  /** Rows in each table after the load. */
  rows: Record<string, number>;
}

/** Loads the history into a home whose tables exist (and are empty). */
export async function loadHistory(clickhouse: Warehouse, options: HistoryOptions): Promise<HistoryReport> {
  const windows = options.days * 24;
  const first = new Date(options.before.getTime() - windows * HOUR_MS);
  const chunkHours = [24, 12, 8, 6, 4, 3, 2, 1].find((hours) => hours * expectedRows(options.eventsPerHour) <= CHUNK_ROWS) ?? 1;
  const steps: Record<string, number> = {};
  const timed = async (step: string, work: () => Promise<unknown>) => {
    const started = performance.now();
    await work();
    steps[step] = (steps[step] ?? 0) + performance.now() - started;
  };
  const started = performance.now();

  if (options.ids > 0) {
    await timed('event ids only (--history-ids)', () =>
      clickhouse.command(sqlFile(import.meta.url, 'history_ids'), { ids: options.ids, per_window: options.eventsPerHour, first_window: formatClickHouseTime(options.before) }),
    );
  }

  const chunks: { from: Date; to: Date; batches: string[] }[] = [];
  for (let hour = 0; hour < windows; hour += chunkHours) {
    const from = new Date(first.getTime() + hour * HOUR_MS);
    const hours = Math.min(chunkHours, windows - hour);
    chunks.push({ from, to: new Date(from.getTime() + hours * HOUR_MS), batches: Array.from({ length: hours }, (_, index) => defaultRunId(new Date(from.getTime() + index * HOUR_MS))) });
  }
  const range = (chunk: (typeof chunks)[number]) => ({ from: formatClickHouseTime(chunk.from), to: formatClickHouseTime(chunk.to) });

  const source = openSyntheticSource({ eventsPerHour: options.eventsPerHour, seed: options.seed });
  await runScript((statement) => clickhouse.command(statement), sqlFile(import.meta.url, 'history_tables'));
  try {
    for (const [index, chunk] of chunks.entries()) {
      await timed('bronze (the synthetic source, per window)', async () => {
        for (const [offset, batchId] of chunk.batches.entries()) await source.load(clickhouse, toBatch(batchId, new Date(chunk.from.getTime() + offset * HOUR_MS)));
      });
      await timed('silver.quarantine_events', () => clickhouse.command(sqlFile(import.meta.url, 'history_quarantine'), range(chunk)));
      const earlier = Array.from({ length: REDELIVERY_WINDOWS }, (_, back) => defaultRunId(new Date(chunk.from.getTime() - (back + 1) * HOUR_MS)));
      await timed('first deliveries (scratch)', async () => {
        await clickhouse.command('TRUNCATE TABLE bench_history.firsts');
        await clickhouse.command(sqlFile(import.meta.url, 'history_firsts'), { ...range(chunk), earlier });
      });
      await timed('silver.event_ids', () => clickhouse.command(sqlFile(import.meta.url, 'history_event_ids'), { ...range(chunk), batches: chunk.batches }));
      await timed('silver.fact_events', () => clickhouse.command(sqlFile(import.meta.url, 'history_fact_events'), range(chunk)));
      if ((index + 1) % Math.max(1, Math.round(24 / chunkHours)) === 0 || index === chunks.length - 1) {
        options.log(`history: ${chunk.to.toISOString()} reached (${Math.round((chunk.to.getTime() - first.getTime()) / HOUR_MS)}/${windows} windows, ${((performance.now() - started) / 1000).toFixed(1)} s)`);
      }
    }
  } finally {
    await clickhouse.command(sqlFile(import.meta.url, 'history_drop'));
  }
  if (windows > 0) {
    const last = formatClickHouseTime(new Date(options.before.getTime() - HOUR_MS));
    await timed('silver.dim_users', () => clickhouse.command(sqlFile(import.meta.url, 'history_dim_users'), { first_window: formatClickHouseTime(first), version: Date.now() * 1000 }));
    await timed('gold.agg_events_hourly', () => clickhouse.command(sqlFile(import.meta.url, 'history_gold_hourly'), { last_window: last }));
    await timed('gold.rpt_daily_summary', () => clickhouse.command(sqlFile(import.meta.url, 'history_gold_daily'), { last_window: last }));
    for (const chunk of chunks) {
      await timed('catalog.pipeline_runs', () => clickhouse.command(sqlFile(import.meta.url, 'history_pipeline_runs'), { ...range(chunk), framework: 'bench_history' }));
    }
  }
  const ms = performance.now() - started;
  const counts = await clickhouse.rows<{ table: string; rows: number }>(sqlFile(import.meta.url, 'history_row_counts'));
  return { days: options.days, windows, eventsPerHour: options.eventsPerHour, ids: options.ids, chunkHours, ms, steps, rows: Object.fromEntries(counts.map((count) => [count.table, Number(count.rows)])) };
}

/** Creates the ClickHouse tables as ensure_all_tables does (PostgreSQL's are left to the first window). */
export async function createTables(clickhouse: Warehouse): Promise<void> {
  for (const layer of [catalog, bronze, silver, gold]) await layer.createTables(clickhouse);
}
