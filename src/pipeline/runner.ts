import type { Config } from '../config.js';
import { maskSecrets } from '../config.js';
import type { Engines } from '../engines/index.js';
import { faultPoint } from '../faults.js';
import type { TaskId } from '../task-ids.js';
import { toBatch } from '../layers/batch.js';
import * as catalog from '../layers/catalog/repository.js';
import { startAttemptEvents, startWindowEvents } from '../openlineage/index.js';
import { sourceOf } from '../sources/index.js';
import { defaultRunId, type RunContext, type TaskResult } from './context.js';
import { downstreamOf, PIPELINE, type TaskDefinition } from './graph.js';

export type TaskStatus = 'success' | 'failed' | 'skipped';

export interface TaskOutcome {
  id: string;
  status: TaskStatus;
  attempts: number;
  durationMs: number;
  result?: TaskResult;
  error?: string;
}

export interface RunOutcome {
  runId: string;
  windowStart: string;
  /** `skipped`: a range run found the window already succeeded and did not run it again (see runRange). */
  status: 'success' | 'failed' | 'skipped';
  durationMs: number;
  tasks: TaskOutcome[];
  failedTask?: string;
  error?: string;
}

export type RunEvent =
  | { type: 'task-start'; runId: string; task: string; attempt: number }
  | { type: 'task-end'; runId: string; task: string; attempt: number; status: 'success' | 'failed'; durationMs: number; summary?: string; error?: string };

export interface RunOptions {
  config: Config;
  engines: Engines;
  windowStart: Date;
  runId?: string;
  /** Called before and after every task attempt; the runner waits for it. */
  onEvent?: (event: RunEvent) => void | Promise<void>;
}

/** Runs one task once: the unit Airflow schedules, and the embedded runner retries. */
export async function runTaskAttempt(task: TaskDefinition, ctx: RunContext, attempt: number, onEvent?: RunOptions['onEvent']): Promise<TaskResult> {
  await onEvent?.({ type: 'task-start', runId: ctx.runId, task: task.id, attempt });
  // OpenLineage's START before the attempt, COMPLETE or FAIL after it (nothing when it is off); never fails the task.
  const lineage = await startAttemptEvents(task, ctx, new Date());
  const startedAt = new Date();
  const started = performance.now();
  let outcome: { result?: TaskResult; error?: Error };
  faultPoint(`before:${task.id}`);
  try {
    if (ctx.config.failTask === task.id) throw new Error(`fault injected by MEDALLION_FAIL_TASK=${task.id}`);
    outcome = { result: await task.run(ctx) };
    // The work is done but not yet recorded as done: the most hostile moment of a boundary.
    faultPoint(`after:${task.id}`);
  } catch (error) {
    outcome = { error: error instanceof Error ? error : new Error(String(error)) };
  }
  const durationMs = performance.now() - started;
  const message = outcome.error ? maskSecrets(outcome.error.message) : undefined;
  await recordAttempt(ctx, task.id, attempt, startedAt, durationMs, outcome.result, message);
  await lineage?.end({ ...(outcome.result ? { result: outcome.result } : {}), ...(message !== undefined ? { error: message } : {}) });
  await onEvent?.({ type: 'task-end', runId: ctx.runId, task: task.id, attempt, status: outcome.error ? 'failed' : 'success', durationMs, summary: outcome.result?.summary, error: message });
  if (outcome.error) throw outcome.error;
  return outcome.result!;
}

async function recordAttempt(ctx: RunContext, taskId: string, attempt: number, startedAt: Date, durationMs: number, result: TaskResult | undefined, error: string | undefined) {
  const rows = Math.max(result?.rowsIn ?? 0, result?.rowsOut ?? 0);
  try {
    await catalog.recordBenchmark(await ctx.engines.clickhouse(), {
      framework: ctx.config.framework,
      run_id: ctx.runId,
      task_name: taskId,
      attempt,
      status: error ? 'failed' : 'success',
      started_at: startedAt.toISOString().replace('T', ' ').replace('Z', ''),
      duration_ms: durationMs,
      rows_in: result?.rowsIn ?? 0,
      rows_out: result?.rowsOut ?? 0,
      rows_per_second: durationMs > 0 ? (rows * 1000) / durationMs : 0,
      peak_rss_bytes: process.resourceUsage().maxRSS * 1024,
      metrics: result?.metrics ?? {},
      error: error ?? '',
    });
  } catch (logError) {
    // The catalog may not exist yet (ensure_all_tables itself failed): the attempt is still reported on stderr.
    ctx.log(`could not record the attempt of ${taskId} in catalog.benchmark_log: ${maskSecrets((logError as Error).message)}`);
  }
}

export function createContext(options: RunOptions): RunContext {
  const runId = options.runId ?? defaultRunId(options.windowStart);
  return {
    runId,
    batch: toBatch(runId, options.windowStart),
    config: options.config,
    engines: options.engines,
    log: (message) => process.stderr.write(`${message}\n`),
  };
}

/**
 * Runs the whole graph for one window: each task once its upstream tasks succeeded (so the two gold
 * aggregations run together), with retries and exponential backoff. A task that still fails fails the
 * run: its downstream tasks are skipped and the run is marked failed in catalog.pipeline_runs. The
 * window is claimed first, so a second process running it waits (or fails, saying who holds it).
 */
export async function runWindow(options: RunOptions & { skipIfSucceeded?: boolean }): Promise<RunOutcome> {
  // No other process works on this window meanwhile (see Engines.claimWindow); released whatever happens.
  const release = await options.engines.claimWindow(options.windowStart);
  try {
    if (options.skipIfSucceeded) {
      // Asked under the claim: a process that waited for another one's run of this window finds it done.
      const runId = options.runId ?? defaultRunId(options.windowStart);
      const status = (await catalog.runStatuses(await options.engines.clickhouse(), [runId])).get(runId)?.status;
      if (status === 'success') return skippedRun(runId, options.windowStart);
    }
    return await runClaimedWindow(options);
  } finally {
    await release();
  }
}

/**
 * The task during whose ClickHouse work the whole-window runner opens PostgreSQL: the bronze load when the
 * source knows the window has rows (its statement is long and leaves a core to spare: measured, 0.2 s off a
 * 1 M-event window), otherwise the dimension's update once transform_silver has counted the batch's rows (an
 * empty batch never opens it). A short task would wait for this thread instead.
 */
function postgresOpenerOf(config: Config): (task: TaskId, outcomes: ReadonlyMap<string, TaskOutcome>) => boolean {
  if (sourceOf(config).deliversRowsForSure) return (task) => task === 'load_bronze';
  return (task, outcomes) => task === 'update_dim_users' && (outcomes.get('transform_silver')?.result?.rowsIn ?? 1) > 0;
}

async function runClaimedWindow(options: RunOptions): Promise<RunOutcome> {
  const ctx = createContext(options);
  const started = performance.now();
  // The window's run of job medallion_etl: the parent every task attempt's OpenLineage run names.
  const lineage = startWindowEvents(ctx);
  const outcomes = new Map<string, TaskOutcome>();
  const running = new Map<string, Promise<void>>();
  const opensPostgres = postgresOpenerOf(options.config);
  let failure: { task: TaskId; error: string } | undefined;

  const runWithRetries = async (task: TaskDefinition) => {
    const taskStarted = performance.now();
    const { attempts, delayMs } = options.config.retries;
    // PostgreSQL is needed from load_aurora on, and only when the batch has rows. Opening it keeps this thread
    // busy for a while (an embedded one compiles and starts its WebAssembly), so it starts once a long
    // ClickHouse statement is under way, on ClickHouse's threads (see postgresOpenerOf). A failure to open
    // surfaces in the first task that needs PostgreSQL.
    if (opensPostgres(task.id, outcomes)) {
      setTimeout(() => options.engines.postgres().catch(() => undefined), 0);
    }
    for (let attempt = 1; ; attempt += 1) {
      try {
        const result = await runTaskAttempt(task, ctx, attempt, options.onEvent);
        outcomes.set(task.id, { id: task.id, status: 'success', attempts: attempt, durationMs: performance.now() - taskStarted, result });
        return;
      } catch (error) {
        if (attempt >= attempts) {
          const message = maskSecrets((error as Error).message);
          outcomes.set(task.id, { id: task.id, status: 'failed', attempts: attempt, durationMs: performance.now() - taskStarted, error: message });
          failure ??= { task: task.id, error: message };
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, delayMs * 2 ** (attempt - 1)));
      }
    }
  };

  while (!failure && outcomes.size + running.size < PIPELINE.length) {
    const ready = PIPELINE.filter((task) => !outcomes.has(task.id) && !running.has(task.id) && task.upstream.every((id) => outcomes.get(id)?.status === 'success'));
    for (const task of ready) {
      running.set(task.id, runWithRetries(task).finally(() => running.delete(task.id)));
    }
    if (running.size === 0) break;
    await Promise.race(running.values());
  }
  await Promise.all(running.values());

  if (failure) {
    const skipped = downstreamOf(failure.task);
    for (const task of PIPELINE) {
      if (!outcomes.has(task.id) && skipped.has(task.id)) outcomes.set(task.id, { id: task.id, status: 'skipped', attempts: 0, durationMs: 0 });
    }
    await markFailed(ctx, failure.task, failure.error);
  }
  lineage?.end(failure);
  return {
    runId: ctx.runId,
    windowStart: ctx.batch.windowStart,
    status: failure ? 'failed' : 'success',
    durationMs: performance.now() - started,
    tasks: PIPELINE.map((task) => outcomes.get(task.id) ?? { id: task.id, status: 'skipped', attempts: 0, durationMs: 0 }),
    ...(failure ? { failedTask: failure.task, error: failure.error } : {}),
  };
}

/**
 * What an orchestrator's failure callback asks for (`medallion fail-run`): the run is marked failed with
 * the error the failed attempt recorded, which it returns. A run that succeeded is never turned into a failure.
 */
export async function failRunOnRequest(ctx: RunContext, task: TaskId, fallbackError: string): Promise<string> {
  const clickhouse = await ctx.engines.clickhouse();
  const current = (await catalog.runStatuses(clickhouse, [ctx.runId])).get(ctx.runId);
  if (current?.status === 'success') {
    throw new Error(`Run ${ctx.runId} succeeded; refusing to mark it failed. Rerun the window (medallion run --redo) if its data must be reprocessed.`);
  }
  // The orchestrator's callback does not see the exception; the failed attempt recorded it in benchmark_log.
  const recorded = await catalog.lastTaskError(clickhouse, ctx.runId, task).catch(() => undefined);
  await markFailed(ctx, task, recorded ?? fallbackError);
  return recorded ?? fallbackError;
}

export async function markFailed(ctx: RunContext, task: string, error: string): Promise<void> {
  try {
    await catalog.failRun(await ctx.engines.clickhouse(), { runId: ctx.runId, windowStart: ctx.batch.windowStart, windowEnd: ctx.batch.windowEnd, framework: ctx.config.framework }, task, error);
  } catch (markError) {
    ctx.log(`could not mark run ${ctx.runId} failed in catalog.pipeline_runs: ${maskSecrets((markError as Error).message)}`);
  }
}

export interface RangeOptions extends Omit<RunOptions, 'windowStart' | 'runId'> {
  from: Date;
  to: Date;
  /** Run windows that already succeeded again (default: skip them). */
  redo?: boolean;
  /** Called before each window. */
  onWindow?: (index: number, total: number, windowStart: Date) => void;
  /** Called when a window is skipped because it already succeeded. */
  onSkip?: (windowStart: Date) => void;
}

/**
 * Every window in [from, to), in order; stops at the first failed run so later windows never overtake it.
 *
 * A window that already succeeded is skipped unless `redo` is set. This is what makes a range rerun after a
 * crash equal a clean run: re-running an earlier, finished window would re-aggregate its touched hours
 * from a silver that already holds the events of the crashed later window, and that window's history
 * snapshot ("gold before this batch") would then hold its own events. For the same reason `redo` is
 * refused while a window after the first of the range is unfinished: complete the range first.
 */
export async function runRange(options: RangeOptions): Promise<RunOutcome[]> {
  const windows = hourlyWindows(options.from, options.to);
  const runIds = windows.map((windowStart) => defaultRunId(windowStart));
  if (options.redo) {
    const statuses = await catalog.runStatuses(await options.engines.clickhouse(), runIds);
    const unfinished = runIds.slice(1).find((runId) => statuses.has(runId) && statuses.get(runId)!.status !== 'success');
    if (unfinished) {
      throw new Error(
        `Run ${unfinished} is unfinished (${statuses.get(unfinished)!.status}); redoing the windows before it would put its events into their ` +
          'gold and so into its own history snapshot. Rerun the range without --redo first (it completes the unfinished runs), then redo it.',
      );
    }
  }
  const outcomes: RunOutcome[] = [];
  for (const [index, windowStart] of windows.entries()) {
    options.onWindow?.(index, windows.length, windowStart);
    const outcome = await runWindow({ ...options, windowStart, skipIfSucceeded: !options.redo });
    if (outcome.status === 'skipped') options.onSkip?.(windowStart);
    outcomes.push(outcome);
    if (outcome.status === 'failed') break;
  }
  return outcomes;
}

function skippedRun(runId: string, windowStart: Date): RunOutcome {
  return {
    runId,
    windowStart: toBatch(runId, windowStart).windowStart,
    status: 'skipped',
    durationMs: 0,
    tasks: PIPELINE.map((task) => ({ id: task.id, status: 'skipped', attempts: 0, durationMs: 0 })),
  };
}

export function hourlyWindows(from: Date, to: Date): Date[] {
  const windows: Date[] = [];
  for (let time = floorToHour(from).getTime(); time < to.getTime(); time += 3_600_000) windows.push(new Date(time));
  return windows;
}

export function floorToHour(time: Date): Date {
  return new Date(Math.floor(time.getTime() / 3_600_000) * 3_600_000);
}
