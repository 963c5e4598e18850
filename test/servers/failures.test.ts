import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Engines, Lake, Postgres } from '../../src/engines/index.js';
import { lakeKeys } from '../../src/layers/delivery/lake.js';
import { expectedRows } from '../../src/sources/synthetic.js';
import { captureStderr, EVENTS_PER_HOUR, NO_SERVERS, openPipeline, runCli, secrets, serverCtl, servers, serverTargets, windowAt, type ServerPipeline } from './helpers.js';

/** What must hold after any run of the pipeline succeeded: each target has every gold row exactly once. */
async function assertDeliveredOnce(pipeline: ServerPipeline, runId: string) {
  const clickhouse = await pipeline.engines.clickhouse();
  const postgres = await pipeline.engines.postgres();
  const lake = await pipeline.engines.lake();
  const schema = pipeline.config.postgresSchema;

  const [checks] = await clickhouse.rows<{ total: number; failed: number }>(
    'SELECT count() AS total, countIf(passed = 0) AS failed FROM catalog.validation_log WHERE run_id = {run:String} AND checked_at = (SELECT max(checked_at) FROM catalog.validation_log WHERE run_id = {run:String})',
    { run: runId },
  );
  assert.ok(checks!.total > 0, 'the rerun validated its delivery');
  assert.equal(checks!.failed, 0);

  const gold = await clickhouse.rows<{ hour: string; rows: number; events: number }>(
    `SELECT formatDateTime(toDateTime(event_date) + toIntervalHour(event_hour), '%Y-%m-%d %H:00:00') AS hour, count() AS rows, sum(event_count) AS events
     FROM gold.agg_events_hourly FINAL GROUP BY hour ORDER BY hour`,
  );
  const replica = await postgres.query<{ hour: string; rows: number; events: number }>(
    `SELECT to_char(event_date + make_interval(hours => event_hour), 'YYYY-MM-DD HH24:00:00') AS hour, count(*)::int AS rows, sum(event_count)::float8 AS events
     FROM ${schema}.agg_events_hourly GROUP BY 1 ORDER BY 1`,
  );
  assert.deepEqual(replica, gold, 'PostgreSQL holds every gold hour once, with the same counts');

  const hourlyKeys = await lake.list('agg_events_hourly');
  assert.deepEqual(hourlyKeys, gold.map((row) => lakeKeys.hourly(row.hour)), 'one lake object per gold hour, nothing else');
  const [days] = await clickhouse.rows<{ dates: string[] }>('SELECT groupArray(toString(event_date)) AS dates FROM (SELECT event_date FROM gold.rpt_daily_summary FINAL ORDER BY event_date)');
  assert.deepEqual(await lake.list('rpt_daily_summary'), days!.dates.map(lakeKeys.daily));

  const [bronze] = await clickhouse.rows<{ batches: number; rows: number; distinct_rows: number }>(
    'SELECT uniqExact(_batch_id) AS batches, count() AS rows, uniqExact(_batch_id, _row) AS distinct_rows FROM bronze.stg_events',
  );
  assert.equal(bronze!.rows, bronze!.batches * expectedRows(Number(EVENTS_PER_HOUR)), 'bronze holds each batch once');
  assert.equal(bronze!.distinct_rows, bronze!.rows);
  const [silver] = await clickhouse.rows<{ rows: number; ids: number }>('SELECT count() AS rows, uniqExact(event_id) AS ids FROM silver.fact_events FINAL');
  assert.equal(silver!.rows, silver!.ids, 'each event once in silver');
}

const assertNoSecret = (text: string, where: string) => {
  for (const secret of secrets()) assert.ok(!text.includes(secret), `a credential appeared in ${where}`);
};

/** A pipeline against the servers for one test; whatever happens, it is closed and both servers are up again. */
async function withPipeline(label: string, test: (pipeline: ServerPipeline) => Promise<void>) {
  const pipeline = await openPipeline(serverTargets(label));
  try {
    await test(pipeline);
  } finally {
    serverCtl('start', 's3');
    serverCtl('start', 'postgres');
    await pipeline.close();
  }
}

describe('a server that goes down during a run', { skip: NO_SERVERS }, () => {
  it('the S3 server killed between two partition writes fails the run with a clear message; a rerun once it is back completes', (t) =>
    withPipeline('s3_down', async (pipeline) => {
      const first = await pipeline.run(windowAt(0));
      assert.equal(first.status, 'success', first.error);

      // The lake the pipeline uses kills the S3 server right after the first object of the run landed.
      const realLake = await pipeline.engines.lake();
      let writes = 0;
      const lake: Lake = {
        ...realLake,
        async write(key, bytes) {
          await realLake.write(key, bytes);
          writes += 1;
          if (writes === 1) serverCtl('stop', 's3');
        },
      };
      const engines: Engines = { ...pipeline.engines, lake: async () => lake };
      const { result: outcome, stderr } = await captureStderr(() => pipeline.run(windowAt(1), { engines }));

      assert.equal(outcome.status, 'failed');
      t.diagnostic(`export_gold_to_s3 failed with: ${outcome.error}`);
      assert.equal(outcome.failedTask, 'export_gold_to_s3');
      // Partitions are written six at a time (src/layers/delivery/lake.ts): the ones already in flight when the
      // server stopped may have landed too, none after them.
      assert.ok(writes >= 1 && writes <= 6, `the kill happened in the middle of the export (${writes} objects landed)`);
      const location = pipeline.config.lake.mode === 's3' ? `s3://${pipeline.config.lake.bucket}/${pipeline.config.lake.prefix}` : '';
      assert.match(outcome.error!, new RegExp(`^S3 lake ${location} at ${servers().s3Endpoint} is unreachable while (writing|listing) (agg_events_hourly|rpt_daily_summary)/event_date=`), 'the retry fails at its first request, the listing of the touched partitions');
      assert.match(outcome.error!, /ECONNREFUSED/);
      assert.match(outcome.error!, /rerun the window/);
      for (const id of ['load_aurora', 'validate_delivery', 'complete_pipeline_run']) assert.equal(outcome.tasks.find((task) => task.id === id)?.status, 'skipped', id);
      const [run] = await (await pipeline.engines.clickhouse()).rows<{ status: string; failed_task: string; error: string }>(
        'SELECT status, failed_task, error FROM catalog.pipeline_runs FINAL WHERE run_id = {run:String}',
        { run: outcome.runId },
      );
      assert.deepEqual(run, { status: 'failed', failed_task: 'export_gold_to_s3', error: outcome.error });
      assertNoSecret(`${outcome.error} ${stderr}`, 'the failure');

      serverCtl('start', 's3');
      const rerun = await pipeline.run(windowAt(1));
      assert.equal(rerun.status, 'success', rerun.error);
      assert.equal(rerun.runId, outcome.runId);
      await assertDeliveredOnce(pipeline, rerun.runId);
  }));

  it('the PostgreSQL server killed inside the load transaction fails the run, leaves the replica as it was, and a rerun completes', (t) =>
    withPipeline('postgres_down', async (pipeline) => {
      const first = await pipeline.run(windowAt(0));
      assert.equal(first.status, 'success', first.error);
      const realPostgres = await pipeline.engines.postgres();
      const schema = pipeline.config.postgresSchema;
      const before = await realPostgres.query(`SELECT event_date::text, event_hour, category, source, event_count, _batch_id FROM ${schema}.agg_events_hourly ORDER BY 1, 2, 3, 4`);

      // After the first upsert statement of the run, inside its transaction, the server goes down.
      let statements = 0;
      const postgres: Postgres = {
        ...realPostgres,
        transaction: (work) =>
          realPostgres.transaction((tx) =>
            work({
              async query<T>(sql: string, params?: readonly unknown[]) {
                const rows = await tx.query<T>(sql, params);
                statements += 1;
                if (statements === 1) serverCtl('stop', 'postgres');
                return rows;
              },
            }),
          ),
      };
      const engines: Engines = { ...pipeline.engines, postgres: async () => postgres };
      const { result: outcome, stderr } = await captureStderr(() => pipeline.run(windowAt(1), { engines }));

      assert.equal(outcome.status, 'failed');
      t.diagnostic(`load_aurora failed with: ${outcome.error}`);
      assert.equal(outcome.failedTask, 'load_aurora');
      assert.equal(statements, 1);
      assert.match(outcome.error!, /^PostgreSQL server postgres:\/\/medallion:\*\*\*@127\.0\.0\.1:\d+\/postgres is unreachable while /);
      assert.match(outcome.error!, /rerun the window/);
      assertNoSecret(`${outcome.error} ${stderr}`, 'the failure');

      serverCtl('start', 'postgres');
      const after = await realPostgres.query(`SELECT event_date::text, event_hour, category, source, event_count, _batch_id FROM ${schema}.agg_events_hourly ORDER BY 1, 2, 3, 4`);
      assert.deepEqual(after, before, 'the interrupted transaction changed nothing');

      const rerun = await pipeline.run(windowAt(1));
      assert.equal(rerun.status, 'success', rerun.error);
      await assertDeliveredOnce(pipeline, rerun.runId);
  }));
});

describe('credentials', { skip: NO_SERVERS }, () => {
  it('the CLI prints the PostgreSQL URL masked and no credential, whether the run succeeds or a target is down', async () => {
    const targets = serverTargets('cli');
    const home = `${process.env.MEDALLION_TEST_SERVERS_DIR}/cli-home-${targets.MEDALLION_POSTGRES_SCHEMA}`;
    const env = { ...targets, MEDALLION_HOME: home, MEDALLION_EVENTS_PER_HOUR: '1000', MEDALLION_TASK_RETRIES: '0' };
    const ok = await runCli(['run', '--from', windowAt(0).toISOString(), '--to', windowAt(1).toISOString()], env);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stderr, /postgres:\/\/medallion:\*\*\*@127\.0\.0\.1:\d+\/postgres/);
    assertNoSecret(ok.stdout + ok.stderr, 'the output of a successful run');

    // The S3 endpoint on a port nothing listens on: the run fails, saying so, still without credentials.
    const closed = { ...env, MEDALLION_S3_ENDPOINT: 'http://127.0.0.1:9' };
    const down = await runCli(['run', '--from', windowAt(1).toISOString(), '--to', windowAt(2).toISOString()], closed);
    assert.notEqual(down.code, 0);
    assert.match(down.stdout + down.stderr, /export_gold_to_s3.*S3 lake s3:\/\/\S+ at http:\/\/127\.0\.0\.1:9 is unreachable/s);
    assertNoSecret(down.stdout + down.stderr, 'the output of a failed run');
  });

  it('a ClickHouse server URL with a password is masked in the error when the server is unreachable', async () => {
    const password = 'ch-secret-password';
    const result = await runCli(['run', '--from', windowAt(0).toISOString(), '--to', windowAt(1).toISOString()], {
      ...serverTargets('ch_down'),
      MEDALLION_CLICKHOUSE_URL: `http://etl:${password}@127.0.0.1:9`,
      MEDALLION_TASK_RETRIES: '0',
    });
    assert.notEqual(result.code, 0);
    const output = result.stdout + result.stderr;
    assert.ok(!output.includes(password), 'the ClickHouse password appeared');
    assert.match(output, /ClickHouse server http:\/\/etl:\*\*\*@127\.0\.0\.1:9 is unreachable/);
    assertNoSecret(output, 'the output');
  });

  it('wrong S3 credentials fail with the store\'s refusal and without the secret', async () => {
    const pipeline = await openPipeline(serverTargets('bad_key'));
    const saved = process.env.AWS_SECRET_ACCESS_KEY;
    const wrongSecret = 'wrong-secret-0123456789';
    try {
      process.env.AWS_SECRET_ACCESS_KEY = wrongSecret;
      const lake = await pipeline.engines.lake();
      await assert.rejects(lake.write('probe/part-0.parquet', Buffer.from('x')), (error: Error) => {
        assert.match(error.message, /^S3 lake s3:\/\/\S+ at http:\/\/127\.0\.0\.1:\d+ failed while writing probe\/part-0\.parquet: /);
        assert.match(error.message, /signature/i);
        assert.ok(!error.message.includes(wrongSecret) && !error.message.includes(saved!));
        return true;
      });
    } finally {
      process.env.AWS_SECRET_ACCESS_KEY = saved;
      await pipeline.close();
    }
  });
});
