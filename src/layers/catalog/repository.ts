import type { ResultSet, Warehouse } from '../../engines/index.js';
import { faultPoint, LINEAGE_REPLACE_POINT } from '../../faults.js';
import { maskSecrets } from '../../secrets.js';
import { runScript, sqlFile } from '../../sql.js';
import type { PostgresColumn, PostgresTable } from '../delivery/repository.js';
import type { LineageFlow } from '../lineage.js';

/** Now as ClickHouse's DateTime64(3) text. */
const nowText = () => new Date().toISOString().replace('T', ' ').replace('Z', '');

export async function createTables(clickhouse: Warehouse): Promise<void> {
  await runScript((statement) => clickhouse.command(statement), ddl());
}

/** The layer's DDL (create_tables.sql). */
export function ddl(): string {
  return sqlFile(import.meta.url, 'create_tables');
}

/** Registers every table and column from the engines' own catalogs. */
export async function registerTables(clickhouse: Warehouse, postgres: { schema: string; tables: PostgresTable[]; columns: PostgresColumn[] }): Promise<{ tables: number; columns: number }> {
  await clickhouse.command(sqlFile(import.meta.url, 'register_tables'));
  await clickhouse.command(sqlFile(import.meta.url, 'register_columns'));
  const registeredAt = nowText();
  await clickhouse.insert(
    'catalog.table_registry',
    postgres.tables.map((table) => ({
      database: postgres.schema, table_name: table.table_name, target: 'postgres', layer: 'delivery', engine: 'PostgreSQL',
      partition_key: '', sorting_key: table.primary_key, description: table.description, registered_at: registeredAt,
    })),
  );
  await clickhouse.insert(
    'catalog.column_registry',
    postgres.columns.map((column) => ({
      database: postgres.schema, table_name: column.table_name, target: 'postgres', column_name: column.column_name,
      position: column.position, data_type: column.data_type, description: column.description,
      is_in_sorting_key: column.in_primary_key ? 1 : 0, is_in_partition_key: 0, registered_at: registeredAt,
    })),
  );
  return registryCounts(clickhouse);
}

/** The tables and columns catalog.table_registry and column_registry hold. */
export async function registryCounts(clickhouse: Warehouse): Promise<{ tables: number; columns: number }> {
  const [counts] = await clickhouse.rows<{ tables: number; columns: number }>(sqlFile(import.meta.url, 'registry_counts'));
  return counts ?? { tables: 0, columns: 0 };
}

/** The tables the four ClickHouse databases hold, as database.table. */
export async function pipelineTables(clickhouse: Warehouse): Promise<string[]> {
  const rows = await clickhouse.rows<{ table: string }>(sqlFile(import.meta.url, 'pipeline_tables'));
  return rows.map((row) => row.table);
}

/**
 * Makes catalog.data_lineage hold exactly these flows: they are written (a flow's row is replaced by its
 * (source, target) key). When flows registered before are no longer derived (another source or schema was
 * configured), the table is emptied first: a TRUNCATE takes effect at once, where a DELETE is a mutation that
 * waits for a slot among the background merges (0.4 s to 12 s measured after 10 M events). A crash between
 * the two leaves the lineage empty until the next run's register_catalog, which writes it again.
 */
export async function registerLineage(clickhouse: Warehouse, flows: readonly LineageFlow[]): Promise<number> {
  const current = { flows: flows.map((flow) => `${flow.source} -> ${flow.target}`) };
  const [stale] = await clickhouse.rows<{ flows: number }>(sqlFile(import.meta.url, 'stale_lineage'), current);
  if (stale && stale.flows > 0) {
    await clickhouse.command(sqlFile(import.meta.url, 'truncate_lineage'));
    faultPoint(LINEAGE_REPLACE_POINT);
  }
  const registeredAt = nowText();
  await clickhouse.insert(
    'catalog.data_lineage',
    flows.map((flow) => ({ source_table: flow.source, target_table: flow.target, task_name: flow.task, transformation: flow.transformation, registered_at: registeredAt })),
  );
  return flows.length;
}

export const RUN_COUNTS = [
  'bronze_rows', 'quarantined_rows', 'silver_new_rows', 'duplicate_rows', 'already_in_silver_rows',
  'dim_users_new', 'dim_users_updated', 'gold_hourly_rows', 'gold_daily_rows', 'touched_hours',
] as const;
export type RunCounts = Record<(typeof RUN_COUNTS)[number], number>;

export interface RunRow extends RunCounts {
  run_id: string;
  window_start: string;
  window_end: string;
  status: 'running' | 'success' | 'failed';
  framework: string;
  started_at: string;
  finished_at: string | null;
  duration_ms: number;
  failed_task: string;
  error: string;
}

const noCounts = (): RunCounts => Object.fromEntries(RUN_COUNTS.map((name) => [name, 0])) as RunCounts;

export async function readRuns(clickhouse: Warehouse, options: { runId?: string; limit?: number } = {}): Promise<RunRow[]> {
  return clickhouse.rows<RunRow>(sqlFile(import.meta.url, 'read_runs'), { run_id: options.runId ?? '', limit: options.limit ?? 20 });
}

/**
 * The same runs for people (`medallion status`): every column with its type and exact values, or undefined
 * while the catalog has no runs table (nothing ran yet).
 */
export async function runsResultSet(clickhouse: Warehouse, options: { runId?: string; limit?: number } = {}): Promise<ResultSet | undefined> {
  if (!(await catalogHas(clickhouse, 'pipeline_runs'))) return undefined;
  return clickhouse.resultSet(sqlFile(import.meta.url, 'read_runs'), { run_id: options.runId ?? '', limit: options.limit ?? 20 });
}

async function catalogHas(clickhouse: Warehouse, table: string): Promise<boolean> {
  const [catalog] = await clickhouse.rows<{ present: number }>(sqlFile(import.meta.url, 'catalog_exists'), { table });
  return Boolean(catalog?.present);
}

/** Whether `task` succeeded with this schema fingerprint (src/layers/schema.ts), so that its work is done. */
export async function schemaApplied(clickhouse: Warehouse, task: 'ensure_all_tables' | 'register_catalog', fingerprint: number): Promise<boolean> {
  if (!(await catalogHas(clickhouse, 'benchmark_log'))) return false;
  const [row] = await clickhouse.rows<{ applied: number }>(sqlFile(import.meta.url, 'schema_applied'), { task_name: task, fingerprint });
  return Boolean(row?.applied);
}

/** The latest status of each run that has one (an empty map before the catalog exists). */
export async function runStatuses(clickhouse: Warehouse, runIds: readonly string[]): Promise<Map<string, { status: RunRow['status']; failed_task: string }>> {
  if (!(await catalogHas(clickhouse, 'pipeline_runs'))) return new Map();
  const rows = await clickhouse.rows<{ run_id: string; status: RunRow['status']; failed_task: string }>(sqlFile(import.meta.url, 'run_statuses'), { run_ids: runIds });
  return new Map(rows.map((row) => [row.run_id, { status: row.status, failed_task: row.failed_task }]));
}

interface RunIdentity {
  runId: string;
  windowStart: string;
  windowEnd: string;
  framework: string;
}

async function writeRun(clickhouse: Warehouse, run: RunIdentity, fields: { status: RunRow['status']; startedAt: string; finishedAt: string | null; failedTask?: string; error?: string; counts?: RunCounts }) {
  await clickhouse.command(sqlFile(import.meta.url, 'write_run'), {
    run_id: run.runId, window_start: run.windowStart, window_end: run.windowEnd, framework: run.framework,
    status: fields.status, started_at: fields.startedAt, finished_at: fields.finishedAt,
    failed_task: fields.failedTask ?? '', error: maskSecrets(fields.error ?? ''), ...(fields.counts ?? noCounts()),
  });
}

export async function startRun(clickhouse: Warehouse, run: RunIdentity): Promise<void> {
  await writeRun(clickhouse, run, { status: 'running', startedAt: nowText(), finishedAt: null });
}

export async function completeRun(clickhouse: Warehouse, run: RunIdentity, counts: RunCounts): Promise<void> {
  const [current] = await readRuns(clickhouse, { runId: run.runId, limit: 1 });
  await writeRun(clickhouse, run, { status: 'success', startedAt: current?.started_at ?? nowText(), finishedAt: nowText(), counts });
}

/** Marks the run failed with the task and error; creates the row when the run failed before starting. */
export async function failRun(clickhouse: Warehouse, run: RunIdentity, failedTask: string, error: string): Promise<void> {
  const [current] = await readRuns(clickhouse, { runId: run.runId, limit: 1 });
  const counts = current ? (Object.fromEntries(RUN_COUNTS.map((name) => [name, current[name]])) as RunCounts) : noCounts();
  await writeRun(clickhouse, run, { status: 'failed', startedAt: current?.started_at ?? nowText(), finishedAt: nowText(), failedTask, error, counts });
}

export interface BenchmarkRow {
  framework: string;
  run_id: string;
  task_name: string;
  attempt: number;
  status: 'success' | 'failed';
  started_at: string;
  duration_ms: number;
  rows_in: number;
  rows_out: number;
  rows_per_second: number;
  peak_rss_bytes: number;
  metrics: Record<string, number>;
  error: string;
}

export async function recordBenchmark(clickhouse: Warehouse, row: BenchmarkRow): Promise<void> {
  // Errors are stored redacted whoever wrote them (see src/secrets.ts).
  await clickhouse.insert('catalog.benchmark_log', [{ ...row, error: maskSecrets(row.error) }]);
}

/** The metrics each task of the run reported on its latest successful attempt. */
export async function taskMetrics(clickhouse: Warehouse, runId: string): Promise<Map<string, { metrics: Record<string, number>; duration_ms: number }>> {
  const rows = await clickhouse.rows<{ task_name: string; metrics: Record<string, number>; duration_ms: number }>(sqlFile(import.meta.url, 'task_metrics'), { run_id: runId });
  return new Map(rows.map((row) => [row.task_name, { metrics: row.metrics, duration_ms: row.duration_ms }]));
}

export async function taskSucceeded(clickhouse: Warehouse, runId: string, taskName: string): Promise<boolean> {
  const [row] = await clickhouse.rows<{ succeeded: number }>(sqlFile(import.meta.url, 'task_succeeded'), { run_id: runId, task_name: taskName });
  return row?.succeeded === 1;
}

/** What the task's latest failed attempt recorded, or undefined when none is recorded. */
export async function lastTaskError(clickhouse: Warehouse, runId: string, taskName: string): Promise<string | undefined> {
  const [row] = await clickhouse.rows<{ error: string }>(sqlFile(import.meta.url, 'last_task_error'), { run_id: runId, task_name: taskName });
  return row?.error || undefined;
}

export interface ValidationRow {
  run_id: string;
  check_name: string;
  grain: 'batch' | 'hour' | 'date' | 'file';
  window_key: string;
  metric: string;
  expected: number;
  actual: number;
  passed: number;
}

export async function recordValidations(clickhouse: Warehouse, rows: readonly ValidationRow[]): Promise<void> {
  const checkedAt = nowText();
  await clickhouse.insert('catalog.validation_log', rows.map((row) => ({ ...row, checked_at: checkedAt })));
}

export interface ValidationSummary {
  run_id: string;
  check_name: string;
  checks: number;
  failed: number;
}

/** The latest round of each check per run: how many comparisons, how many failed. */
export function validationSummary(clickhouse: Warehouse, runIds: readonly string[]): Promise<ValidationSummary[]> {
  return clickhouse.rows<ValidationSummary>(sqlFile(import.meta.url, 'validation_summary'), { run_ids: runIds });
}

export interface RegisteredColumn {
  target: 'clickhouse' | 'postgres';
  database: string;
  table_name: string;
  column_name: string;
  position: number;
  data_type: string;
  description: string;
}

/** Every column catalog.column_registry holds, in table order (a few hundred rows). */
export function registeredColumns(clickhouse: Warehouse): Promise<RegisteredColumn[]> {
  return clickhouse.rows<RegisteredColumn>(sqlFile(import.meta.url, 'registered_columns'));
}

/** The checks the run recorded in catalog.validation_log at or after `since` ('YYYY-MM-DD hh:mm:ss.sss', UTC). */
export function validationsSince(clickhouse: Warehouse, runId: string, since: string): Promise<Omit<ValidationRow, 'run_id'>[]> {
  return clickhouse.rows<Omit<ValidationRow, 'run_id'>>(sqlFile(import.meta.url, 'validations_since'), { run_id: runId, since });
}
