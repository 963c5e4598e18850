import type { Config } from '../config.js';
import type { LineageFlow } from '../layers/lineage.js';
import { TASK_IDS, type TaskId } from '../task-ids.js';
import * as tasks from '../tasks.js';
import type { RunContext, TaskResult } from './context.js';
import { dataFlows, datasetNames, resolveFlows, SOURCE, type TaskData } from './datasets.js';

/** A task: its id, description, reads and writes (TaskData), what it waits for, and what it runs. */
export interface TaskDefinition extends TaskData {
  upstream: readonly TaskId[];
  run(ctx: RunContext): Promise<TaskResult>;
}

/**
 * The pipeline: the seed's 15 tasks, their dependencies and the datasets each reads and writes, declared
 * once. The embedded runner executes this list, `medallion dag --json` prints it, the Airflow DAG is built
 * from that output, and catalog.data_lineage is derived from the reads and writes (src/pipeline/datasets.ts).
 */
export const PIPELINE: readonly TaskDefinition[] = [
  { id: 'ensure_all_tables', upstream: [], run: tasks.ensureAllTables, description: 'Creates all databases, tables and schemas idempotently',
    reads: [], writes: [] },
  { id: 'register_catalog', upstream: ['ensure_all_tables'], run: (ctx) => tasks.registerCatalog(ctx, lineage(ctx.config)), description: 'Registers tables and columns from the engines, and the lineage derived from each task\'s reads and writes',
    reads: [], writes: ['catalog.table_registry', 'catalog.column_registry', 'catalog.data_lineage'] },
  { id: 'start_pipeline_run', upstream: ['register_catalog'], run: tasks.startPipelineRun, description: 'Logs the run start in catalog.pipeline_runs',
    reads: [], writes: ['catalog.pipeline_runs'] },
  // The configured source: synthetic, or files whose ledger is catalog.source_files.
  { id: 'load_bronze', upstream: ['start_pipeline_run'], run: tasks.loadBronze, description: 'Loads the window\'s events from the configured source (generated, or landed files) into bronze.stg_events (append-only, idempotent)',
    reads: [SOURCE], writes: ['bronze.stg_events', 'catalog.source_files'] },
  { id: 'quarantine_invalid_rows', upstream: ['load_bronze'], run: tasks.quarantineInvalidRows, description: 'Captures rejected rows with their reasons in silver.quarantine_events',
    reads: ['bronze.stg_events'], writes: ['silver.quarantine_events'] },
  // silver.event_ids is read too, to skip the ids it holds: its own target, not a source.
  { id: 'transform_silver', upstream: ['quarantine_invalid_rows'], run: tasks.transformSilver, description: 'Cleans and deduplicates valid rows into silver.fact_events, each event id once across the dedup horizon (registered in silver.event_ids)',
    reads: ['bronze.stg_events'], writes: ['silver.event_ids', 'silver.fact_events'] },
  // Type-2 attributes from the batch's bronze rows, type-1 totals from silver.
  { id: 'update_dim_users', upstream: ['transform_silver'], run: tasks.updateDimUsers, description: 'SCD Type 2: tracks user attribute changes in silver.dim_users',
    reads: ['bronze.stg_events', 'silver.fact_events'], writes: ['silver.dim_users'] },
  { id: 'snapshot_gold_history', upstream: ['update_dim_users'], run: tasks.snapshotGoldHistory, description: 'Audit snapshot of the touched gold rows before re-aggregation',
    reads: ['gold.agg_events_hourly', 'gold.rpt_daily_summary'],
    writes: [{ dataset: 'gold.agg_events_hourly_history', from: ['gold.agg_events_hourly'] }, { dataset: 'gold.rpt_daily_summary_history', from: ['gold.rpt_daily_summary'] }] },
  { id: 'aggregate_gold_hourly', upstream: ['snapshot_gold_history'], run: tasks.aggregateGoldHourly, description: 'Re-aggregates every touched hour into gold.agg_events_hourly',
    reads: ['silver.fact_events'], writes: ['gold.agg_events_hourly'] },
  { id: 'aggregate_gold_daily', upstream: ['snapshot_gold_history'], run: tasks.aggregateGoldDaily, description: 'Re-aggregates every touched date into gold.rpt_daily_summary',
    reads: ['silver.fact_events'], writes: ['gold.rpt_daily_summary'] },
  { id: 'verify_pipeline', upstream: ['aggregate_gold_hourly', 'aggregate_gold_daily'], run: tasks.verifyPipeline, description: 'Quality gate: batch accounting, each event id once in silver across the dedup horizon, and gold against silver',
    reads: ['bronze.stg_events', 'silver.quarantine_events', 'silver.fact_events', 'silver.event_ids', 'gold.agg_events_hourly', 'catalog.source_files'], writes: ['catalog.validation_log'] },
  { id: 'export_gold_to_s3', upstream: ['verify_pipeline'], run: tasks.exportGoldToS3, description: 'Writes every touched gold partition to the Parquet lake (Hive layout)',
    reads: ['gold.agg_events_hourly', 'gold.rpt_daily_summary'],
    writes: [{ dataset: 'lake.agg_events_hourly', from: ['gold.agg_events_hourly'] }, { dataset: 'lake.rpt_daily_summary', from: ['gold.rpt_daily_summary'] }] },
  { id: 'load_aurora', upstream: ['export_gold_to_s3'], run: tasks.loadAurora, description: 'Upserts every touched gold row into PostgreSQL',
    reads: ['gold.agg_events_hourly', 'gold.rpt_daily_summary'],
    writes: [{ dataset: 'postgres.{schema}.agg_events_hourly', from: ['gold.agg_events_hourly'] }, { dataset: 'postgres.{schema}.rpt_daily_summary', from: ['gold.rpt_daily_summary'] }] },
  { id: 'validate_delivery', upstream: ['load_aurora'], run: tasks.validateDelivery, description: 'Checks ClickHouse = PostgreSQL = lake for every touched window',
    reads: ['gold.agg_events_hourly', 'gold.rpt_daily_summary', 'postgres.{schema}.agg_events_hourly', 'postgres.{schema}.rpt_daily_summary', 'lake.agg_events_hourly', 'lake.rpt_daily_summary'],
    writes: ['catalog.validation_log'] },
  { id: 'complete_pipeline_run', upstream: ['validate_delivery'], run: tasks.completePipelineRun, description: 'Logs the run completion with its row counts',
    reads: ['catalog.benchmark_log'], writes: ['catalog.pipeline_runs'] },
];

// The graph declares every task id once, in the order of TASK_IDS (which configuration validates against).
if (PIPELINE.map((task) => task.id).join() !== TASK_IDS.join()) throw new Error('src/pipeline/graph.ts and src/task-ids.ts list different tasks');

/** The data flows the declarations make, checked when the graph loads (see dataFlows). */
export const DATA_FLOWS = dataFlows(PIPELINE);

/** The lineage of a configuration: the data flows with the configured source and PostgreSQL schema. */
export function lineage(config: Config): LineageFlow[] {
  return resolveFlows(DATA_FLOWS, datasetNames(config));
}

export function findTask(id: string): TaskDefinition {
  const task = PIPELINE.find((candidate) => candidate.id === id);
  if (!task) throw new Error(`Unknown task "${id}". Tasks: ${PIPELINE.map((candidate) => candidate.id).join(', ')}`);
  return task;
}

/** Every task downstream of `id`, transitively. */
export function downstreamOf(id: TaskId): Set<TaskId> {
  const found = new Set<TaskId>();
  const visit = (current: TaskId) => {
    for (const task of PIPELINE) {
      if (task.upstream.includes(current) && !found.has(task.id)) {
        found.add(task.id);
        visit(task.id);
      }
    }
  };
  visit(id);
  return found;
}
