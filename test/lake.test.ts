import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { loadConfig } from '../src/config.js';
import { openEngines } from '../src/engines/index.js';
import { openLake, STAGING_MAX_AGE_MS } from '../src/engines/lake.js';
import { medallion } from './cli.js';
import { chRows, openTestPipeline, windowAt } from './helpers.js';

const PART = /^(agg_events_hourly\/event_date=\d{4}-\d\d-\d\d\/event_hour=\d\d|rpt_daily_summary\/event_date=\d{4}-\d\d-\d\d)\/part-0\.parquet$/;

/** Every file below a directory, as lake keys. */
async function filesUnder(directory: string): Promise<string[]> {
  try {
    const entries = await readdir(directory, { recursive: true, withFileTypes: true });
    return entries.filter((entry) => entry.isFile()).map((entry) => path.relative(directory, path.join(entry.parentPath, entry.name)).split(path.sep).join('/')).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/** Each file below a directory with its modification time. */
async function modifiedTimes(directory: string): Promise<Map<string, number>> {
  const keys = await filesUnder(directory);
  return new Map(await Promise.all(keys.map(async (key): Promise<[string, number]> => [key, (await stat(path.join(directory, key))).mtimeMs])));
}

/**
 * What DuckDB reads from the lake directory with Hive globs over every file of each table (not only `*.parquet`:
 * Spark, Trino and Athena read every file of a partition folder whose name does not start with `_` or `.`, so a
 * staging leftover there must fail this read): totals per hour and per date.
 */
async function duckdbTotals(lake: string) {
  const duck = await DuckDBInstance.create(':memory:');
  const connection = await duck.connect();
  try {
    const glob = (table: string) => `'${path.join(lake, table).replaceAll("'", "''")}/**/*'`;
    const hourly = await connection.runAndReadAll(
      `SELECT strftime(event_date, '%Y-%m-%d') || ' ' || lpad(event_hour::VARCHAR, 2, '0') || ':00:00' AS hour,
              count(*)::INTEGER AS rows, sum(event_count)::INTEGER AS events, round(sum(total_value), 2)::DOUBLE AS value
       FROM read_parquet(${glob('agg_events_hourly')}, hive_partitioning = true, hive_types = {'event_hour': INTEGER})
       GROUP BY ALL ORDER BY hour`,
    );
    const daily = await connection.runAndReadAll(
      `SELECT strftime(event_date, '%Y-%m-%d') AS date, count(*)::INTEGER AS rows, sum(total_events)::INTEGER AS events, round(sum(total_revenue), 2)::DOUBLE AS revenue
       FROM read_parquet(${glob('rpt_daily_summary')}, hive_partitioning = true) GROUP BY ALL ORDER BY date`,
    );
    return { hourly: await hourly.getRowObjectsJS(), daily: await daily.getRowObjectsJS() };
  } finally {
    connection.closeSync();
    duck.closeSync();
  }
}

/** The same totals from ClickHouse gold, the reference. */
async function goldTotals(home: string) {
  const engines = await openEngines(loadConfig({ MEDALLION_HOME: home }));
  try {
    const clickhouse = await engines.clickhouse();
    const hourly = await clickhouse.rows(
      `SELECT formatDateTime(toDateTime(event_date) + toIntervalHour(event_hour), '%Y-%m-%d %H:00:00') AS hour,
              toInt32(count()) AS rows, toInt32(sum(event_count)) AS events, round(sum(total_value), 2) AS value
       FROM gold.agg_events_hourly FINAL GROUP BY event_date, event_hour ORDER BY hour`,
    );
    const daily = await clickhouse.rows(
      `SELECT toString(event_date) AS date, toInt32(count()) AS rows, toInt32(sum(total_events)) AS events, round(sum(total_revenue), 2) AS revenue
       FROM gold.rpt_daily_summary FINAL GROUP BY event_date ORDER BY date`,
    );
    return { hourly, daily };
  } finally {
    await engines.close();
  }
}

describe('the lake after a killed export', () => {
  it('keeps staging out of the partitions, so DuckDB reads every partition; the rerun sweeps the leftovers and the lake equals gold', async () => {
    const home = await mkdtemp(path.join(os.tmpdir(), 'medallion-lake-'));
    const lake = path.join(home, 'lake');
    const env = { MEDALLION_HOME: home, MEDALLION_EVENTS_PER_HOUR: '3000', MEDALLION_TASK_RETRIES: '0' };
    try {
      assert.equal((await medallion(['run', '--from', '2026-11-20T10:00Z'], env)).code, 0, 'a first window, so the killed one replaces existing partitions');
      const before = await modifiedTimes(lake);

      const killed = await medallion(['run', '--from', '2026-11-20T11:00Z'], { ...env, MEDALLION_KILL_AT: 'mid:export_gold_to_s3' });
      assert.equal(killed.signal, 'SIGKILL', killed.stderr);
      assert.match(killed.stderr, /MEDALLION_KILL_AT: SIGKILL at mid:export_gold_to_s3/);
      // Partitions are written a few at a time: the kill comes when the second is staged, with others staged
      // or published around it.
      const staged = await filesUnder(path.join(lake, '_staging'));
      assert.ok(staged.length >= 1, 'the second partition was staged, not published');
      for (const name of staged) assert.match(name, new RegExp(`^${os.hostname().replaceAll('.', '\\.')}\\.\\d+\\.[0-9a-f]+\\.tmp$`));
      assert.ok((await Promise.all(staged.map((name) => stat(path.join(lake, '_staging', name))))).some((file) => file.size > 0));
      const afterKill = (await filesUnder(lake)).filter((key) => !key.startsWith('_staging/'));
      assert.ok(afterKill.every((key) => PART.test(key)), `only part files in the partitions:\n${afterKill.join('\n')}`);
      const replaced = [...(await modifiedTimes(lake))].filter(([key, modified]) => !key.startsWith('_staging/') && before.get(key) !== modified);
      assert.ok(replaced.length < afterKill.length, 'the kill came before every partition was published');
      // The acceptance point itself: right after the kill, a Hive glob reads every partition.
      const readable = await duckdbTotals(lake);
      assert.ok(readable.hourly.length > 0 && readable.daily.length > 0);

      // A lake written by the old code may also hold its staging file inside a partition that the rerun touches.
      const legacy = 'agg_events_hourly/event_date=2026-11-20/event_hour=11/part-0.parquet.4194301.tmp';
      await mkdir(path.dirname(path.join(lake, legacy)), { recursive: true });
      await writeFile(path.join(lake, legacy), '');

      const rerun = await medallion(['run', '--from', '2026-11-20T11:00Z', '--json'], env);
      assert.equal(rerun.code, 0, rerun.stderr);
      assert.equal((JSON.parse(rerun.stdout) as { status: string }[])[0]!.status, 'success');
      assert.match(rerun.stderr, new RegExp(`${staged.length + 1} leftovers of killed writers swept`));
      assert.ok(staged.every((name) => rerun.stderr.includes(`_staging/${name}`)) && rerun.stderr.includes(legacy), rerun.stderr);

      assert.deepEqual(await filesUnder(path.join(lake, '_staging')), [], 'no staging leftover');
      const keys = await filesUnder(lake);
      assert.ok(keys.every((key) => PART.test(key)), `every partition folder holds exactly its part file:\n${keys.join('\n')}`);
      const gold = await goldTotals(home);
      assert.equal(keys.length, gold.hourly.length + gold.daily.length, 'one part file per gold hour and date');
      assert.deepEqual(await duckdbTotals(lake), gold);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});

describe('delivery validation sees every file of a touched partition', () => {
  it('fails the run naming a stray file put into a partition after the export, leaves it in place, and passes once it is gone', async () => {
    const pipeline = await openTestPipeline({ MEDALLION_TASK_RETRIES: '0' });
    try {
      assert.ok(pipeline.config.lake.mode === 'directory');
      const stray = 'agg_events_hourly/event_date=2026-11-20/event_hour=10/other.parquet';
      const file = path.join(pipeline.config.lake.path, stray);
      const putStray = async (event: { type: string; task?: string }) => {
        if (event.type === 'task-end' && event.task === 'export_gold_to_s3') await writeFile(file, 'PAR1 not ours PAR1');
      };
      const outcome = await pipeline.run(windowAt(0), { onEvent: putStray });
      assert.equal(outcome.status, 'failed');
      assert.equal(outcome.failedTask, 'validate_delivery');
      assert.match(outcome.error!, /lake_partition_files hour 2026-11-20 10:00:00 stray_files agg_events_hourly\/event_date=2026-11-20\/event_hour=10\/other\.parquet: expected 0, got 1/);

      const checks = await chRows<{ check_name: string; window_key: string; metric: string; actual: number; passed: number }>(
        pipeline,
        "SELECT check_name, window_key, metric, actual, passed FROM catalog.validation_log WHERE run_id = {run:String} AND check_name IN ('lake_partition_files', 'clickhouse_vs_lake') ORDER BY check_name, window_key, metric",
        { run: outcome.runId },
      );
      assert.deepEqual(checks.filter((check) => !check.passed), [
        { check_name: 'lake_partition_files', window_key: '2026-11-20 10:00:00', metric: `stray_files ${stray}`, actual: 1, passed: 0 },
      ]);
      const partitions = checks.filter((check) => check.check_name === 'lake_partition_files');
      const [touched] = await chRows<{ hours: number; dates: number }>(pipeline, 'SELECT toInt32(uniqExact(event_date, event_hour)) AS hours, toInt32(uniqExact(event_date)) AS dates FROM gold.agg_events_hourly FINAL');
      assert.equal(partitions.length, touched!.hours + touched!.dates, 'one check per touched partition');
      assert.ok(checks.some((check) => check.check_name === 'clickhouse_vs_lake'), 'the totals are still compared');

      // A foreign file is reported, never deleted: the rerun's export leaves it, and validation fails again.
      const again = await pipeline.run(windowAt(0));
      assert.equal(again.failedTask, 'validate_delivery');
      assert.ok((await stat(file)).isFile());

      await rm(file);
      assert.equal((await pipeline.run(windowAt(0))).status, 'success');
    } finally {
      await pipeline.close();
    }
  });

  it('the export sweeps legacy part-0.parquet.<pid>.tmp files from the partitions it touches; one that appears after it fails validation', async () => {
    const pipeline = await openTestPipeline({ MEDALLION_TASK_RETRIES: '0' });
    try {
      assert.ok(pipeline.config.lake.mode === 'directory');
      const root = pipeline.config.lake.path;
      assert.equal((await pipeline.run(windowAt(0))).status, 'success');
      const touchedLegacy = ['agg_events_hourly/event_date=2026-11-20/event_hour=10/part-0.parquet.4194301.tmp', 'rpt_daily_summary/event_date=2026-11-20/part-0.parquet.4194302.tmp'];
      // Not touched by the window: left alone, since finding it would mean listing the lake's whole history.
      const untouchedLegacy = 'agg_events_hourly/event_date=2026-10-01/event_hour=03/part-0.parquet.4194303.tmp';
      for (const key of [...touchedLegacy, untouchedLegacy]) {
        await mkdir(path.dirname(path.join(root, key)), { recursive: true });
        await writeFile(path.join(root, key), '');
      }

      const rerun = await pipeline.run(windowAt(0));
      assert.equal(rerun.status, 'success', rerun.error);
      const lakeKeys = await (await pipeline.engines.lake()).list('');
      for (const key of touchedLegacy) assert.ok(!lakeKeys.includes(key), `${key} swept`);
      assert.ok(lakeKeys.includes(untouchedLegacy));
      const [export_] = await chRows<{ lake_swept: number }>(
        pipeline,
        "SELECT metrics['lake_swept'] AS lake_swept FROM catalog.benchmark_log WHERE run_id = {run:String} AND task_name = 'export_gold_to_s3' AND status = 'success' ORDER BY started_at DESC LIMIT 1",
        { run: rerun.runId },
      );
      assert.equal(export_!.lake_swept, 2);

      const late = touchedLegacy[0]!;
      const outcome = await pipeline.run(windowAt(0), {
        onEvent: async (event) => {
          if (event.type === 'task-end' && event.task === 'export_gold_to_s3') await writeFile(path.join(root, late), '');
        },
      });
      assert.equal(outcome.failedTask, 'validate_delivery');
      assert.ok(outcome.error!.includes(`stray_files ${late}: expected 0, got 1`), outcome.error);
    } finally {
      await pipeline.close();
    }
  });
});

describe('the directory lake staging area', () => {
  /** A pid that is certainly dead: a child that has exited. */
  const deadPid = () =>
    new Promise<number>((resolve, reject) => {
      const child = spawn(process.execPath, ['-e', '']);
      child.on('error', reject);
      child.on('exit', () => resolve(child.pid!));
    });

  it('sweeps staging files of dead writers on this host and of any writer after the age bound, never a live writer\'s', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'medallion-staging-'));
    const live = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)']);
    const lake = await openLake({ mode: 'directory', path: root });
    try {
      const host = os.hostname();
      const staging = path.join(root, '_staging');
      await mkdir(staging, { recursive: true });
      const names = {
        deadHere: `${host}.${await deadPid()}.00aa.tmp`,
        liveHere: `${host}.${live.pid}.00bb.tmp`,
        mine: `${host}.${process.pid}.00cc.tmp`,
        otherHost: `not-${host}.${await deadPid()}.00dd.tmp`,
        otherHostOld: `not-${host}.${live.pid}.00ee.tmp`,
        liveHereOld: `${host}.${live.pid}.00ff.tmp`,
      };
      for (const name of Object.values(names)) await writeFile(path.join(staging, name), 'x');
      const old = new Date(Date.now() - STAGING_MAX_AGE_MS - 60_000);
      for (const name of [names.otherHostOld, names.liveHereOld]) await utimes(path.join(staging, name), old, old);

      const swept = await lake.sweepStaging();
      assert.deepEqual(swept, [names.deadHere, names.liveHereOld, names.otherHostOld].map((name) => `_staging/${name}`).sort());
      assert.deepEqual(await readdir(staging).then((left) => left.sort()), [names.liveHere, names.mine, names.otherHost].sort());

      // A write stages under _staging/ and leaves nothing there; list and remove see and delete any file.
      await lake.write('t/event_date=2026-11-20/part-0.parquet', Buffer.from('p'));
      await writeFile(path.join(root, 't/event_date=2026-11-20/x.tmp'), '');
      assert.deepEqual(await lake.list('t/'), ['t/event_date=2026-11-20/part-0.parquet', 't/event_date=2026-11-20/x.tmp']);
      await lake.remove('t/event_date=2026-11-20/x.tmp');
      await lake.remove('t/event_date=2026-11-20/x.tmp');
      assert.deepEqual(await lake.list('t/'), ['t/event_date=2026-11-20/part-0.parquet']);
      assert.deepEqual((await readdir(staging)).length, 3, 'the write left no staging file');
    } finally {
      live.kill();
      await lake.close();
      await rm(root, { recursive: true, force: true });
    }
  });
});
