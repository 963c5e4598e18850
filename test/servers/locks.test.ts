/**
 * Window claims against the PostgreSQL server. There is no ClickHouse server on this machine, so each
 * `medallion run` process has its own embedded ClickHouse (chDB holds one directory per process: one
 * MEDALLION_HOME each); what the processes share, and what a window run twice at once could load twice,
 * is the PostgreSQL server and the S3 lake — and the claim, an advisory lock on the PostgreSQL server.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { openPostgres, type Postgres } from '../../src/engines/postgres.js';
import { windowKey } from '../../src/engines/window-claim.js';
import { baseEnv, startMedallion, type RunningCli } from '../cli.js';
import { downloadPrefix, EVENTS_PER_HOUR, NO_SERVERS, runCli, servers, serverTargets } from './helpers.js';

const WINDOW = new Date('2026-11-20T10:00:00Z');
const RUN_ID = 'scheduled__2026-11-20T10:00:00+00:00';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const APPLICATION = (pid: number) => `medallion pid ${pid} on ${os.hostname()}`.slice(0, 63);

describe('two processes claiming one window on the PostgreSQL server', { skip: NO_SERVERS }, () => {
  let scratch: string;
  let postgres: Postgres;

  before(async () => {
    scratch = await mkdtemp(path.join(os.tmpdir(), 'medallion-claims-'));
    postgres = await openPostgres(loadConfig({ MEDALLION_POSTGRES_URL: servers().postgresUrl }).postgres);
  });
  after(async () => {
    await postgres.close();
    await rm(scratch, { recursive: true, force: true });
  });

  /** A run's environment: the shared servers and schema, a MEDALLION_HOME of its own. */
  const runEnv = (targets: Record<string, string>, home: string, timeoutMs: number) => ({
    ...targets,
    MEDALLION_HOME: path.join(scratch, home),
    MEDALLION_EVENTS_PER_HOUR: EVENTS_PER_HOUR,
    MEDALLION_TASK_RETRIES: '0',
    MEDALLION_LOCK_TIMEOUT_MS: String(timeoutMs),
  });

  /** Who holds the window's advisory lock, as the server sees it. */
  const holders = (schema: string) =>
    postgres.query<{ application_name: string }>(
      `SELECT a.application_name FROM pg_locks AS l JOIN pg_stat_activity AS a ON a.pid = l.pid
       WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1::int4::oid AND l.objid = $2::int4::oid AND l.objsubid = 2`,
      [...windowKey(schema, WINDOW)],
    );

  /** Starts a run of WINDOW and stops it (SIGSTOP) once it holds the window: it has run its first task. */
  async function pausedHolder(env: Record<string, string>): Promise<RunningCli> {
    const run = startMedallion(['run', '--from', WINDOW.toISOString()], env, baseEnv());
    await run.line(/✓ ensure_all_tables/);
    run.child.kill('SIGSTOP');
    return run;
  }

  /** The attempts a run's process recorded in its own catalog (its embedded ClickHouse). */
  async function attempts(env: Record<string, string>) {
    const result = await runCli(
      ['query', '--format', 'json', `SELECT task_name, status, toUnixTimestamp64Milli(started_at) AS started_ms, toUnixTimestamp64Milli(started_at) + toUInt64(duration_ms) AS ended_ms FROM catalog.benchmark_log WHERE run_id = '${RUN_ID}' ORDER BY started_at`],
      env,
    );
    assert.equal(result.code, 0, result.stderr);
    return JSON.parse(result.stdout) as { task_name: string; status: string; started_ms: number; ended_ms: number }[];
  }

  it('the second waits, naming the first, claims the window only once the first released it, and nothing is delivered twice', async (t) => {
    const targets = serverTargets('claim_wait');
    const schema = targets.MEDALLION_POSTGRES_SCHEMA!;
    const firstEnv = runEnv(targets, 'first', 120_000);
    const secondEnv = runEnv(targets, 'second', 120_000);
    const first = await pausedHolder(firstEnv);
    let second: RunningCli | undefined;
    try {
      assert.deepEqual(await holders(schema), [{ application_name: APPLICATION(first.pid) }], 'the first run holds the window on the server');
      second = startMedallion(['run', '--from', WINDOW.toISOString()], secondEnv, baseEnv());
      const waiting = await second.line(/^window \S+ is held by/);
      assert.match(
        waiting.text,
        new RegExp(`^window ${escape(WINDOW.toISOString())} is held by ${escape(APPLICATION(first.pid))} \\(PostgreSQL backend pid \\d+ from 127\\.0\\.0\\.1 connected since \\S+\\); waiting up to 120\\.0 s \\(MEDALLION_LOCK_TIMEOUT_MS\\)$`),
      );
      await sleep(1_000);
      assert.equal(second.child.exitCode, null, 'still waiting');
    } finally {
      first.child.kill('SIGCONT');
    }
    const firstDone = await first.done;
    assert.equal(firstDone.code, 0, firstDone.stderr);
    const claimed = await second!.line(/^window \S+: acquired after waiting/);
    const secondDone = await second!.done;
    assert.equal(secondDone.code, 0, secondDone.stderr);
    t.diagnostic(claimed.text);
    assert.deepEqual(await holders(schema), [], 'both released the window');

    // Each run recorded its attempts in its own catalog: the second began after the first had ended.
    const [firstAttempts, secondAttempts] = [await attempts(firstEnv), await attempts(secondEnv)];
    for (const rows of [firstAttempts, secondAttempts]) {
      assert.deepEqual([...new Set(rows.map((row) => `${row.task_name}:${row.status}`))].filter((entry) => !entry.endsWith(':success')), [], 'every attempt succeeded');
      assert.equal(rows.filter((row) => row.task_name === 'complete_pipeline_run').length, 1);
    }
    const firstEnded = Math.max(...firstAttempts.map((row) => row.ended_ms));
    const secondStarted = Math.min(...secondAttempts.map((row) => row.started_ms));
    assert.ok(secondStarted >= firstEnded, `the second run started ${secondStarted - firstEnded} ms after the first ended`);

    // The shared targets hold every row once: PostgreSQL one row per key, the lake one object per partition.
    const [replica] = await postgres.query<{ rows: number; keys: number; hours: number; batches: string[] }>(
      `SELECT count(*)::int AS rows, count(DISTINCT (event_date, event_hour, category, source))::int AS keys,
              count(DISTINCT (event_date, event_hour))::int AS hours, array_agg(DISTINCT _batch_id) AS batches
       FROM ${schema}.agg_events_hourly`,
    );
    assert.ok(replica!.rows > 0);
    assert.equal(replica!.rows, replica!.keys, 'each gold row once in PostgreSQL');
    assert.deepEqual(replica!.batches, [RUN_ID]);
    const [days] = await postgres.query<{ days: number }>(`SELECT count(*)::int AS days FROM ${schema}.rpt_daily_summary`);
    const keys = await downloadPrefix(servers().bucket, targets.MEDALLION_LAKE_URL!.replace(`s3://${servers().bucket}/`, ''), path.join(scratch, 'lake'));
    assert.ok(keys.every((key) => key.endsWith('/part-0.parquet')), `only part files: ${keys.filter((key) => !key.endsWith('/part-0.parquet')).join(', ')}`);
    assert.equal(keys.filter((key) => key.includes('/agg_events_hourly/')).length, replica!.hours, 'one lake object per hour');
    assert.equal(keys.filter((key) => key.includes('/rpt_daily_summary/')).length, days!.days, 'one lake object per day');
  });

  it('with a short timeout, a run and a single task fail naming the holder, and touch nothing', async () => {
    const targets = serverTargets('claim_fail');
    const schema = targets.MEDALLION_POSTGRES_SCHEMA!;
    const first = await pausedHolder(runEnv(targets, 'holder', 120_000));
    try {
      const holder = `window ${escape(WINDOW.toISOString())} is held by ${escape(APPLICATION(first.pid))} \\(PostgreSQL backend pid \\d+ from 127\\.0\\.0\\.1 connected since \\S+\\)`;
      const run = await runCli(['run', '--from', WINDOW.toISOString()], runEnv(targets, 'impatient_run', 1_000));
      assert.equal(run.code, 1, run.stderr);
      assert.match(run.stderr, new RegExp(`medallion: ${holder}; waited 1000 ms \\(MEDALLION_LOCK_TIMEOUT_MS\\)\\. Another run is working on this window`));
      assert.doesNotMatch(run.stderr, /✓|✗/, 'it ran no task');

      // Airflow runs each task as a process: a task claims its window too.
      const task = await runCli(['task', 'load_aurora', '--start', WINDOW.toISOString()], runEnv(targets, 'impatient_task', 500));
      assert.equal(task.code, 1, task.stderr);
      assert.match(task.stderr, new RegExp(`medallion: ${holder}; waited 500 ms`));
      assert.doesNotMatch(task.stderr, /✓|✗/);

      // Paused after its first task, the holder has delivered nothing yet, and neither did they.
      const [replica] = await postgres.query<{ rows: number }>(`SELECT count(*)::int AS rows FROM ${schema}.agg_events_hourly`);
      assert.equal(replica!.rows, 0);
    } finally {
      first.child.kill('SIGCONT');
    }
    const done = await first.done;
    assert.equal(done.code, 0, done.stderr);
    const [replica] = await postgres.query<{ rows: number; keys: number }>(
      `SELECT count(*)::int AS rows, count(DISTINCT (event_date, event_hour, category, source))::int AS keys FROM ${schema}.agg_events_hourly`,
    );
    assert.ok(replica!.rows > 0);
    assert.equal(replica!.rows, replica!.keys);
  });

  it('frees the window when the holder\'s connection dies, and not before', async () => {
    const key = windowKey(uniqueSchema(), WINDOW);
    const holder = await postgres.lockSession('medallion test holder', () => undefined);
    const contender = await postgres.lockSession('medallion test contender', () => undefined);
    try {
      assert.equal(await holder.tryLock(key), true);
      assert.equal(await contender.tryLock(key), false);
      assert.match((await contender.holder(key))!, /^medallion test holder \(PostgreSQL backend pid \d+ from 127\.0\.0\.1 connected since /);
      // The server ends the holder's session, as when its process dies and the connection drops.
      await postgres.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'medallion test holder'`);
      let taken = false;
      for (let tries = 0; tries < 50 && !taken; tries += 1) {
        taken = await contender.tryLock(key);
        if (!taken) await sleep(100);
      }
      assert.equal(taken, true, 'the lock went with the session');
      assert.equal(await contender.holder(key).then((text) => text?.startsWith('medallion test contender')), true);
    } finally {
      await holder.close().catch(() => undefined);
      await contender.close();
    }
  });
});

const uniqueSchema = () => `locks_${process.pid}_${Date.now()}`;
