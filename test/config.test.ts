import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, describeTargets, loadConfig, maskSecrets } from '../src/config.js';
import { medallion } from './cli.js';

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

  it('the CLI exits non-zero with the variable named when the configuration is invalid', async () => {
    const result = await medallion(['run', '--from', '2026-11-20T10:00Z'], { MEDALLION_EVENTS_PER_HOUR: 'ten', MEDALLION_HOME: '/nonexistent/never-created' });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /Invalid configuration: MEDALLION_EVENTS_PER_HOUR must be a number \(got "ten"\)/);
    assert.equal(result.stdout, '');
  });
});
