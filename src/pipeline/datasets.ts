import type { Config } from '../config.js';
import type { LineageFlow } from '../layers/lineage.js';
import { sourceOf } from '../sources/index.js';
import type { TaskId } from '../task-ids.js';

/** The two gold tables delivered to the lake and to PostgreSQL. */
type DeliveredTable = 'agg_events_hourly' | 'rpt_daily_summary';

/** The catalog's own tables: where the pipeline records what it did, not data it derives. */
type CatalogTable =
  | 'catalog.table_registry'
  | 'catalog.column_registry'
  | 'catalog.data_lineage'
  | 'catalog.pipeline_runs'
  | 'catalog.validation_log'
  | 'catalog.benchmark_log'
  | 'catalog.source_files';

/** The configured source, whatever it is: resolved by `datasetNames`. */
export const SOURCE = '{source}';

/**
 * A dataset a task reads or writes, in one naming (the ids OpenLineage datasets can be made from):
 * - a ClickHouse table: `<database>.<table>`;
 * - a delivered replica: `lake.<table>` (its Parquet partitions, wherever MEDALLION_LAKE_URL points) or
 *   `postgres.{schema}.<table>`, {schema} being MEDALLION_POSTGRES_SCHEMA;
 * - `{source}`: the configured source, as the source module names it: `source.synthetic`, or
 *   `landing.<mapping name>` for files landed in a directory or an S3 prefix (MEDALLION_SOURCE).
 * The names in braces are resolved from configuration when the lineage is registered; `medallion dag
 * --json` prints them as declared, since Airflow parses the DAG without the workers' configuration.
 */
export type DatasetId =
  | typeof SOURCE
  | 'bronze.stg_events'
  | 'silver.quarantine_events'
  | 'silver.fact_events'
  | 'silver.event_ids'
  | 'silver.dim_users'
  | 'gold.agg_events_hourly'
  | 'gold.rpt_daily_summary'
  | 'gold.agg_events_hourly_history'
  | 'gold.rpt_daily_summary_history'
  | `lake.${DeliveredTable}`
  | `postgres.{schema}.${DeliveredTable}`
  | CatalogTable;

/** A dataset a task writes: made from all of the task's reads, or only from those named in `from`. */
export type Write = DatasetId | { dataset: DatasetId; from: readonly DatasetId[] };

/** What a task declares about its data, once: lineage is derived from it, never listed by hand. */
export interface TaskData {
  id: TaskId;
  description: string;
  /**
   * The datasets whose rows the task's writes are made from. Not declared: what a task reads only to scope
   * its work (the batch's touched windows in bronze) or to skip what it already wrote (its own targets,
   * the SCD2 chain it extends), which would draw a table as its own source.
   */
  reads: readonly DatasetId[];
  writes: readonly Write[];
}

/** A data flow between two declared datasets, names in braces unresolved. */
export interface DeclaredFlow {
  source: DatasetId;
  target: DatasetId;
  task: TaskId;
  transformation: string;
}

export const writtenDataset = (write: Write): DatasetId => (typeof write === 'string' ? write : write.dataset);

/**
 * Catalog tables are the pipeline's bookkeeping (runs, checks, the registry, the files ledger): tasks
 * declare them, but a flow into or out of one is not lineage of the data, so none is registered. A data
 * engineer asking where gold.agg_events_hourly goes wants the lake, PostgreSQL and the history table, not
 * the validation log that checked it.
 */
export const isBookkeeping = (dataset: DatasetId): boolean => dataset.startsWith('catalog.');

/**
 * The data flows of the tasks: each (read → write) pair of a task, both ends data, the task's description
 * as the transformation. Throws on a declaration that cannot be meant: a `from` that is not a read, a task
 * reading what it writes, or two tasks writing one (source, target) pair, which catalog.data_lineage
 * (ReplacingMergeTree ORDER BY source_table, target_table) would collapse into one row.
 */
export function dataFlows(tasks: readonly TaskData[]): DeclaredFlow[] {
  const flows: DeclaredFlow[] = [];
  const owners = new Map<string, TaskId>();
  for (const task of tasks) {
    for (const write of task.writes) {
      const target = writtenDataset(write);
      const sources = typeof write === 'string' ? task.reads : write.from;
      for (const source of sources) {
        if (!task.reads.includes(source)) throw new Error(`Task ${task.id} writes ${target} from ${source}, which it does not declare among its reads`);
        if (source === target) throw new Error(`Task ${task.id} declares ${target} as both a read and a write: declare only the rows it is made from`);
        if (isBookkeeping(source) || isBookkeeping(target)) continue;
        const pair = `${source} -> ${target}`;
        const owner = owners.get(pair);
        if (owner) throw new Error(`Tasks ${owner} and ${task.id} both declare the flow ${pair}: catalog.data_lineage keeps one row per (source, target)`);
        owners.set(pair, task.id);
        flows.push({ source, target, task: task.id, transformation: task.description });
      }
    }
  }
  return flows;
}

/** What the names in braces stand for in a configuration. */
export interface DatasetNames {
  /** The source's dataset, as the source module names it. */
  source: string;
  postgresSchema: string;
}

export function datasetNames(config: Config): DatasetNames {
  return { source: sourceOf(config).dataset, postgresSchema: config.postgresSchema };
}

export function resolveDataset(dataset: DatasetId, names: DatasetNames): string {
  return dataset === SOURCE ? names.source : dataset.replace('{schema}', names.postgresSchema);
}

/** The flows with their datasets named as the configuration names them: the rows of catalog.data_lineage. */
export function resolveFlows(flows: readonly DeclaredFlow[], names: DatasetNames): LineageFlow[] {
  return flows.map((flow) => ({ ...flow, source: resolveDataset(flow.source, names), target: resolveDataset(flow.target, names) }));
}
