/**
 * `npm run bench [-- options]` (first part): the pipeline end to end, each window as its own process of the
 * built CLI (`node dist/cli/main.js run --from <hour> --json`), in a fresh temporary MEDALLION_HOME, against
 * a bare reference measured in the same run. Run `npm run bench -- --help` for the options; this file alone,
 * after `npm run build`: `npx tsx bench/pipeline.bench.ts --events 10000000`.
 *
 *   1. --history-days D: D × 24 hourly windows of history, bulk-loaded into the project's own tables right
 *      before the first window (bench/history.ts), at --history-events per hour.
 *   2. --windows K synthetic windows of --events events: the first is the cold one (a new process on a new
 *      home: engines started, tables created unless the history created them), the others warm.
 *   3. Two empty windows: a files source whose landing directory is empty, on the same home; the first
 *      switches the source (its lineage rewritten), the second is the empty hour of a deployment.
 *   4. In this process, on the same home, background merges stopped: the bare reference (the window's rows written to a plain MergeTree
 *      bronze table and cleaned into a plain silver one, bench/sql/bare_*.sql, best of 2), and the seed's gold
 *      statements (FINAL over all of silver, bench/sql/peer_*.sql, best of 2) for the last synthetic window,
 *      next to our gold tasks' times in that window.
 *
 * It prints one table (per-task ms of every window, wall time, events/s, peak RSS, ratio to bare, the
 * dedup lookup's figures), the peer table and the issue's targets, and writes the same figures to
 * bench/results/<YYYY-MM-DD>-<commit>[-dirty].json.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import { formatDuration, formatTable } from '../src/cli/format.js';
import { loadConfig } from '../src/config.js';
import { displayUrl, holdsSecrets } from '../src/secrets.js';
import { openEngines, type Warehouse } from '../src/engines/index.js';
import { formatClickHouseTime } from '../src/layers/batch.js';
import { defaultRunId } from '../src/pipeline/context.js';
import type { RunOutcome } from '../src/pipeline/runner.js';
import { runScript, sqlFile } from '../src/sql.js';
import { expectedRows } from '../src/sources/synthetic.js';
import { createTables, loadHistory, type HistoryReport } from './history.js';

const HOUR_MS = 3_600_000;
const FIRST_WINDOW = new Date('2026-11-20T10:00:00Z');
/** Times the bare reference and each seed statement run; the best is kept. */
const REPEATS = 2;
const REPOSITORY = fileURLToPath(new URL('..', import.meta.url));
const CLI = path.join(REPOSITORY, 'dist', 'cli', 'main.js');
/** Settings of the caller's environment that would point the windows elsewhere than the bench's home and engines. */
const NOT_INHERITED = ['MEDALLION_HOME', 'MEDALLION_SOURCE', 'MEDALLION_CLICKHOUSE_URL', 'MEDALLION_POSTGRES_URL', 'MEDALLION_CLICKHOUSE_CLUSTER', 'MEDALLION_LAKE_URL', 'MEDALLION_S3_ENDPOINT', 'MEDALLION_KILL_AT', 'MEDALLION_FAIL_TASK'];

// ---------------------------------------------------------------------------------------------- options

function wholeNumber(minimum: number) {
  return (value: string): number => {
    const number = Number(value);
    if (!Number.isInteger(number) || number < minimum) throw new InvalidArgumentError(`"${value}" is not a whole number ≥ ${minimum}`);
    return number;
  };
}
/** An option's default from the environment (the earlier bench's variables), else the given one. */
function fromEnv(name: string, minimum: number, fallback: number): number {
  const value = process.env[name];
  return value === undefined || value === '' ? fallback : wholeNumber(minimum)(value);
}

const program = new Command()
  .name('npm run bench --')
  .description(
    'The pipeline end to end, one process per window, on the embedded engines in a temporary home; then (npm run bench) the ingest bench.\n' +
      'Options come after "--": npm run bench -- --events 10000000 --history-days 30.',
  )
  .option('--events <n>', 'events per benchmarked window (or env BENCH_EVENTS_PER_HOUR)', wholeNumber(1), fromEnv('BENCH_EVENTS_PER_HOUR', 1, 1_000_000))
  .option('--windows <k>', 'synthetic windows, in order: the first is the cold window of a new home, the others warm (or env BENCH_WINDOWS)', wholeNumber(1), fromEnv('BENCH_WINDOWS', 1, 3))
  .option('--history-days <d>', 'days of hourly history bulk-loaded before the first window (or env BENCH_HISTORY_DAYS)', wholeNumber(0), fromEnv('BENCH_HISTORY_DAYS', 0, 0))
  .option('--history-events <n>', 'events per history hour (default: --events)', wholeNumber(1))
  .option('--history-ids <n>', 'event ids registered only (no events), as delivered by the windows before the first: load for the dedup lookup (or env BENCH_HISTORY_IDS)', wholeNumber(0), fromEnv('BENCH_HISTORY_IDS', 0, 0))
  .option('--keep-home', 'keep the temporary MEDALLION_HOME and print its path')
  .option('--no-ingest', 'npm run bench: skip the ingest bench that follows (BENCH_INGEST_LINES sets its size)')
  .showHelpAfterError()
  .parse();
const options = program.opts<{ events: number; windows: number; historyDays: number; historyEvents?: number; historyIds: number; keepHome?: boolean }>();
const historyEvents = options.historyEvents ?? options.events;

if (!existsSync(CLI)) {
  process.stderr.write(`${CLI} is missing: run \`npm run build\` first (npm run bench does)\n`);
  process.exit(1);
}

// ---------------------------------------------------------------------------------------------- windows

interface WindowRun {
  label: string;
  kind: 'cold' | 'warm' | 'switch' | 'empty';
  windowStart: Date;
  runId: string;
  /** Spawn to exit of the window's process. */
  wallMs: number;
  /** Bronze rows the window delivered. */
  rows: number;
  peakRssMb: number;
  outcome: RunOutcome;
  /** silver.event_ids rows within the window's horizon when it ran. */
  registryRows?: number;
}

const home = await mkdtemp(path.join(os.tmpdir(), 'medallion-bench-'));
const baseEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => !NOT_INHERITED.includes(name)));
/**
 * The windows stand for consecutive hours but follow each other within seconds: the parts a window's merges
 * replaced are deleted at its own close (lifetime 0), as an hourly deployment's next window deletes them
 * (default 480 s; see src/engines/replaced-parts.ts). A caller's own setting wins.
 */
const windowEnv: NodeJS.ProcessEnv = { MEDALLION_OLD_PARTS_LIFETIME_SECONDS: '0', ...baseEnv, MEDALLION_HOME: home, MEDALLION_EVENTS_PER_HOUR: String(options.events), MEDALLION_TASK_RETRIES: '0' };
const config = loadConfig(windowEnv);
/**
 * The MEDALLION_ settings the windows run with, the caller's (MEDALLION_SILVER_SLICE_ROWS, for instance) and the lifetime above: in the
 * header and the JSON, so that runs are compared with what they ran; a URL's credentials masked.
 */
const settings = Object.fromEntries(
  Object.entries({ MEDALLION_OLD_PARTS_LIFETIME_SECONDS: windowEnv.MEDALLION_OLD_PARTS_LIFETIME_SECONDS, ...baseEnv })
    .filter(([name, value]) => name.startsWith('MEDALLION_') && value !== undefined)
    .map(([name, value]) => [name, holdsSecrets(name) ? displayUrl(value!) : value!])
    .sort(([a], [b]) => a!.localeCompare(b!)),
) as Record<string, string>;
const log = (line: string) => process.stderr.write(`${line}\n`);

/** One outcome of `run --json`: the runner's RunOutcome in the CLI's snake_case, with the process's peak RSS. */
interface CliOutcome {
  run_id: string;
  window_start: string;
  status: RunOutcome['status'];
  duration_ms: number;
  tasks: { id: string; status: RunOutcome['tasks'][number]['status']; attempts: number; duration_ms: number; result?: { rows_in: number; rows_out: number; metrics: Record<string, number>; summary: string }; error?: string }[];
  failed_task?: string;
  error?: string;
  peak_rss_mb?: number;
}

function fromCli(outcome: CliOutcome): RunOutcome & { peakRssMb?: number } {
  return {
    runId: outcome.run_id,
    windowStart: outcome.window_start,
    status: outcome.status,
    durationMs: outcome.duration_ms,
    tasks: outcome.tasks.map((task) => ({
      id: task.id,
      status: task.status,
      attempts: task.attempts,
      durationMs: task.duration_ms,
      ...(task.result ? { result: { rowsIn: task.result.rows_in, rowsOut: task.result.rows_out, metrics: task.result.metrics, summary: task.result.summary } } : {}),
      ...(task.error !== undefined ? { error: task.error } : {}),
    })),
    ...(outcome.failed_task !== undefined ? { failedTask: outcome.failed_task } : {}),
    ...(outcome.error !== undefined ? { error: outcome.error } : {}),
    ...(outcome.peak_rss_mb !== undefined ? { peakRssMb: outcome.peak_rss_mb } : {}),
  };
}

/** Runs one window as a process of the built CLI; fails with its stderr when the window does not succeed. */
async function runWindowProcess(label: string, kind: WindowRun['kind'], windowStart: Date, env: NodeJS.ProcessEnv, rows: number): Promise<WindowRun> {
  const started = performance.now();
  const child = spawn(process.execPath, [CLI, 'run', '--from', windowStart.toISOString(), '--json'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; at: number }>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, at: performance.now() }));
  });
  const closed = new Promise((resolve) => child.on('close', resolve));
  const { code, at } = await exited;
  await closed;
  let outcome: (RunOutcome & { peakRssMb?: number }) | undefined;
  try {
    outcome = fromCli((JSON.parse(stdout) as CliOutcome[])[0]!);
  } catch {
    outcome = undefined;
  }
  if (code !== 0 || outcome?.status !== 'success') {
    const why = outcome ? `${outcome.status}${outcome.failedTask ? ` in ${outcome.failedTask}: ${outcome.error}` : ''}` : 'no JSON outcome';
    throw new Error(`window ${label} (${windowStart.toISOString()}) exited ${code}, ${why}\n--- its stderr ---\n${stderr.slice(-4000)}`);
  }
  const wallMs = at - started;
  const peakRssMb = outcome.peakRssMb ?? 0;
  log(`window ${label.padEnd(7)} ${windowStart.toISOString()}: ${outcome.status} in ${formatDuration(wallMs)} as a process (run ${formatDuration(outcome.durationMs)}), peak RSS ${peakRssMb} MB`);
  return { label, kind, windowStart, runId: outcome.runId, wallMs, rows, peakRssMb, outcome };
}

// ---------------------------------------------------------------------------------------------- in-process measurements

interface Measured {
  bareMs: number;
  bareRuns: number[];
  peer: { statement: string; task: string; oursMs: number; seedFinalMs: number; seedRuns: number[] }[];
}

async function best(runs: number, work: () => Promise<unknown>, between?: () => Promise<unknown>): Promise<number[]> {
  const times: number[] = [];
  for (let run = 0; run < runs; run += 1) {
    if (run > 0) await between?.();
    const started = performance.now();
    await work();
    times.push(performance.now() - started);
  }
  return times;
}

async function measureInProcess(clickhouse: Warehouse, windows: WindowRun[], lastSynthetic: WindowRun): Promise<Measured> {
  // The registry rows each window's lookup scanned (the rows of the windows after it left out).
  for (const [index, window] of windows.entries()) {
    const [registry] = await clickhouse.rows<{ rows: number }>(sqlFile(import.meta.url, 'registry_rows_in_horizon'), {
      window_start: formatClickHouseTime(window.windowStart),
      horizon_days: config.dedupHorizonDays,
      later: windows.slice(index + 1).map((later) => later.runId),
    });
    window.registryRows = Number(registry?.rows ?? 0);
  }

  // The bare reference: the first window's rows into plain MergeTree bronze, then cleaned into plain silver.
  const bareParams = { events_per_hour: options.events, seed: config.source.seed, batch_id: defaultRunId(FIRST_WINDOW), window_start: formatClickHouseTime(FIRST_WINDOW) };
  const resetBare = async () => {
    await clickhouse.command(sqlFile(import.meta.url, 'bare_drop'));
    await runScript((statement) => clickhouse.command(statement), sqlFile(import.meta.url, 'bare_tables'));
  };
  let bareRuns: number[];
  // The parts the windows left are merged in the background of whichever process opens the home next: here
  // they would slow the reference and the seed's statements (a 10 M-event reference took 9.3 s instead of
  // 7.4 s). The windows paid for their own merges; the references are measured without.
  await clickhouse.command('SYSTEM STOP MERGES');
  await resetBare();
  try {
    bareRuns = await best(
      REPEATS,
      async () => {
        await clickhouse.command(sqlFile(import.meta.url, 'bare_bronze'), bareParams);
        await clickhouse.command(sqlFile(import.meta.url, 'bare_silver'));
      },
      resetBare,
    );
  } finally {
    await clickhouse.command(sqlFile(import.meta.url, 'bare_drop'));
  }
  log(`bare reference: ${bareRuns.map((ms) => formatDuration(ms)).join(', ')}`);

  // The seed's gold statements for the last synthetic window, into scratch copies of the gold tables.
  const peer: Measured['peer'] = [];
  await runScript((statement) => clickhouse.command(statement), sqlFile(import.meta.url, 'peer_tables'));
  try {
    for (const [statement, task, table] of [
      ['hourly', 'aggregate_gold_hourly', 'agg_events_hourly'],
      ['daily', 'aggregate_gold_daily', 'rpt_daily_summary'],
    ] as const) {
      const seedRuns = await best(
        REPEATS,
        () => clickhouse.command(sqlFile(import.meta.url, `peer_seed_${statement}`), { batch_id: lastSynthetic.runId }),
        () => clickhouse.command(`TRUNCATE TABLE bench_peer.${table}`),
      );
      const oursMs = lastSynthetic.outcome.tasks.find((candidate) => candidate.id === task)?.durationMs ?? 0;
      peer.push({ statement, task, oursMs, seedFinalMs: Math.min(...seedRuns), seedRuns });
    }
  } finally {
    await clickhouse.command(sqlFile(import.meta.url, 'peer_drop'));
  }
  return { bareMs: Math.min(...bareRuns), bareRuns, peer };
}

// ---------------------------------------------------------------------------------------------- run

const windows: WindowRun[] = [];
let history: HistoryReport | undefined;
let measured: Measured | undefined;
let keepHome = options.keepHome ?? false;
try {
  if (options.historyDays > 0 || options.historyIds > 0) {
    // The bench takes the home (its lock) to load the history, and gives it back before the windows start.
    const engines = await openEngines(config);
    try {
      const clickhouse = await engines.clickhouse();
      await createTables(clickhouse);
      history = await loadHistory(clickhouse, { before: FIRST_WINDOW, days: options.historyDays, eventsPerHour: historyEvents, seed: config.source.seed, ids: options.historyIds, log });
    } finally {
      await engines.close();
    }
    log(`history loaded in ${formatDuration(history.ms)}`);
  }

  const synthetic = expectedRows(options.events);
  for (let index = 0; index < options.windows; index += 1) {
    const label = index === 0 ? 'cold' : `warm ${index}`;
    windows.push(await runWindowProcess(label, index === 0 ? 'cold' : 'warm', new Date(FIRST_WINDOW.getTime() + index * HOUR_MS), windowEnv, synthetic));
  }

  // The empty window: a files source whose landing directory holds nothing.
  const emptySource = path.join(home, 'bench-empty-source');
  await mkdir(path.join(emptySource, 'landing'), { recursive: true });
  await writeFile(
    path.join(emptySource, 'mapping.yaml'),
    ['name: bench_empty', 'landing: ./landing', 'format: ndjson', 'columns: [event_id, user_name, category, source, value, event_time]', 'fields:', '  value: toFloat64OrNull(value)', "  event_time: parseDateTimeBestEffortOrNull(event_time, 'UTC')", ''].join('\n'),
  );
  // Two of them: the first after the switch of source rewrites the lineage, once per change of configuration;
  // the second is the hour a deployment sees.
  const emptyEnv = { ...windowEnv, MEDALLION_SOURCE: path.join(emptySource, 'mapping.yaml') };
  windows.push(await runWindowProcess('switch', 'switch', new Date(FIRST_WINDOW.getTime() + options.windows * HOUR_MS), emptyEnv, 0));
  windows.push(await runWindowProcess('empty', 'empty', new Date(FIRST_WINDOW.getTime() + (options.windows + 1) * HOUR_MS), emptyEnv, 0));

  const engines = await openEngines(config);
  try {
    measured = await measureInProcess(await engines.clickhouse(), windows, windows[options.windows - 1]!);
  } finally {
    await engines.close();
  }
} catch (error) {
  keepHome = true;
  throw error;
} finally {
  if (keepHome) log(`the bench's home is kept: ${home}`);
  else await rm(home, { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------------------- report

if (!measured) throw new Error('the in-process measurements did not run');
const bareMs = measured.bareMs;
const warm = windows.filter((window) => window.kind === 'warm');
const cold = windows[0]!;
const empty = windows.find((window) => window.kind === 'empty')!;
const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
const taskMs = (window: WindowRun, task: string) => window.outcome.tasks.find((candidate) => candidate.id === task)?.durationMs;
const metricOf = (window: WindowRun, task: string, name: string) => window.outcome.tasks.find((candidate) => candidate.id === task)?.result?.metrics[name];
const eventsPerSecond = (window: WindowRun) => Math.round((window.rows * 1000) / window.wallMs);
const ratio = (ms: number) => Math.round((ms / bareMs) * 100) / 100;
const verifyShare = (window: WindowRun) => Math.round(((taskMs(window, 'verify_pipeline') ?? 0) / window.wallMs) * 1000) / 10;

const row = (name: string, value: (window: WindowRun) => number | undefined) => ({ task: name, ...Object.fromEntries(windows.map((window) => [window.label, value(window) ?? ''])) });
const table = [
  ...cold.outcome.tasks.map((task) => row(task.id, (window) => Math.round(taskMs(window, task.id) ?? 0))),
  row('total (wall, process) ms', (window) => Math.round(window.wallMs)),
  row('events/s', eventsPerSecond),
  row('peak RSS MB', (window) => window.peakRssMb),
  row('ratio to bare', (window) => ratio(window.wallMs)),
  row('verify_pipeline % of wall', verifyShare),
  row('registry rows in horizon', (window) => window.registryRows),
  // The dedup lookup's figures, where transform_silver reports them.
  ...['event_id_lookup_ms', 'silver_insert_ms'].filter((name) => windows.some((window) => metricOf(window, 'transform_silver', name) !== undefined)).map((name) => row(name, (window) => metricOf(window, 'transform_silver', name))),
];

const git = (...args: string[]) => {
  try {
    return execFileSync('git', args, { cwd: REPOSITORY, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
};
const commit = git('rev-parse', '--short', 'HEAD') ?? 'unknown';
const dirty = (git('status', '--porcelain') ?? '') !== '';
const machine = { cores: os.cpus().length, cpu: os.cpus()[0]?.model ?? '', memoryMb: Math.round(os.totalmem() / 2 ** 20), node: process.version, platform: `${os.platform()} ${os.arch()}` };
const historyText = history
  ? `history ${history.days} day${history.days === 1 ? '' : 's'} × 24 windows at ${history.eventsPerHour} events per hour${history.ids ? ` + ${history.ids} registered ids` : ''} (loaded in ${formatDuration(history.ms)})`
  : 'no history';

console.log(
  `\nmedallion pipeline bench: ${options.events} events per window (${expectedRows(options.events)} bronze rows), ${options.windows} synthetic window${options.windows === 1 ? '' : 's'} (cold${options.windows > 1 ? ` + ${options.windows - 1} warm` : ''}) + 1 empty, ` +
    `one process each; ${historyText}; bare reference ${Math.round(bareMs)} ms (best of ${REPEATS}); ${machine.cores} cores, node ${machine.node}, commit ${commit}${dirty ? ' (dirty)' : ''}` +
    `${Object.keys(settings).length ? `; settings ${Object.entries(settings).map(([name, value]) => `${name}=${value}`).join(' ')}` : ''}\n`,
);
if (history) {
  console.log(formatTable(Object.entries(history.rows).map(([name, rows]) => ({ table: name, history_rows: rows }))));
  console.log(`history load steps: ${Object.entries(history.steps).map(([step, ms]) => `${step} ${formatDuration(ms)}`).join(', ')} (chunks of ${history.chunkHours} windows)\n`);
}
console.log('per-task ms, then the window as a process (spawn to exit)');
console.log(formatTable(table));
console.log(`\nthe seed's gold statements (FINAL over all of silver) for ${windows[options.windows - 1]!.runId}, best of ${REPEATS}, against our task in that window`);
const peerTable = measured.peer.map((peer) => ({ statement: `${peer.statement} (${peer.task})`, ours_ms: Math.round(peer.oursMs), seed_final_ms: Math.round(peer.seedFinalMs), 'seed/ours': Math.round((peer.seedFinalMs / Math.max(peer.oursMs, 1)) * 100) / 100 }));
console.log(formatTable(peerTable));

const warmMs = warm.length > 0 ? mean(warm.map((window) => window.wallMs)) : undefined;
const targets = [
  warmMs !== undefined ? `warm window ${formatDuration(warmMs)} = ${ratio(warmMs)}× bare (target ≤ 4×; at 1 M events ≤ 2.5 s)` : undefined,
  `empty window ${formatDuration(empty.wallMs)} (≤ 1 s)`,
  warmMs !== undefined ? `cold − warm ${formatDuration(cold.wallMs - warmMs)} (≤ 3 s)` : undefined,
  warm.length > 0 ? `verify_pipeline ${Math.max(...warm.map(verifyShare))} % of a warm window (≤ 10 %)` : undefined,
  `peak RSS ${Math.max(...windows.map((window) => window.peakRssMb))} MB (≤ 4096 at 10 M events)`,
].filter((target) => target !== undefined);
console.log(`\ntargets (issue 9): ${targets.join('; ')}`);

const results = {
  date: new Date().toISOString(),
  commit,
  dirty,
  machine,
  options: { events: options.events, windows: options.windows, historyDays: options.historyDays, historyEvents, historyIds: options.historyIds },
  settings,
  bronzeRowsPerWindow: expectedRows(options.events),
  dedupHorizonDays: config.dedupHorizonDays,
  bareMs: Math.round(bareMs),
  bareRunsMs: measured.bareRuns.map(Math.round),
  history: history ? { ...history, ms: Math.round(history.ms), steps: Object.fromEntries(Object.entries(history.steps).map(([step, ms]) => [step, Math.round(ms)])) } : null,
  windows: windows.map((window) => ({
    label: window.label,
    kind: window.kind,
    windowStart: window.windowStart.toISOString(),
    runId: window.runId,
    wallMs: Math.round(window.wallMs),
    runMs: Math.round(window.outcome.durationMs),
    bronzeRows: window.rows,
    eventsPerSecond: eventsPerSecond(window),
    peakRssMb: window.peakRssMb,
    ratioToBare: ratio(window.wallMs),
    verifySharePercent: verifyShare(window),
    registryRowsInHorizon: window.registryRows ?? null,
    tasksMs: Object.fromEntries(window.outcome.tasks.map((task) => [task.id, Math.round(task.durationMs)])),
    transformSilverMetrics: window.outcome.tasks.find((task) => task.id === 'transform_silver')?.result?.metrics ?? {},
  })),
  peer: measured.peer.map((peer) => ({ ...peer, oursMs: Math.round(peer.oursMs), seedFinalMs: Math.round(peer.seedFinalMs), seedRuns: peer.seedRuns.map(Math.round) })),
  home: options.keepHome ? home : null,
};
const folder = path.join(REPOSITORY, 'bench', 'results');
await mkdir(folder, { recursive: true });
const stem = `${results.date.slice(0, 10)}-${commit}${dirty ? '-dirty' : ''}`;
let file = path.join(folder, `${stem}.json`);
// A second run on the same day and commit never overwrites the first.
for (let copy = 2; existsSync(file); copy += 1) file = path.join(folder, `${stem}-${copy}.json`);
await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
console.log(`\nfigures written to ${path.relative(process.cwd(), file)}`);
if (options.keepHome) console.log(`home kept: ${home}`);
