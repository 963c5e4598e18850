import { TASK_IDS, type TaskId } from '../task-ids.js';
import * as tasks from '../tasks.js';
import type { RunContext, TaskResult } from './context.js';

export interface TaskDefinition {
  id: TaskId;
  upstream: readonly TaskId[];
  description: string;
  run(ctx: RunContext): Promise<TaskResult>;
}

/**
 * The pipeline: the seed's 15 tasks and their dependencies, declared once. The embedded runner executes
 * this list, `medallion dag --json` prints it, and the Airflow DAG is built from that output.
 */
export const PIPELINE: readonly TaskDefinition[] = [
  { id: 'ensure_all_tables', upstream: [], run: tasks.ensureAllTables, description: 'Creates all databases, tables and schemas idempotently' },
  { id: 'register_catalog', upstream: ['ensure_all_tables'], run: tasks.registerCatalog, description: 'Registers tables and columns from the engines, and the 7 lineage flows' },
  { id: 'start_pipeline_run', upstream: ['register_catalog'], run: tasks.startPipelineRun, description: 'Logs the run start in catalog.pipeline_runs' },
  { id: 'load_bronze', upstream: ['start_pipeline_run'], run: tasks.loadBronze, description: 'Generates the window\'s events into bronze.stg_events (append-only, idempotent)' },
  { id: 'quarantine_invalid_rows', upstream: ['load_bronze'], run: tasks.quarantineInvalidRows, description: 'Captures rejected rows with their reasons in silver.quarantine_events' },
  { id: 'transform_silver', upstream: ['quarantine_invalid_rows'], run: tasks.transformSilver, description: 'Cleans and deduplicates valid rows into silver.fact_events' },
  { id: 'update_dim_users', upstream: ['transform_silver'], run: tasks.updateDimUsers, description: 'SCD Type 2: tracks user attribute changes in silver.dim_users' },
  { id: 'snapshot_gold_history', upstream: ['update_dim_users'], run: tasks.snapshotGoldHistory, description: 'Audit snapshot of the touched gold rows before re-aggregation' },
  { id: 'aggregate_gold_hourly', upstream: ['snapshot_gold_history'], run: tasks.aggregateGoldHourly, description: 'Re-aggregates every touched hour into gold.agg_events_hourly' },
  { id: 'aggregate_gold_daily', upstream: ['snapshot_gold_history'], run: tasks.aggregateGoldDaily, description: 'Re-aggregates every touched date into gold.rpt_daily_summary' },
  { id: 'verify_pipeline', upstream: ['aggregate_gold_hourly', 'aggregate_gold_daily'], run: tasks.verifyPipeline, description: 'Quality gate: batch accounting and gold against silver' },
  { id: 'export_gold_to_s3', upstream: ['verify_pipeline'], run: tasks.exportGoldToS3, description: 'Writes every touched gold partition to the Parquet lake (Hive layout)' },
  { id: 'load_aurora', upstream: ['export_gold_to_s3'], run: tasks.loadAurora, description: 'Upserts every touched gold row into PostgreSQL' },
  { id: 'validate_delivery', upstream: ['load_aurora'], run: tasks.validateDelivery, description: 'Checks ClickHouse = PostgreSQL = lake for every touched window' },
  { id: 'complete_pipeline_run', upstream: ['validate_delivery'], run: tasks.completePipelineRun, description: 'Logs the run completion with its row counts' },
];

// The graph declares every task id once, in the order of TASK_IDS (which configuration validates against).
if (PIPELINE.map((task) => task.id).join() !== TASK_IDS.join()) throw new Error('src/pipeline/graph.ts and src/task-ids.ts list different tasks');

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
