import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, describeTargets, loadConfig, maskSecrets } from '../src/config.js';
import { medallion } from './cli.js';
import { chRows, openTestPipeline, pgRows, windowAt } from './helpers.js';

describe('configuration', () => {
  it('has working defaults: embedded engines under ./.medallion', () => {
    const config = loadConfig({});
    assert.equal(config.clickhouse.mode, 'embedded');
    assert.equal(config.postgres.mode, 'embedded');
    assert.equal(config.lake.mode, 'directory');
    assert.match(config.home, /\.medallion$/);
    assert.deepEqual(config.source, { eventsPerHour: 100_000, seed: 42 });
    assert.equal(config.postgresSchema, 'medallion_etl');
  });

  it('switches engines by URL only', () => {
    const config = loadConfig({
      MEDALLION_CLICKHOUSE_URL: 'https://etl:s3cret@ch.example.com:8443',
      MEDALLION_POSTGRES_URL: 'postgres://etl:pw@aurora.example.com:5432/bi',
      MEDALLION_LAKE_URL: 's3://lake-bucket/medallion/gold/',
    });
    assert.deepEqual(config.clickhouse, { mode: 'server', url: 'https://etl:s3cret@ch.example.com:8443' });
    assert.deepEqual(config.lake, { mode: 's3', bucket: 'lake-bucket', prefix: 'medallion/gold' });
    const printed = JSON.stringify(describeTargets(config));
    assert.doesNotMatch(printed, /s3cret|:pw@/);
    assert.match(printed, /etl:\*\*\*@ch\.example\.com/);
  });

  it('stops on an invalid value, naming the variable', () => {
    const cases: [Record<string, string>, string, RegExp][] = [
      [{ MEDALLION_EVENTS_PER_HOUR: 'lots' }, 'MEDALLION_EVENTS_PER_HOUR', /must be a number/],
      [{ MEDALLION_EVENTS_PER_HOUR: '-5' }, 'MEDALLION_EVENTS_PER_HOUR', /greater than 0/],
      [{ MEDALLION_POSTGRES_SCHEMA: 'bi; DROP TABLE x' }, 'MEDALLION_POSTGRES_SCHEMA', /identifier/],
      [{ MEDALLION_CLICKHOUSE_URL: 'tcp://host:9000' }, 'MEDALLION_CLICKHOUSE_URL', /http/],
      [{ MEDALLION_LAKE_URL: 's3://' }, 'MEDALLION_LAKE_URL', /s3:\/\/bucket/],
      [{ MEDALLION_TASK_RETRIES: '2.5' }, 'MEDALLION_TASK_RETRIES', /whole number/],
    ];
    for (const [env, variable, problem] of cases) {
      assert.throws(() => loadConfig(env), (error: unknown) => error instanceof ConfigError && error.variable === variable && problem.test(error.message), variable);
    }
  });

  it('never prints a password', () => {
    assert.equal(maskSecrets('connect postgres://bi:hunter2@db:5432/x failed'), 'connect postgres://bi:***@db:5432/x failed');
    assert.throws(() => loadConfig({ MEDALLION_POSTGRES_URL: 'mysql://bi:hunter2@db/x' }), (error: Error) => !error.message.includes('hunter2') && error.message.includes('bi:***@'));
  });

  it('stops at start-up on a MEDALLION_HOME that is a file, an unknown task to fail or a bad crash drill', async (t) => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'medallion-config-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'not-a-directory');
    await writeFile(file, 'x');
    const cases: [Record<string, string>, string, RegExp][] = [
      [{ MEDALLION_HOME: file }, 'MEDALLION_HOME', /must be a directory, but .* is a file/],
      [{ MEDALLION_HOME: path.join(file, 'below') }, 'MEDALLION_HOME', /is inside .*not-a-directory", which is a file/],
      [{ MEDALLION_FAIL_TASK: 'load_brnze' }, 'MEDALLION_FAIL_TASK', /must be a task id: ensure_all_tables, /],
      [{ MEDALLION_KILL_AT: 'after:nothing' }, 'MEDALLION_KILL_AT', /before:<task>, after:<task> or mid:<task>/],
    ];
    for (const [env, variable, problem] of cases) {
      assert.throws(() => loadConfig(env), (error: unknown) => error instanceof ConfigError && error.variable === variable && problem.test(error.message), variable);
    }
    assert.deepEqual(loadConfig({ MEDALLION_KILL_AT: 'mid:load_aurora#3' }).killAt, { point: 'mid:load_aurora', occurrence: 3 });
    const result = await medallion(['status'], { MEDALLION_HOME: file });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^Invalid configuration: MEDALLION_HOME must be a directory/);
    const unknownTask = await medallion(['run', '--from', '2026-11-20T10:00Z'], { MEDALLION_HOME: path.dirname(file), MEDALLION_FAIL_TASK: 'nope' });
    assert.equal(unknownTask.code, 2);
    assert.match(unknownTask.stderr, /Invalid configuration: MEDALLION_FAIL_TASK must be a task id/);
  });

  it('takes a reserved word as the PostgreSQL schema: it is quoted wherever it is placed into SQL', async () => {
    const pipeline = await openTestPipeline({ MEDALLION_POSTGRES_SCHEMA: 'select', MEDALLION_EVENTS_PER_HOUR: '1000' });
    try {
      const outcome = await pipeline.run(windowAt(0));
      assert.equal(outcome.status, 'success', outcome.error);
      const [replica] = await pgRows<{ rows: number }>(pipeline, 'SELECT count(*)::int AS rows FROM "select".agg_events_hourly');
      const [gold] = await chRows<{ rows: number }>(pipeline, 'SELECT count() AS rows FROM gold.agg_events_hourly FINAL');
      assert.ok(gold!.rows > 0);
      assert.equal(replica!.rows, gold!.rows);
    } finally {
      await pipeline.close();
    }
  });

  it('the CLI exits non-zero with the variable named when the configuration is invalid', async () => {
    const result = await medallion(['run', '--from', '2026-11-20T10:00Z'], { MEDALLION_EVENTS_PER_HOUR: 'ten', MEDALLION_HOME: '/nonexistent/never-created' });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /Invalid configuration: MEDALLION_EVENTS_PER_HOUR must be a number \(got "ten"\)/);
    assert.equal(result.stdout, '');
  });
});
