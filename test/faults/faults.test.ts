/**
 * The crash drills: a real `medallion run` over three windows is SIGKILLed (MEDALLION_KILL_AT, see
 * src/faults.ts) in the second window at every task boundary — before each task, and after each task's
 * work but before it is recorded — and in the middle of the bronze load, the silver insert, the history
 * snapshot, the lake export and the PostgreSQL upsert. The same range is then run again, and every
 * ClickHouse table (history included), both PostgreSQL replicas and the lake's files and bytes must equal
 * a clean run of the same range and seed. Prints the matrix: point × outcome.
 */
import assert from 'node:assert/strict';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MID_POINTS } from '../../src/faults.js';
import { TASK_IDS } from '../../src/task-ids.js';
import { baseEnv, medallion, runScript } from '../cli.js';

const RANGE = ['--from', '2026-11-20T10:00Z', '--to', '2026-11-20T13:00Z'];
const ENV = { MEDALLION_EVENTS_PER_HOUR: '2000', MEDALLION_SEED: '7', MEDALLION_TASK_RETRIES: '0', MEDALLION_RETRY_DELAY_MS: '1' };
/**
 * Which time a point is reached in the second window: the second (once per window), or the third and fourth
 * for the points reached twice per window: the upsert (hourly, then daily) and the silver writes (the
 * event-id registration, then the events; a drill named `<point>#<n>` kills at that occurrence).
 */
const OCCURRENCE_IN_SECOND_WINDOW: Record<string, number> = { 'mid:load_aurora': 3, 'mid:transform_silver': 4 };
/**
 * `<point>/sliced`: killed and rerun with transform_silver in slices (2 050 bronze rows a window in slices of
 * 1 000: 3 slices, each registered then inserted, so the second window's second slice's insert is the 10th
 * silver write), compared with the clean run done whole.
 */
const SLICED_ENV = { MEDALLION_SILVER_SLICE_ROWS: '1000' };
const ALL_POINTS = [...TASK_IDS.flatMap((task) => [`before:${task}`, `after:${task}`]), ...MID_POINTS, 'mid:transform_silver#3', 'mid:transform_silver#10/sliced'];
/** FAULTS_ONLY=<point>,<point> runs only those drills (while working on one of them). */
const POINTS = process.env.FAULTS_ONLY ? ALL_POINTS.filter((point) => process.env.FAULTS_ONLY!.split(',').includes(point)) : ALL_POINTS;
const PARALLEL = 2;

const node = (args: readonly string[], env: Record<string, string>) => runScript(args[0]!, args.slice(1), env, baseEnv());
const medallionRun = (home: string, extra: Record<string, string> = {}) => medallion(['run', ...RANGE], { ...ENV, MEDALLION_HOME: home, ...extra }, baseEnv());

async function dump(home: string): Promise<Record<string, unknown>> {
  const result = await node(['test/faults/dump.ts', home], {});
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as Record<string, unknown>;
}

interface Outcome {
  point: string;
  killed: boolean;
  rerun: string;
  different: string[];
  seconds: number;
}

let scratch: string;
let template: string;
let clean: Record<string, unknown>;
const outcomes = new Map<string, Outcome>();

/** A home where the tables exist already: the drills skip PGlite's and chDB's first start-up. */
async function freshHome(label: string): Promise<string> {
  const home = path.join(scratch, label.replace(/[^a-z0-9]+/gi, '_'));
  await cp(template, home, { recursive: true });
  return home;
}

async function drill(point: string): Promise<Outcome> {
  const started = performance.now();
  const home = await freshHome(point);
  const [spec, variant] = point.split('/') as [string, string | undefined];
  const env = variant === 'sliced' ? SLICED_ENV : {};
  const [name, explicit] = spec.split('#') as [string, string | undefined];
  const occurrence = explicit ? Number(explicit) : (OCCURRENCE_IN_SECOND_WINDOW[spec] ?? 2);
  const killed = await medallionRun(home, { ...env, MEDALLION_KILL_AT: `${name}#${occurrence}` });
  const rerun = await medallionRun(home, env);
  const state = await dump(home);
  await rm(home, { recursive: true, force: true });
  const different = Object.keys({ ...clean, ...state }).filter((key) => JSON.stringify(clean[key]) !== JSON.stringify(state[key]));
  return {
    point,
    killed: killed.signal === 'SIGKILL' && killed.stderr.includes(`SIGKILL at ${name}`),
    rerun: rerun.code === 0 ? 'success' : `exit ${rerun.code}: ${rerun.stderr.split('\n').filter(Boolean).at(-1) ?? ''}`,
    different,
    seconds: (performance.now() - started) / 1000,
  };
}

describe('SIGKILL at every task boundary and in the middle of every write, then a rerun of the range', () => {
  before(async () => {
    scratch = await mkdtemp(path.join(os.tmpdir(), 'medallion-faults-'));
    template = path.join(scratch, 'template');
    const created = await medallion(['task', 'ensure_all_tables', '--start', '2026-11-20T10:00Z'], { ...ENV, MEDALLION_HOME: template }, baseEnv());
    assert.equal(created.code, 0, created.stderr);
    const cleanHome = await freshHome('clean');
    const cleanRun = await medallionRun(cleanHome);
    assert.equal(cleanRun.code, 0, cleanRun.stderr);
    clean = await dump(cleanHome);

    const queue = [...POINTS];
    const worker = async () => {
      for (let point = queue.shift(); point; point = queue.shift()) outcomes.set(point, await drill(point));
    };
    await Promise.all(Array.from({ length: PARALLEL }, worker));
  });

  after(async () => {
    const rows = POINTS.map((point) => outcomes.get(point)).filter((outcome): outcome is Outcome => outcome !== undefined);
    const width = Math.max(...rows.map((row) => row.point.length));
    const lines = rows.map((row) =>
      `${row.point.padEnd(width)}  ${row.killed ? 'SIGKILL' : 'NOT KILLED'}  rerun ${row.rerun.padEnd(7)}  ${row.different.length === 0 ? 'equal to the clean run' : `DIFFERS: ${row.different.join(', ')}`}  (${row.seconds.toFixed(1)} s)`,
    );
    process.stdout.write(`\nCrash matrix (${rows.length} points, window 2 of 3, ${ENV.MEDALLION_EVENTS_PER_HOUR} events per hour):\n${lines.join('\n')}\n`);
    await rm(scratch, { recursive: true, force: true });
  });

  it('the clean run fills every layer, the catalog, PostgreSQL and the lake', () => {
    const bronze = clean['bronze.stg_events'] as { rows: number };
    assert.ok(bronze.rows > 6000, `bronze holds the three windows (${bronze.rows})`);
    for (const table of ['silver.fact_events', 'silver.dim_users', 'silver.quarantine_events', 'gold.agg_events_hourly', 'gold.agg_events_hourly_history', 'gold.rpt_daily_summary_history', 'catalog.pipeline_runs']) {
      assert.ok((clean[table] as { rows: number }).rows > 0, table);
    }
    assert.ok((clean['postgres.agg_events_hourly'] as { rows: number }).rows > 0);
    assert.ok((clean.lake as string[]).length > 10);
  });

  for (const point of POINTS) {
    it(`${point}: killed there, then the rerun equals a clean run`, () => {
      const outcome = outcomes.get(point)!;
      assert.ok(outcome.killed, `the run was SIGKILLed at ${point}`);
      assert.equal(outcome.rerun, 'success');
      assert.deepEqual(outcome.different, [], `tables that differ from the clean run after the rerun`);
    });
  }
});
