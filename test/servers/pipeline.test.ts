import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { queryBindAsync } from 'chdb';
import { downloadPrefix, FIRST_WINDOW, plain, runScenario, secrets, servers, serverTargets, NO_SERVERS, type ScenarioResult } from './helpers.js';

const withoutBatch = ({ _batch_id: _, ...row }: Record<string, unknown>) => row;
const sortKey = (row: Record<string, unknown>) => [row.event_date, String(row.event_hour ?? '').padStart(2, '0'), row.category ?? '', row.source ?? ''].join('|');
const byKey = (a: Record<string, unknown>, b: Record<string, unknown>) => (sortKey(a) < sortKey(b) ? -1 : sortKey(a) > sortKey(b) ? 1 : 0);

describe('the full pipeline with a PostgreSQL server, an S3 server and embedded ClickHouse', { skip: NO_SERVERS }, () => {
  let embedded: ScenarioResult;
  let served: ScenarioResult;
  let lakePrefix: string;

  before(async () => {
    const targets = serverTargets('pipeline');
    lakePrefix = targets.MEDALLION_LAKE_URL!.replace(`s3://${servers().bucket}/`, '');
    // The same scenario and seed twice: embedded engines only, then the servers.
    [embedded, served] = await Promise.all([runScenario({}), runScenario(targets)]);
  });

  it('runs every window, rerun and late backfill successfully on both, every delivery check passing', () => {
    for (const result of [embedded, served]) {
      assert.deepEqual(result.outcomes.map((outcome) => outcome.status), Array(7).fill('success'), JSON.stringify(result.outcomes.filter((outcome) => outcome.error)));
      assert.equal(result.dump.failedChecks, 0);
      assert.deepEqual(result.dump.runs.map((run) => run.status), Array(5).fill('success'));
    }
    assert.deepEqual(served.dump.runs, embedded.dump.runs, 'same run ids and row counts');
  });

  it('produces the same gold, including the late hours before the first window and the history snapshots', () => {
    assert.ok(served.dump.gold.hourly.length > 0);
    assert.deepEqual(served.dump.gold, embedded.dump.gold);
    // Late events lie up to 24 hours before their window: the day before the first window has gold rows.
    const dayBefore = new Date(FIRST_WINDOW.getTime() - 24 * 3_600_000).toISOString().slice(0, 10);
    assert.ok(served.dump.gold.hourly.some((row) => row.event_date === dayBefore), `late events reached ${dayBefore}`);
  });

  it('leaves the same rows in the PostgreSQL server as in the embedded PostgreSQL, equal to gold', () => {
    assert.deepEqual(served.dump.postgres, embedded.dump.postgres);
    assert.deepEqual(served.dump.postgres.hourly, served.dump.gold.hourly, 'every gold hourly row, once');
    assert.deepEqual(served.dump.postgres.daily, served.dump.gold.daily, 'every gold daily row, once');
  });

  it('writes the same lake objects to the S3 server as to the lake directory: same keys, same bytes', () => {
    assert.ok(served.dump.lake.length > 0);
    assert.deepEqual(served.dump.lake.map((object) => object.key), embedded.dump.lake.map((object) => object.key));
    assert.deepEqual(served.dump.lake, embedded.dump.lake);
    const partitions = new Set(served.dump.gold.hourly.map((row) => `${row.event_date}/${row.event_hour}`));
    assert.equal(served.dump.lake.filter((object) => object.key.startsWith('agg_events_hourly/')).length, partitions.size, 'one object per gold hour');
  });

  it('is read back from the S3 server by ClickHouse s3() with Hive partitioning, equal to gold', async () => {
    const { s3Endpoint, bucket } = servers();
    // chDB takes the credentials from the AWS variables of the environment, as the SDK does.
    const url = `${s3Endpoint}/${bucket}/${lakePrefix}`;
    const hourly = await queryBindAsync(
      `SELECT toString(event_date) AS event_date, toUInt8(event_hour) AS event_hour, category, source, event_count, revenue_events, total_value
       FROM s3({url:String}, 'Parquet') ORDER BY event_date, event_hour, category, source
       SETTINGS use_hive_partitioning = 1, output_format_json_quote_64bit_integers = 0`,
      { url: `${url}/agg_events_hourly/**/*.parquet` },
      { format: 'JSONEachRow' },
    );
    const rows = hourly.text().trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(rows, served.dump.gold.hourly.map(withoutBatch));

    const daily = await queryBindAsync(
      `SELECT toString(event_date) AS event_date, total_events, unique_users, revenue_events, total_revenue, avg_value
       FROM s3({url:String}, 'Parquet') ORDER BY event_date SETTINGS use_hive_partitioning = 1, output_format_json_quote_64bit_integers = 0`,
      { url: `${url}/rpt_daily_summary/**/*.parquet` },
      { format: 'JSONEachRow' },
    );
    assert.deepEqual(daily.text().trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>), served.dump.gold.daily.map(withoutBatch));

    const types = await queryBindAsync(`DESCRIBE s3({url:String}, 'Parquet') SETTINGS use_hive_partitioning = 1`, { url: `${url}/agg_events_hourly/**/*.parquet` }, { format: 'JSONEachRow' });
    const typeOf = Object.fromEntries(types.text().trim().split('\n').map((line) => JSON.parse(line) as { name: string; type: string }).map(({ name, type }) => [name, type.replace(/^Nullable\((.*)\)$/, '$1')]));
    assert.deepEqual(typeOf, { category: 'String', source: 'String', event_count: 'Int64', revenue_events: 'Int64', total_value: 'Float64', event_date: 'Date', event_hour: 'Int64' });
  });

  it('is read by DuckDB with Hive partitioning (a copy fetched over S3), with stable types, equal to gold', async () => {
    const directory = await mkdtemp(path.join(os.tmpdir(), 'medallion-duckdb-'));
    const duck = await DuckDBInstance.create(':memory:');
    const connection = await duck.connect();
    try {
      const keys = await downloadPrefix(servers().bucket, lakePrefix, directory);
      assert.equal(keys.length, served.dump.lake.length);
      const glob = (table: string) => `'${path.join(directory, table).replaceAll("'", "''")}/**/*.parquet'`;
      // DuckDB infers the zero-padded event_hour=HH as VARCHAR; a reader declares it, as with Athena or Trino.
      const hive = `hive_partitioning = true, hive_types = {'event_hour': INTEGER}`;
      const hourly = await connection.runAndReadAll(
        `SELECT strftime(event_date, '%Y-%m-%d') AS event_date, event_hour, category, source, event_count, revenue_events, total_value
         FROM read_parquet(${glob('agg_events_hourly')}, ${hive}) ORDER BY ALL`,
      );
      const rows = (await hourly.getRowObjectsJS()).map(plain).sort(byKey);
      assert.deepEqual(rows, served.dump.gold.hourly.map(withoutBatch).sort(byKey));

      const daily = await connection.runAndReadAll(
        `SELECT strftime(event_date, '%Y-%m-%d') AS event_date, total_events, unique_users, revenue_events, total_revenue, avg_value
         FROM read_parquet(${glob('rpt_daily_summary')}, hive_partitioning = true) ORDER BY event_date`,
      );
      assert.deepEqual((await daily.getRowObjectsJS()).map(plain), served.dump.gold.daily.map(withoutBatch));

      const described = await connection.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${glob('agg_events_hourly')}, ${hive})`);
      const typeOf = Object.fromEntries((await described.getRowObjectsJS()).map((row) => [row.column_name, row.column_type]));
      assert.deepEqual(typeOf, { category: 'VARCHAR', source: 'VARCHAR', event_count: 'BIGINT', revenue_events: 'BIGINT', total_value: 'DOUBLE', event_date: 'DATE', event_hour: 'INTEGER' });
    } finally {
      connection.closeSync();
      duck.closeSync();
      await rm(directory, { recursive: true, force: true });
    }
  });

  it('prints no credential while it runs', () => {
    for (const secret of secrets()) assert.ok(!served.stderr.includes(secret), 'a credential appeared on stderr');
  });
});
