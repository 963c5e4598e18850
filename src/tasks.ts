/**
 * The 15 task functions: thin glue between the run context and the layer repositories. No SQL here.
 */
import type { Warehouse } from './engines/index.js';
import * as bronze from './layers/bronze/repository.js';
import * as catalog from './layers/catalog/repository.js';
import * as lakeDelivery from './layers/delivery/lake.js';
import * as delivery from './layers/delivery/repository.js';
import * as gold from './layers/gold/repository.js';
import type { LineageFlow } from './layers/lineage.js';
import { capMerges, declaredTables, schemaFingerprint } from './layers/schema.js';
import * as silver from './layers/silver/repository.js';
import type { RunContext, TaskResult } from './pipeline/context.js';
import { describeFailures } from './quality/checks.js';
import { checkLakePartitionFiles, compareDeliveredTotals } from './quality/delivery-validation.js';
import { describeAccounting, verifyBatch } from './quality/gate.js';
import { sourceOf } from './sources/index.js';

/** `outputs`: what the task knows it wrote to its declared writes (OpenLineage's output statistics), from counts it has. */
const result = (summary: string, rowsIn: number, rowsOut: number, metrics: Record<string, number> = {}, outputs?: TaskResult['outputs']): TaskResult => ({ summary, rowsIn, rowsOut, metrics, ...(outputs ? { outputs } : {}) });

/**
 * The batch's touched windows, read from bronze once per run context: every task after load_bronze works on
 * them, and bronze no longer changes for the batch by then. (Each Airflow task is its own process and reads
 * them once.)
 */
const touchedByRun = new WeakMap<RunContext, Promise<bronze.TouchedWindows>>();
function touchedWindows(ctx: RunContext): Promise<bronze.TouchedWindows> {
  let touched = touchedByRun.get(ctx);
  if (!touched) {
    touched = ctx.engines.clickhouse().then((clickhouse) => bronze.touchedWindows(clickhouse, ctx.batch));
    touched.catch(() => touchedByRun.delete(ctx));
    touchedByRun.set(ctx, touched);
  }
  return touched;
}

const runIdentity = (ctx: RunContext) => ({ runId: ctx.runId, windowStart: ctx.batch.windowStart, windowEnd: ctx.batch.windowEnd, framework: ctx.config.framework });

export async function ensureAllTables(ctx: RunContext): Promise<TaskResult> {
  const clickhouse = await ctx.engines.clickhouse();
  const fingerprint = schemaFingerprint(ctx.config);
  // Unchanged since it last succeeded and every table still there: the DDL (some 40 statements) has nothing to
  // do, and PostgreSQL is not waited for here (load_aurora checks its replicas before writing, in one query,
  // and recreates what a BI team dropped).
  const present = new Set(await catalog.pipelineTables(clickhouse));
  const unchanged = declaredTables().every((table) => present.has(table)) && (await catalog.schemaApplied(clickhouse, 'ensure_all_tables', fingerprint));
  let backfilled = false;
  if (!unchanged) {
    // Opened while the ClickHouse DDL runs (on ClickHouse's threads): a new embedded PostgreSQL takes seconds.
    const postgres = ctx.engines.postgres();
    postgres.catch(() => undefined);
    backfilled = await createClickHouseTables(clickhouse);
    await capMerges(clickhouse, ctx.config);
    await delivery.createPostgresTables(await postgres, ctx.config.postgresSchema);
  }
  const tables = unchanged ? present.size : (await catalog.pipelineTables(clickhouse)).length;
  const note = unchanged ? ' (schema unchanged since it was last applied)' : backfilled ? '; the events silver held before silver.event_ids existed are registered in it' : '';
  return result(`4 ClickHouse databases with ${tables} tables and the PostgreSQL schema with 2 replicas are in place${note}`, 0, 0, { clickhouse_tables: tables, schema_fingerprint: fingerprint });
}

/** Creates or updates every ClickHouse table; true when it registered events silver held before silver.event_ids. */
async function createClickHouseTables(clickhouse: Warehouse): Promise<boolean> {
  for (const layer of [catalog, bronze, silver, gold]) await layer.createTables(clickhouse);
  await silver.upgradeTables(clickhouse);
  return silver.registerEarlierEvents(clickhouse);
}

/** `lineage`: the flows derived from the graph's declarations (the graph passes them: arrows point down). */
export async function registerCatalog(ctx: RunContext, lineage: readonly LineageFlow[]): Promise<TaskResult> {
  const clickhouse = await ctx.engines.clickhouse();
  const fingerprint = schemaFingerprint(ctx.config);
  // The table and column registry describes the schema: while it is unchanged, the registry holds what it would
  // write, and PostgreSQL (whose catalog it reads) is not waited for. The lineage is made exact every time.
  const unchanged = await catalog.schemaApplied(clickhouse, 'register_catalog', fingerprint);
  const registered = unchanged
    ? await catalog.registryCounts(clickhouse)
    : await catalog.registerTables(clickhouse, { schema: ctx.config.postgresSchema, ...(await delivery.describePostgres(await ctx.engines.postgres(), ctx.config.postgresSchema)) });
  const flows = await catalog.registerLineage(clickhouse, lineage);
  const note = unchanged ? ' (tables and columns unchanged since registered)' : '';
  return result(`${registered.tables} tables, ${registered.columns} columns, ${flows} lineage flows registered${note}`, 0, (unchanged ? 0 : registered.tables + registered.columns) + flows, { ...registered, lineage_flows: flows, schema_fingerprint: fingerprint }, {
    'catalog.table_registry': { rows: registered.tables },
    'catalog.column_registry': { rows: registered.columns },
    'catalog.data_lineage': { rows: flows },
  });
}

export async function startPipelineRun(ctx: RunContext): Promise<TaskResult> {
  await catalog.startRun(await ctx.engines.clickhouse(), runIdentity(ctx));
  return result(`run ${ctx.runId} for ${ctx.batch.windowStart} is running`, 0, 1, {}, { 'catalog.pipeline_runs': { rows: 1 } });
}

export async function loadBronze(ctx: RunContext): Promise<TaskResult> {
  const loaded = await sourceOf(ctx.config).load(await ctx.engines.clickhouse(), ctx.batch);
  return result(loaded.summary, loaded.delivered, loaded.added, loaded.metrics, { 'bronze.stg_events': { rows: loaded.rows } });
}

export async function quarantineInvalidRows(ctx: RunContext): Promise<TaskResult> {
  const reasons = await silver.quarantineInvalidRows(await ctx.engines.clickhouse(), ctx.batch);
  const quarantined = Object.values(reasons).reduce((sum, rows) => sum + rows, 0);
  const detail = Object.entries(reasons).map(([reason, rows]) => `${reason}=${rows}`).join(' ');
  return result(`${quarantined} rows quarantined ${detail}`.trim(), quarantined, quarantined, {
    quarantined_rows: quarantined,
    ...Object.fromEntries(Object.entries(reasons).map(([reason, rows]) => [`reason:${reason}`, rows])),
  }, { 'silver.quarantine_events': { rows: quarantined } });
}

export async function transformSilver(ctx: RunContext): Promise<TaskResult> {
  const clickhouse = await ctx.engines.clickhouse();
  const touched = await touchedWindows(ctx);
  const rowsIn = await bronze.countBatchRows(clickhouse, ctx.batch);
  // No valid row touches an hour: nothing to register or insert (an empty window's three statements).
  if (touched.hours.length === 0) {
    return result(`no valid rows of ${rowsIn} to merge into silver`, rowsIn, 0, { touched_hours: 0, event_id_lookup_ms: 0, silver_insert_ms: 0, silver_slices: 0 }, { 'silver.fact_events': { rows: 0 } });
  }
  const timing = await silver.insertNewEvents(clickhouse, ctx.batch, touched, { bronzeRows: rowsIn, horizonDays: ctx.config.dedupHorizonDays, sliceRows: ctx.config.silverSliceRows });
  const silverRows = await silver.batchEventsInSilver(clickhouse, ctx.batch, touched);
  // The full accounting (new, duplicates, already in silver) is verify_pipeline's: counted once, by the gate.
  return result(`valid rows of ${rowsIn} merged into silver over ${touched.hours.length} touched hours, event ids checked against ${ctx.config.dedupHorizonDays} days of deliveries either side`, rowsIn, 0, {
    touched_hours: touched.hours.length,
    event_id_lookup_ms: Math.round(timing.registerMs),
    silver_insert_ms: Math.round(timing.insertMs),
    silver_slices: timing.slices,
  }, { 'silver.fact_events': { rows: silverRows } });
}

export async function updateDimUsers(ctx: RunContext): Promise<TaskResult> {
  // A batch without valid rows has no users: the dimension's statement would read every current version and
  // every user's totals to write nothing.
  if ((await touchedWindows(ctx)).hours.length === 0) {
    return result('0 users: the batch has no valid rows', 0, 0, { dim_users_new: 0, dim_users_updated: 0 }, { 'silver.dim_users': { rows: 0 } });
  }
  const change = await silver.updateDimUsers(await ctx.engines.clickhouse(), ctx.batch);
  return result(`${change.users} users: ${change.opened} versions open at this window, ${change.closed} closed (${change.written} rows written)`, change.users, change.written, {
    dim_users_new: change.opened,
    dim_users_updated: change.closed,
  }, { 'silver.dim_users': { rows: change.written } });
}

export async function snapshotGoldHistory(ctx: RunContext): Promise<TaskResult> {
  const clickhouse = await ctx.engines.clickhouse();
  const touched = await touchedWindows(ctx);
  if (touched.hours.length === 0) return result('0 gold rows snapshotted to history: the batch touched no hour', 0, 0, { history_rows: 0 }, historyOutputs({ hourly: 0, daily: 0 }));
  // At most once per batch: a rerun would otherwise record this batch's own aggregation as "before". The
  // task's recorded success is the completion marker; without it, a partial snapshot is completed.
  if (await catalog.taskSucceeded(clickhouse, ctx.runId, 'snapshot_gold_history')) {
    const existing = await gold.countSnapshots(clickhouse, ctx.batch);
    return result(`history already snapshotted for this batch (${existing.hourly + existing.daily} rows)`, 0, 0, { history_rows: existing.hourly + existing.daily }, historyOutputs(existing));
  }
  const copied = await gold.snapshotHistory(clickhouse, ctx.batch, touched);
  const rows = copied.hourly + copied.daily;
  return result(`${rows} gold rows snapshotted to history (${copied.hourly} hourly, ${copied.daily} daily)`, rows, rows, { history_rows: rows }, historyOutputs(copied));
}

/** The batch's rows in each history table (OpenLineage's output statistics). */
const historyOutputs = (copied: gold.SnapshotCounts): TaskResult['outputs'] => ({
  'gold.agg_events_hourly_history': { rows: copied.hourly },
  'gold.rpt_daily_summary_history': { rows: copied.daily },
});

export async function aggregateGoldHourly(ctx: RunContext): Promise<TaskResult> {
  const clickhouse = await ctx.engines.clickhouse();
  const touched = await touchedWindows(ctx);
  const rows = touched.hours.length === 0 ? [] : await gold.aggregateHourly(clickhouse, ctx.batch, touched);
  const events = rows.reduce((sum, row) => sum + row.event_count, 0);
  return result(`${rows.length} hourly rows over ${touched.hours.length} hours (${events} events)`, events, rows.length, { gold_hourly_rows: rows.length }, { 'gold.agg_events_hourly': { rows: rows.length } });
}

export async function aggregateGoldDaily(ctx: RunContext): Promise<TaskResult> {
  const clickhouse = await ctx.engines.clickhouse();
  const touched = await touchedWindows(ctx);
  const rows = touched.dates.length === 0 ? [] : await gold.aggregateDaily(clickhouse, ctx.batch, touched);
  const events = rows.reduce((sum, row) => sum + row.total_events, 0);
  return result(`${rows.length} daily rows over ${touched.dates.length} dates (${events} events)`, events, rows.length, { gold_daily_rows: rows.length }, { 'gold.rpt_daily_summary': { rows: rows.length } });
}

export async function verifyPipeline(ctx: RunContext): Promise<TaskResult> {
  const clickhouse = await ctx.engines.clickhouse();
  const touched = await touchedWindows(ctx);
  const { accounting, checks } = await verifyBatch(clickhouse, ctx.batch, touched, ctx.config.dedupHorizonDays);
  await catalog.recordValidations(clickhouse, checks);
  const failures = describeFailures(checks);
  if (failures.length > 0) throw new Error(`Quality gate failed (${describeAccounting(accounting)}): ${failures.join('; ')}`);
  return result(`${describeAccounting(accounting)}; gold equals silver on ${touched.hours.length} hours`, accounting.bronze_rows, checks.length, { ...accounting, checks: checks.length }, { 'catalog.validation_log': { rows: checks.length } });
}

export async function exportGoldToS3(ctx: RunContext): Promise<TaskResult> {
  const clickhouse = await ctx.engines.clickhouse();
  const touched = await touchedWindows(ctx);
  const lake = await ctx.engines.lake();
  const written = await lakeDelivery.exportToLake(clickhouse, lake, touched);
  const swept = written.swept.length > 0 ? `; ${written.swept.length} leftovers of killed writers swept (${written.swept.join(', ')})` : '';
  return result(`${written.files} partitions (${written.bytes} bytes) written to ${lake.location}${swept}`, written.files, written.files, {
    lake_files: written.files,
    lake_bytes: written.bytes,
    lake_swept: written.swept.length,
  }, {
    'lake.agg_events_hourly': written.tables.agg_events_hourly,
    'lake.rpt_daily_summary': written.tables.rpt_daily_summary,
  });
}

export async function loadAurora(ctx: RunContext): Promise<TaskResult> {
  const clickhouse = await ctx.engines.clickhouse();
  const touched = await touchedWindows(ctx);
  // An empty batch touched nothing: PostgreSQL is not even opened.
  if (touched.hours.length === 0) return result('nothing to upsert: the batch touched no hour', 0, 0, { postgres_hourly_rows: 0, postgres_daily_rows: 0 }, { 'postgres.{schema}.agg_events_hourly': { rows: 0 }, 'postgres.{schema}.rpt_daily_summary': { rows: 0 } });
  const [hourly, daily] = await Promise.all([gold.readHourly(clickhouse, touched), gold.readDaily(clickhouse, touched)]);
  const postgres = await ctx.engines.postgres();
  await delivery.createPostgresTables(postgres, ctx.config.postgresSchema);
  await delivery.upsertHourly(postgres, ctx.config.postgresSchema, hourly);
  await delivery.upsertDaily(postgres, ctx.config.postgresSchema, daily);
  const rows = hourly.length + daily.length;
  return result(`${hourly.length} hourly and ${daily.length} daily rows upserted into PostgreSQL`, rows, rows, { postgres_hourly_rows: hourly.length, postgres_daily_rows: daily.length }, {
    'postgres.{schema}.agg_events_hourly': { rows: hourly.length },
    'postgres.{schema}.rpt_daily_summary': { rows: daily.length },
  });
}

export async function validateDelivery(ctx: RunContext): Promise<TaskResult> {
  const clickhouse = await ctx.engines.clickhouse();
  const touched = await touchedWindows(ctx);
  if (touched.hours.length === 0) return result('nothing to validate: the batch touched no hour', 0, 0, { checks: 0 }, { 'catalog.validation_log': { rows: 0 } });
  const targets = { clickhouse, postgres: await ctx.engines.postgres(), lake: await ctx.engines.lake(), schema: ctx.config.postgresSchema };
  const checks = [...(await compareDeliveredTotals(targets, ctx.runId, touched)), ...(await checkLakePartitionFiles(targets.lake, ctx.runId, touched))];
  await catalog.recordValidations(clickhouse, checks);
  const failures = describeFailures(checks);
  if (failures.length > 0) throw new Error(`Delivery validation failed, ${failures.length} differences: ${failures.join('; ')}`);
  return result(`${checks.length} checks passed: ClickHouse = PostgreSQL = lake on ${touched.hours.length} hours and ${touched.dates.length} dates, each lake partition holds only its part file`, checks.length, checks.length, { checks: checks.length }, { 'catalog.validation_log': { rows: checks.length } });
}

export async function completePipelineRun(ctx: RunContext): Promise<TaskResult> {
  const clickhouse = await ctx.engines.clickhouse();
  const reported = await catalog.taskMetrics(clickhouse, ctx.runId);
  const counts = Object.fromEntries(
    catalog.RUN_COUNTS.map((name) => [name, Math.max(0, ...[...reported.values()].map((task) => task.metrics[name] ?? 0))]),
  ) as catalog.RunCounts;
  await catalog.completeRun(clickhouse, runIdentity(ctx), counts);
  return result(`run ${ctx.runId} succeeded`, 0, 1, counts, { 'catalog.pipeline_runs': { rows: 1 } });
}
