import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { lockHome } from '../src/engines/home-lock.js';
import { medallion, startMedallion } from './cli.js';

const WINDOW = '2026-11-20T10:00Z';
const RUN_ID = 'scheduled__2026-11-20T10:00:00+00:00';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Rows of a query against the embedded ClickHouse of `env`'s home, through the CLI (this process opens no chDB). */
async function query<T>(env: Record<string, string>, sql: string): Promise<T[]> {
  const result = await medallion(['query', '--format', 'json', sql], env);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as T[];
}

interface Attempt {
  task_name: string;
  status: string;
  started_ms: number;
  ended_ms: number;
}

const attempts = (env: Record<string, string>) =>
  query<Attempt>(
    env,
    `SELECT task_name, status, toUnixTimestamp64Milli(started_at) AS started_ms, toUnixTimestamp64Milli(started_at) + toUInt64(duration_ms) AS ended_ms
     FROM catalog.benchmark_log WHERE run_id = '${RUN_ID}' ORDER BY started_at, task_name`,
  );

/** The run's bronze batch: rows, distinct (batch, row) pairs, and what the run recorded having loaded. */
async function bronzeOnce(env: Record<string, string>) {
  const [bronze] = await query<{ rows: number; distinct_rows: number; batches: number }>(
    env,
    'SELECT count() AS rows, uniqExact(_batch_id, _row) AS distinct_rows, uniqExact(_batch_id) AS batches FROM bronze.stg_events',
  );
  const [run] = await query<{ status: string; bronze_rows: number }>(env, `SELECT status, bronze_rows FROM catalog.pipeline_runs FINAL WHERE run_id = '${RUN_ID}'`);
  assert.equal(run!.status, 'success');
  assert.ok(run!.bronze_rows > 2000);
  assert.deepEqual(bronze, { rows: run!.bronze_rows, distinct_rows: run!.bronze_rows, batches: 1 }, 'bronze holds the window\'s rows exactly once');
}

describe('the embedded home lock between real processes', () => {
  let home: string;
  let env: Record<string, string>;

  before(async () => {
    home = await mkdtemp(path.join(os.tmpdir(), 'medallion-locks-'));
    env = { MEDALLION_HOME: home, MEDALLION_EVENTS_PER_HOUR: '2000', MEDALLION_TASK_RETRIES: '0' };
  });
  after(() => rm(home, { recursive: true, force: true }));

  it('is never taken from a paused holder: a short wait fails naming it, a long one waits for it to finish', async (t) => {
    const first = startMedallion(['run', '--from', WINDOW], env);
    let patient: ReturnType<typeof startMedallion> | undefined;
    await first.line(/✓ ensure_all_tables/);
    first.child.kill('SIGSTOP');
    const pausedAt = performance.now();
    try {
      const impatient = await medallion(['run', '--from', WINDOW], { ...env, MEDALLION_LOCK_TIMEOUT_MS: '1500' });
      assert.equal(impatient.code, 1, impatient.stderr);
      const holder = `pid ${first.pid} on ${escape(os.hostname())} \\(main\\.js run --from ${escape(WINDOW)}\\), since \\S+`;
      assert.match(impatient.stderr, new RegExp(`MEDALLION_HOME ${escape(home)} is held by ${holder}; waiting up to 1\\.5 s`));
      assert.match(impatient.stderr, new RegExp(`MEDALLION_HOME ${escape(home)} is held by ${holder}; waited 1500 ms \\(MEDALLION_LOCK_TIMEOUT_MS\\)`));
      assert.doesNotMatch(impatient.stderr, /chDB|✓|✗/, 'it opened no engine and ran no task');

      // --redo: the window will have succeeded by the time it gets the home, and it must run it again.
      patient = startMedallion(['run', '--from', WINDOW, '--redo'], { ...env, MEDALLION_LOCK_TIMEOUT_MS: '120000' });
      const waiting = await patient.line(/is held by/);
      assert.match(waiting.text, new RegExp(`is held by ${holder}; waiting up to 120\\.0 s`));
      // Paused well beyond the impatient process's timeout; nothing is stale because it is old.
      await sleep(Math.max(0, 3_000 - (performance.now() - pausedAt)));
      assert.equal(first.child.exitCode, null, 'still alive, paused');
    } finally {
      first.child.kill('SIGCONT');
    }
    t.diagnostic(`the first run was paused ${Math.round(performance.now() - pausedAt)} ms`);

    const firstDone = await first.done;
    assert.equal(firstDone.code, 0, firstDone.stderr);
    const acquired = await patient.line(/acquired after waiting/);
    const patientDone = await patient.done;
    assert.equal(patientDone.code, 0, patientDone.stderr);
    assert.match(patientDone.stderr, /✓ complete_pipeline_run/);
    t.diagnostic(acquired.text);

    // From the catalog: two complete runs, one after the other, and the data loaded once.
    const rows = await attempts(env);
    assert.deepEqual(rows.map((row) => row.status).filter((status) => status !== 'success'), [], 'every attempt succeeded');
    const completions = rows.filter((row) => row.task_name === 'complete_pipeline_run');
    const starts = rows.filter((row) => row.task_name === 'ensure_all_tables');
    assert.equal(completions.length, 2, 'both runs completed');
    assert.equal(starts.length, 2, 'the impatient process ran nothing');
    assert.ok(starts[1]!.started_ms >= completions[0]!.ended_ms, 'the second run started after the first had finished');
    await bronzeOnce(env);
  });

  it('is free the moment its holder dies: a rerun after kill -9 starts within 2 s', async (t) => {
    await rm(home, { recursive: true, force: true });
    const killed = await medallion(['run', '--from', WINDOW], { ...env, MEDALLION_KILL_AT: 'after:load_bronze' });
    assert.equal(killed.signal, 'SIGKILL', killed.stderr);
    const [left] = await readdir(path.join(home, 'lock'));
    const holder = JSON.parse(await readFile(path.join(home, 'lock', left!), 'utf8')) as { state: string; holder: { pid: number } };
    assert.equal(holder.state, 'held', 'the killed process could not release the lock');

    const rerun = startMedallion(['run', '--from', WINDOW], env);
    const takeover = await rerun.line(/lock taken over in \d+ ms/);
    const firstTask = await rerun.line(/✓ ensure_all_tables/);
    const done = await rerun.done;
    assert.equal(done.code, 0, done.stderr);
    assert.match(takeover.text, new RegExp(`from pid ${holder.holder.pid} on .*: that process no longer exists$`));
    const lockMs = Number(/taken over in (\d+) ms/.exec(takeover.text)![1]);
    const toLock = Math.round(takeover.at - rerun.spawnedAt);
    const toFirstTask = Math.round(firstTask.at - rerun.spawnedAt);
    t.diagnostic(`rerun after kill -9: lock taken over in ${lockMs} ms; ${toLock} ms from spawn to the lock (Node and tsx start-up included); ${toFirstTask} ms from spawn to its first task line`);
    assert.ok(lockMs < 2_000, `the lock took ${lockMs} ms`);
    assert.ok(toLock < 2_000, `the lock was taken ${toLock} ms after spawn`);
    await bronzeOnce(env);
  });
});

describe('the home lock file protocol', () => {
  let home: string;
  const log: string[] = [];
  const options = (timeoutMs: number) => ({ timeoutMs, log: (line: string) => log.push(line) });
  const writeGeneration = async (number: number, holder: Record<string, unknown>) => {
    await mkdir(path.join(home, 'lock'), { recursive: true });
    await writeFile(path.join(home, 'lock', `${number}.json`), JSON.stringify({ state: 'held', holder: { command: 'medallion run', since: '2026-11-20T10:00:00.000Z', ...holder } }));
  };

  before(async () => {
    home = await mkdtemp(path.join(os.tmpdir(), 'medallion-lockfile-'));
  });
  after(() => rm(home, { recursive: true, force: true }));

  it('takes over from a reused pid (same pid, another start time), and leaves the lock free on release', async () => {
    const ownStart = (await readFile(`/proc/${process.pid}/stat`, 'utf8').catch(() => '')) !== '';
    if (!ownStart) return; // No /proc: the start time is not recorded, the pid alone decides.
    await writeGeneration(7, { pid: process.pid, startTime: '1', hostname: os.hostname() });
    const release = await lockHome(home, options(0));
    assert.match(log.at(-1)!, new RegExp(`from pid ${process.pid} .*: its pid now belongs to another process$`));
    assert.deepEqual(await readdir(path.join(home, 'lock')), ['8.json'], 'older generations swept');
    await release();
    const free = JSON.parse(await readFile(path.join(home, 'lock', '9.json'), 'utf8')) as { state: string };
    assert.equal(free.state, 'free');
    await (await lockHome(home, options(0)))();
  });

  it('never takes the lock from a live holder because it is old (the 30 s "stale" rule is gone)', async () => {
    await rm(path.join(home, 'lock'), { recursive: true, force: true });
    // A live process (a sleeping child) that took the lock a year ago, with its real start time and boot id.
    const sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      const stat = await readFile(`/proc/${sleeper.pid}/stat`, 'utf8').catch(() => '');
      const startTime = stat ? stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] : undefined;
      const bootId = (await readFile('/proc/sys/kernel/random/boot_id', 'utf8').catch(() => '')).trim() || undefined;
      await writeGeneration(5, { pid: sleeper.pid, hostname: os.hostname(), since: '2025-11-20T10:00:00.000Z', ...(startTime ? { startTime } : {}), ...(bootId ? { bootId } : {}) });
      await assert.rejects(lockHome(home, options(1_500)), new RegExp(`is held by pid ${sleeper.pid} on ${escape(os.hostname())} \\(medallion run\\), since 2025-11-20T10:00:00\\.000Z; waited 1500 ms`));
      assert.deepEqual(await readdir(path.join(home, 'lock')), ['5.json'], 'the holder\'s generation is untouched');
    } finally {
      sleeper.kill('SIGKILL');
    }
  });

  it('never judges a holder on another host: it waits, names it, and fails after the timeout', async () => {
    await rm(path.join(home, 'lock'), { recursive: true, force: true });
    await writeGeneration(3, { pid: 1, hostname: 'elsewhere.example' });
    await assert.rejects(lockHome(home, options(300)), /is held by pid 1 on elsewhere\.example \(medallion run\), since 2026-11-20T10:00:00\.000Z; waited 300 ms/);
  });

  it('of many processes breaking the same dead holder\'s lock at once, one at a time holds it', async () => {
    await rm(path.join(home, 'lock'), { recursive: true, force: true });
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    await writeGeneration(1, { pid: dead, hostname: os.hostname() });
    // Each process takes the home, holds it 200 ms, and prints when it held it.
    const script = `
      import { lockHome } from './src/engines/home-lock.ts';
      const release = await lockHome(${JSON.stringify(home)}, { timeoutMs: 60000, log: () => undefined });
      const from = Date.now();
      await new Promise((resolve) => setTimeout(resolve, 200));
      const to = Date.now();
      await release();
      console.log(JSON.stringify({ from, to }));`;
    const holds = await Promise.all(
      Array.from({ length: 6 }, () =>
        new Promise<{ from: number; to: number }>((resolve, reject) => {
          const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
          let out = '';
          child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
          child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out) as { from: number; to: number }) : reject(new Error(`exit ${code}`))));
        }),
      ),
    );
    const ordered = holds.sort((a, b) => a.from - b.from);
    for (const [index, hold] of ordered.slice(1).entries()) {
      assert.ok(hold.from >= ordered[index]!.to, `two processes held the home at once: ${JSON.stringify(ordered)}`);
    }
  });
});
