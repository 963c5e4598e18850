import type { Config } from '../config.js';
import type { Engines } from '../engines/index.js';
import type { TaskId } from '../task-ids.js';
import type { TaskResult } from './context.js';
import { findTask } from './graph.js';
import { createContext, failRunOnRequest, runTaskAttempt, type RunOptions } from './runner.js';

/**
 * One task of one run, run once: the unit an orchestrator schedules (Airflow runs `medallion task` per task
 * instance). The task claims its window for as long as it runs, as a whole run does, so two processes never
 * work on one window at once. The command line only parses and prints; this is the work.
 */
export interface SingleTaskOptions {
  config: Config;
  engines: Engines;
  task: TaskId;
  windowStart: Date;
  /** The orchestrator's run id (default scheduled__<start>). */
  runId?: string;
  /** The orchestrator's try number, recorded in catalog.benchmark_log. */
  attempt: number;
  onEvent?: RunOptions['onEvent'];
}

export interface SingleTaskRun {
  runId: string;
  /** The window's start as the catalog writes it ('YYYY-MM-DD hh:mm:ss', UTC). */
  windowStart: string;
  /** Claims the window, runs the task once, releases the window; rejects with the task's error. */
  run(): Promise<TaskResult>;
}

export function singleTask(options: SingleTaskOptions): SingleTaskRun {
  const task = findTask(options.task);
  const ctx = createContext({ config: options.config, engines: options.engines, windowStart: options.windowStart, ...(options.runId ? { runId: options.runId } : {}) });
  return {
    runId: ctx.runId,
    windowStart: ctx.batch.windowStart,
    async run() {
      const release = await options.engines.claimWindow(options.windowStart);
      return runTaskAttempt(task, ctx, options.attempt, options.onEvent).finally(release);
    },
  };
}

export interface FailRunOptions {
  config: Config;
  engines: Engines;
  windowStart: Date;
  runId?: string;
  /** The task that failed. */
  task: TaskId;
  /** The error to record when the task's failed attempt recorded none. */
  fallbackError: string;
}

/**
 * What an orchestrator's failure callback asks for: the run marked failed with the error the task's last
 * failed attempt recorded (see failRunOnRequest). A run that succeeded is refused. Resolves to the run id.
 */
export async function failRun(options: FailRunOptions): Promise<{ runId: string; error: string }> {
  const ctx = createContext({ config: options.config, engines: options.engines, windowStart: options.windowStart, ...(options.runId ? { runId: options.runId } : {}) });
  const error = await failRunOnRequest(ctx, findTask(options.task).id, options.fallbackError);
  return { runId: ctx.runId, error };
}
