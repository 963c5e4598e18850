import type { Config } from '../config.js';
import type { Engines } from '../engines/index.js';
import type { Batch } from '../layers/batch.js';
import type { DatasetId } from './datasets.js';

/** What a task gets: its run's batch, the configuration and the engines. */
export interface RunContext {
  runId: string;
  batch: Batch;
  config: Config;
  engines: Engines;
  log(message: string): void;
}

/** What a task reports: rows read and written, and named counts kept in catalog.benchmark_log. */
export interface TaskResult {
  rowsIn: number;
  rowsOut: number;
  metrics: Record<string, number>;
  summary: string;
  /**
   * What the task knows it wrote to each of its declared writes, from counts it already has (never an extra
   * scan): OpenLineage's output statistics. A write it cannot count is left out.
   */
  outputs?: Partial<Record<DatasetId, WrittenStatistics>>;
}

/**
 * The batch's rows a dataset holds once the task is done (what an idempotent rerun finds already written),
 * and, where known, the bytes and files written.
 */
export interface WrittenStatistics {
  rows: number;
  bytes?: number;
  files?: number;
}

/** The run id of a window when no orchestrator gives one: stable, so a rerun reuses it. */
export function defaultRunId(windowStart: Date): string {
  return `scheduled__${windowStart.toISOString().replace('.000Z', '+00:00')}`;
}
