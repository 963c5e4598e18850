import type { Config } from '../config.js';
import type { Engines } from '../engines/index.js';
import type { Batch } from '../layers/batch.js';

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
}

/** The run id of a window when no orchestrator gives one: stable, so a rerun reuses it. */
export function defaultRunId(windowStart: Date): string {
  return `scheduled__${windowStart.toISOString().replace('.000Z', '+00:00')}`;
}
