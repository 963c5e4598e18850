/**
 * `npm run bench`: hourly runs at 1 M events per window on the embedded engines, in a fresh
 * temporary MEDALLION_HOME. The first window pays for creating the tables and starting the engines;
 * the following ones are the steady state (late events and re-deliveries against stored history).
 *
 *   BENCH_EVENTS_PER_HOUR=1000000  events per window
 *   BENCH_WINDOWS=3                windows run in order
 *   BENCH_HISTORY_IDS=0            event ids registered in silver.event_ids before the first window, as if
 *                                  delivered by the windows before it: the dedup lookup's history
 *
 * Besides the task durations, it prints the dedup lookup of every window: the rows of silver.event_ids
 * within the horizon, how long transform_silver's lookup (the registration of the new ids) took, and
 * verify_pipeline, whose accounting looks the ids up again.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { formatDuration, formatTable } from '../src/cli/format.js';
import { loadConfig } from '../src/config.js';
import { openEngines } from '../src/engines/index.js';
import * as silver from '../src/layers/silver/repository.js';
import { formatClickHouseTime } from '../src/layers/batch.js';
import { sqlFile } from '../src/sql.js';
import { expectedRows } from '../src/sources/synthetic.js';
import { runWindow, type RunOutcome } from '../src/pipeline/runner.js';

const eventsPerHour = Number(process.env.BENCH_EVENTS_PER_HOUR ?? 1_000_000);
const windowCount = Number(process.env.BENCH_WINDOWS ?? 3);
const historyIds = Number(process.env.BENCH_HISTORY_IDS ?? 0);
const firstWindow = new Date('2026-11-20T10:00:00Z');

const home = await mkdtemp(path.join(os.tmpdir(), 'medallion-bench-'));
const config = loadConfig({ MEDALLION_HOME: home, MEDALLION_EVENTS_PER_HOUR: String(eventsPerHour), MEDALLION_TASK_RETRIES: '0' });
const engines = await openEngines(config);
const outcomes: RunOutcome[] = [];
/** Wall-clock per window, the window claim and the engines' start included (the outcome's own duration starts after the claim). */
const wallMs: number[] = [];
/** Rows of silver.event_ids within each window's horizon, counted after the window. */
const registryRows: number[] = [];
try {
  if (historyIds > 0) {
    const clickhouse = await engines.clickhouse();
    await silver.createTables(clickhouse);
    const started = performance.now();
    await clickhouse.command(sqlFile(import.meta.url, 'prefill_event_ids'), { ids: historyIds, per_window: eventsPerHour, first_window: formatClickHouseTime(firstWindow) });
    process.stderr.write(`history: ${historyIds} event ids registered in ${formatDuration(performance.now() - started)}\n`);
  }
  for (let index = 0; index < windowCount; index += 1) {
    const started = performance.now();
    const windowStart = new Date(firstWindow.getTime() + index * 3_600_000);
    const outcome = await runWindow({ config, engines, windowStart });
    wallMs.push(performance.now() - started);
    const [registry] = await (await engines.clickhouse()).rows<{ rows: number }>(sqlFile(import.meta.url, 'registry_rows_in_horizon'), { window_start: formatClickHouseTime(windowStart), horizon_days: config.dedupHorizonDays });
    registryRows.push(registry?.rows ?? 0);
    outcomes.push(outcome);
    process.stderr.write(`window ${index + 1}/${windowCount}: ${outcome.status} in ${formatDuration(wallMs[index]!)}\n`);
    if (outcome.status !== 'success') throw new Error(`${outcome.failedTask}: ${outcome.error}`);
  }
} finally {
  await engines.close();
  await rm(home, { recursive: true, force: true });
}

const rowsPerWindow = expectedRows(eventsPerHour);
console.log(`\nmedallion bench: ${eventsPerHour} events per hour (${rowsPerWindow} bronze rows per window), ${windowCount} windows, ${historyIds} event ids of history, embedded engines, ${os.cpus().length} cores\n`);
console.log(
  formatTable(
    outcomes[0]!.tasks.map((task) => ({
      task: task.id,
      ...Object.fromEntries(outcomes.map((outcome, index) => [`window ${index + 1}${index === 0 ? ' (cold)' : ''} ms`, Math.round(outcome.tasks.find((candidate) => candidate.id === task.id)!.durationMs)])),
    })),
  ),
);
console.log('');
console.log(
  formatTable(
    wallMs.map((ms, index) => ({
      window: `${index + 1}${index === 0 ? ' (cold)' : ''}`,
      seconds: Math.round(ms) / 1000,
      events_per_second: Math.round((rowsPerWindow * 1000) / ms),
      peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
    })),
  ),
);
console.log('');
const metric = (outcome: RunOutcome, task: string, name: string) => outcome.tasks.find((candidate) => candidate.id === task)?.result?.metrics[name] ?? 0;
console.log(
  formatTable(
    outcomes.map((outcome, index) => ({
      window: `${index + 1}${index === 0 ? ' (cold)' : ''}`,
      registry_rows_in_horizon: registryRows[index]!,
      event_id_lookup_ms: metric(outcome, 'transform_silver', 'event_id_lookup_ms'),
      silver_insert_ms: metric(outcome, 'transform_silver', 'silver_insert_ms'),
      verify_pipeline_ms: Math.round(outcome.tasks.find((task) => task.id === 'verify_pipeline')!.durationMs),
    })),
  ),
);
const warm = wallMs.slice(1);
if (warm.length > 0) {
  const average = warm.reduce((sum, ms) => sum + ms, 0) / warm.length;
  console.log(`\nsteady state: ${(average / 1000).toFixed(2)} s per window end to end, ${Math.round((rowsPerWindow * 1000) / average)} events/s`);
}
