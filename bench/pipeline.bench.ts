/**
 * `npm run bench`: hourly runs at 1 M events per window on the embedded engines, in a fresh
 * temporary MEDALLION_HOME. The first window pays for creating the tables and starting the engines;
 * the following ones are the steady state (late events and re-deliveries against stored history).
 *
 *   BENCH_EVENTS_PER_HOUR=1000000  events per window
 *   BENCH_WINDOWS=3                windows run in order
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { formatDuration, formatTable } from '../src/cli/format.js';
import { loadConfig } from '../src/config.js';
import { openEngines } from '../src/engines/index.js';
import { expectedRows } from '../src/sources/synthetic.js';
import { runWindow, type RunOutcome } from '../src/pipeline/runner.js';

const eventsPerHour = Number(process.env.BENCH_EVENTS_PER_HOUR ?? 1_000_000);
const windowCount = Number(process.env.BENCH_WINDOWS ?? 3);
const firstWindow = new Date('2026-11-20T10:00:00Z');

const home = await mkdtemp(path.join(os.tmpdir(), 'medallion-bench-'));
const config = loadConfig({ MEDALLION_HOME: home, MEDALLION_EVENTS_PER_HOUR: String(eventsPerHour), MEDALLION_TASK_RETRIES: '0' });
const engines = await openEngines(config);
const outcomes: RunOutcome[] = [];
/** Wall-clock per window, the window claim and the engines' start included (the outcome's own duration starts after the claim). */
const wallMs: number[] = [];
try {
  for (let index = 0; index < windowCount; index += 1) {
    const started = performance.now();
    const outcome = await runWindow({ config, engines, windowStart: new Date(firstWindow.getTime() + index * 3_600_000) });
    wallMs.push(performance.now() - started);
    outcomes.push(outcome);
    process.stderr.write(`window ${index + 1}/${windowCount}: ${outcome.status} in ${formatDuration(wallMs[index]!)}\n`);
    if (outcome.status !== 'success') throw new Error(`${outcome.failedTask}: ${outcome.error}`);
  }
} finally {
  await engines.close();
  await rm(home, { recursive: true, force: true });
}

const rowsPerWindow = expectedRows(eventsPerHour);
console.log(`\nmedallion bench: ${eventsPerHour} events per hour (${rowsPerWindow} bronze rows per window), ${windowCount} windows, embedded engines, ${os.cpus().length} cores\n`);
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
const warm = wallMs.slice(1);
if (warm.length > 0) {
  const average = warm.reduce((sum, ms) => sum + ms, 0) / warm.length;
  console.log(`\nsteady state: ${(average / 1000).toFixed(2)} s per window end to end, ${Math.round((rowsPerWindow * 1000) / average)} events/s`);
}
