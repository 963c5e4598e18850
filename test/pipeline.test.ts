import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { lakeKeys, readLakePartition } from '../src/layers/delivery/lake.js';
import type { RunOutcome } from '../src/pipeline/runner.js';
import { cents, chRows, openTestPipeline, pgRows, windowAt, type TestPipeline } from './helpers.js';

interface HourlyTotals {
  hour: string;
  event_count: number;
  revenue_events: number;
  total_value: number;
}

const hourlyGoldTotals = (pipeline: TestPipeline) =>
  chRows<HourlyTotals>(
    pipeline,
    `SELECT formatDateTime(toDateTime(event_date) + toIntervalHour(event_hour), '%Y-%m-%d %H:00:00') AS hour,
            sum(event_count) AS event_count, sum(revenue_events) AS revenue_events, round(sum(total_value), 2) AS total_value
     FROM gold.agg_events_hourly FINAL GROUP BY event_date, event_hour ORDER BY hour`,
  );

/** Gold, read back row by row in a stable order and with money rounded to cents. */
async function goldRows(pipeline: TestPipeline) {
  const hourly = await chRows(
    pipeline,
    `SELECT toString(event_date) AS event_date, event_hour, toString(category) AS category, toString(source) AS source,
            event_count, revenue_events, round(total_value, 2) AS total_value
     FROM gold.agg_events_hourly FINAL ORDER BY event_date, event_hour, category, source`,
  );
  const daily = await chRows(
    pipeline,
    `SELECT toString(event_date) AS event_date, total_events, unique_users, revenue_events, round(total_revenue, 2) AS total_revenue, round(avg_value, 4) AS avg_value
     FROM gold.rpt_daily_summary FINAL ORDER BY event_date`,
  );
  return { hourly, daily };
}

async function postgresRows(pipeline: TestPipeline) {
  const hourly = await pgRows(
    pipeline,
    `SELECT to_char(event_date, 'YYYY-MM-DD') AS event_date, event_hour::int AS event_hour, category, source,
            event_count::float8 AS event_count, revenue_events::float8 AS revenue_events, round(total_value::numeric, 2)::float8 AS total_value
     FROM medallion_etl.agg_events_hourly ORDER BY event_date, event_hour, category COLLATE "C", source COLLATE "C"`,
  );
  const daily = await pgRows(
    pipeline,
    `SELECT to_char(event_date, 'YYYY-MM-DD') AS event_date, total_events::float8 AS total_events, unique_users::float8 AS unique_users,
            revenue_events::float8 AS revenue_events, round(total_revenue::numeric, 2)::float8 AS total_revenue, round(avg_value::numeric, 4)::float8 AS avg_value
     FROM medallion_etl.rpt_daily_summary ORDER BY event_date`,
  );
  return { hourly, daily };
}

/** Every lake object, parsed by an independent reader, with the Hive partition values from its path. */
async function lakeRows(pipeline: TestPipeline) {
  const lake = await pipeline.engines.lake();
  const hourly: Record<string, unknown>[] = [];
  for (const key of await lake.list('agg_events_hourly')) {
    const [, date, hour] = /event_date=([\d-]+)\/event_hour=(\d\d)\//.exec(key)!;
    for (const row of (await readLakePartition(lake, key))!) {
      hourly.push({
        event_date: date, event_hour: Number(hour), category: row.category, source: row.source,
        event_count: Number(row.event_count), revenue_events: Number(row.revenue_events), total_value: cents(row.total_value),
      });
    }
  }
  const daily: Record<string, unknown>[] = [];
  for (const key of await lake.list('rpt_daily_summary')) {
    const [, date] = /event_date=([\d-]+)\//.exec(key)!;
    for (const row of (await readLakePartition(lake, key))!) {
      daily.push({
        event_date: date, total_events: Number(row.total_events), unique_users: Number(row.unique_users), revenue_events: Number(row.revenue_events),
        total_revenue: cents(row.total_revenue), avg_value: Math.round(Number(row.avg_value) * 10_000) / 10_000,
      });
    }
  }
  const sortKey = (row: Record<string, unknown>) => [row.event_date, String(row.event_hour ?? '').padStart(2, '0'), row.category ?? '', row.source ?? ''].join('|');
  const order = (a: Record<string, unknown>, b: Record<string, unknown>) => (sortKey(a) < sortKey(b) ? -1 : 1);
  return { hourly: hourly.sort(order), daily: daily.sort(order) };
}

/** Everything a rerun must leave as it was (audit columns such as load times excluded). */
async function state(pipeline: TestPipeline) {
  const fingerprint = (table: string, columns: string, final = '') =>
    chRows(pipeline, `SELECT count() AS rows, sum(cityHash64(${columns})) AS hash FROM ${table} ${final}`);
  return {
    bronze: await fingerprint('bronze.stg_events', 'event_id, user_name, category, source, value, event_time, _batch_id, _window_start, _row'),
    quarantine: await fingerprint('silver.quarantine_events', 'event_id, user_name, value, event_time, rejection_reason, _batch_id, _row', 'FINAL'),
    silver: await fingerprint('silver.fact_events', 'event_id, user_name, category, source, value, is_revenue, event_time, _batch_id', 'FINAL'),
    dimUsers: await chRows(pipeline, `SELECT * EXCEPT (_version, _is_deleted) FROM silver.dim_users FINAL ORDER BY user_name, valid_from`),
    history: await chRows(pipeline, `SELECT (SELECT count() FROM gold.agg_events_hourly_history) AS hourly, (SELECT count() FROM gold.rpt_daily_summary_history) AS daily`),
    gold: await goldRows(pipeline),
    lake: await lakeRows(pipeline),
    postgres: await postgresRows(pipeline),
  };
}

describe('three consecutive windows on embedded engines', () => {
  let pipeline: TestPipeline;
  const outcomes: RunOutcome[] = [];
  let goldAfterFirstWindow: HourlyTotals[];

  before(async () => {
    pipeline = await openTestPipeline();
    outcomes.push(await pipeline.run(windowAt(0)));
    goldAfterFirstWindow = await hourlyGoldTotals(pipeline);
    outcomes.push(await pipeline.run(windowAt(1)));
    outcomes.push(await pipeline.run(windowAt(2)));
  });
  after(() => pipeline.close());

  it('succeeds and records three successful runs with their counts in catalog.pipeline_runs', async () => {
    assert.deepEqual(outcomes.map((outcome) => outcome.status), ['success', 'success', 'success']);
    assert.ok(outcomes.every((outcome) => outcome.tasks.length === 15 && outcome.tasks.every((task) => task.status === 'success')));
    const runs = await chRows<{ run_id: string; status: string; bronze_rows: number; silver_new_rows: number; gold_hourly_rows: number; gold_daily_rows: number; finished_at: string | null }>(
      pipeline,
      'SELECT run_id, status, bronze_rows, silver_new_rows, gold_hourly_rows, gold_daily_rows, finished_at FROM catalog.pipeline_runs FINAL ORDER BY window_start',
    );
    assert.deepEqual(runs.map((run) => run.run_id), outcomes.map((outcome) => outcome.runId));
    assert.deepEqual(runs.map((run) => run.run_id), ['scheduled__2026-11-20T10:00:00+00:00', 'scheduled__2026-11-20T11:00:00+00:00', 'scheduled__2026-11-20T12:00:00+00:00']);
    for (const run of runs) {
      assert.equal(run.status, 'success');
      assert.equal(run.bronze_rows, 4000 + 40 + 40 + 20);
      assert.ok(run.silver_new_rows > 3000 && run.gold_hourly_rows > 0 && run.gold_daily_rows > 0 && run.finished_at);
    }
  });

  it('creates the 18 tables (the seed\'s 16, the files ledger and the event-id registry) with their engines and keys', async () => {
    const tables = await chRows<{ name: string; engine: string; sorting_key: string }>(
      pipeline,
      `SELECT concat(database, '.', name) AS name, engine, sorting_key FROM system.tables WHERE database IN ('catalog', 'bronze', 'silver', 'gold') ORDER BY name`,
    );
    assert.deepEqual(Object.fromEntries(tables.map((table) => [table.name, table.engine])), {
      'bronze.stg_events': 'MergeTree',
      'catalog.benchmark_log': 'MergeTree',
      'catalog.column_registry': 'ReplacingMergeTree',
      'catalog.data_lineage': 'ReplacingMergeTree',
      'catalog.pipeline_runs': 'ReplacingMergeTree',
      'catalog.source_files': 'ReplacingMergeTree',
      'catalog.table_registry': 'ReplacingMergeTree',
      'catalog.validation_log': 'MergeTree',
      'gold.agg_events_hourly': 'ReplacingMergeTree',
      'gold.agg_events_hourly_history': 'MergeTree',
      'gold.rpt_daily_summary': 'ReplacingMergeTree',
      'gold.rpt_daily_summary_history': 'MergeTree',
      'silver.dim_users': 'ReplacingMergeTree',
      'silver.event_ids': 'ReplacingMergeTree',
      'silver.fact_events': 'ReplacingMergeTree',
      'silver.quarantine_events': 'ReplacingMergeTree',
    });
    assert.equal(tables.find((table) => table.name === 'gold.agg_events_hourly')?.sorting_key, 'event_date, event_hour, category, source');
    assert.equal(tables.find((table) => table.name === 'silver.event_ids')?.sorting_key, 'delivery_date, id_hash, id_check, _batch_id');
    const replicas = await pgRows<{ table_name: string }>(pipeline, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'medallion_etl' ORDER BY table_name");
    assert.deepEqual(replicas.map((row) => row.table_name), ['agg_events_hourly', 'rpt_daily_summary']);
  });

  it('registers every table and column from the engines and the 14 lineage flows derived from the tasks\' reads and writes', async () => {
    const registry = await chRows<{ target: string; database: string; table_name: string; engine: string; description: string }>(
      pipeline,
      'SELECT target, database, table_name, engine, description FROM catalog.table_registry FINAL ORDER BY target, database, table_name',
    );
    assert.equal(registry.length, 18);
    assert.equal(registry.filter((row) => row.target === 'postgres').length, 2);
    assert.ok(registry.every((row) => row.description.length > 0), 'every table carries its DDL comment');
    const columns = await chRows<{ rows: number; without_comment: number }>(
      pipeline,
      "SELECT count() AS rows, countIf(description = '' AND NOT (target = 'postgres' AND column_name = '')) AS without_comment FROM catalog.column_registry FINAL",
    );
    assert.ok(columns[0]!.rows > 150);
    assert.equal(columns[0]!.without_comment, 0);
    const lineage = await chRows<{ source_table: string; target_table: string }>(pipeline, 'SELECT source_table, target_table FROM catalog.data_lineage FINAL ORDER BY source_table, target_table');
    assert.deepEqual(lineage.map((flow) => `${flow.source_table} -> ${flow.target_table}`), [
      'bronze.stg_events -> silver.dim_users',
      'bronze.stg_events -> silver.event_ids',
      'bronze.stg_events -> silver.fact_events',
      'bronze.stg_events -> silver.quarantine_events',
      'gold.agg_events_hourly -> gold.agg_events_hourly_history',
      'gold.agg_events_hourly -> lake.agg_events_hourly',
      'gold.agg_events_hourly -> postgres.medallion_etl.agg_events_hourly',
      'gold.rpt_daily_summary -> gold.rpt_daily_summary_history',
      'gold.rpt_daily_summary -> lake.rpt_daily_summary',
      'gold.rpt_daily_summary -> postgres.medallion_etl.rpt_daily_summary',
      'silver.fact_events -> gold.agg_events_hourly',
      'silver.fact_events -> gold.rpt_daily_summary',
      'silver.fact_events -> silver.dim_users',
      'source.synthetic -> bronze.stg_events',
    ]);
    const benchmarks = await chRows<{ tasks: number; attempts: number }>(pipeline, "SELECT uniqExact(task_name) AS tasks, count() AS attempts FROM catalog.benchmark_log WHERE status = 'success'");
    assert.deepEqual(benchmarks[0], { tasks: 15, attempts: 45 });
  });

  it('computes gold exactly as an independent aggregation of deduplicated silver', async () => {
    const recomputedHourly = await chRows(
      pipeline,
      `SELECT toString(event_date) AS event_date, event_hour, toString(category) AS category, toString(source) AS source,
              count() AS event_count, countIf(category = 'purchase' AND value > 0) AS revenue_events, round(toFloat64(sum(value)), 2) AS total_value
       FROM (SELECT * FROM silver.fact_events FINAL)
       GROUP BY event_date, event_hour, category, source ORDER BY event_date, event_hour, category, source
       SETTINGS optimize_use_projections = 0`,
    );
    const recomputedDaily = await chRows(
      pipeline,
      `SELECT toString(event_date) AS event_date, count() AS total_events, uniqExact(user_name) AS unique_users,
              countIf(category = 'purchase' AND value > 0) AS revenue_events, round(toFloat64(sumIf(value, category = 'purchase' AND value > 0)), 2) AS total_revenue,
              round(toFloat64(sum(value)) / count(), 4) AS avg_value
       FROM (SELECT * FROM silver.fact_events FINAL)
       GROUP BY event_date ORDER BY event_date
       SETTINGS optimize_use_projections = 0`,
    );
    const [silverIds] = await chRows<{ rows: number; ids: number }>(pipeline, 'SELECT count() AS rows, uniqExact(event_id) AS ids FROM silver.fact_events');
    assert.equal(silverIds!.rows, silverIds!.ids, 'silver holds every event_id once, even before merges');
    const gold = await goldRows(pipeline);
    assert.ok(recomputedHourly.length > 50);
    assert.deepEqual(gold.hourly, recomputedHourly);
    assert.deepEqual(gold.daily, recomputedDaily);
  });

  it("keeps silver's projections exact when its parts are merged (merges combine the projections' parts)", async () => {
    const clickhouse = await pipeline.engines.clickhouse();
    const totals = (projections: 0 | 1) =>
      Promise.all([
        chRows(pipeline, `SELECT toString(event_date) AS d, event_hour, toString(category) AS c, toString(source) AS s, count() AS n, sum(is_revenue) AS r, toString(sum(value)) AS v FROM silver.fact_events GROUP BY event_date, event_hour, category, source ORDER BY ALL SETTINGS optimize_use_projections = ${projections}, force_optimize_projection = ${projections}`),
        chRows(pipeline, `SELECT toString(event_date) AS d, count() AS n, uniqExact(user_name) AS u, toString(sumIf(value, is_revenue = 1)) AS revenue FROM silver.fact_events GROUP BY event_date ORDER BY ALL SETTINGS optimize_use_projections = ${projections}, force_optimize_projection = ${projections}`),
        chRows(pipeline, `SELECT user_name, count() AS n, toString(sum(value)) AS v, max(event_date) AS last FROM silver.fact_events GROUP BY user_name ORDER BY ALL SETTINGS optimize_use_projections = ${projections}, force_optimize_projection = ${projections}`),
        chRows(pipeline, `SELECT _batch_id, toString(event_date) AS d, event_hour, count() AS n FROM silver.fact_events GROUP BY _batch_id, event_date, event_hour ORDER BY ALL SETTINGS optimize_use_projections = ${projections}, force_optimize_projection = ${projections}`),
      ]);
    const partsOf = async () => (await chRows<{ parts: number }>(pipeline, "SELECT count() AS parts FROM system.parts WHERE active AND database = 'silver' AND table = 'fact_events'"))[0]!.parts;
    const before = await totals(0);
    const partsBefore = await partsOf();
    await clickhouse.command('OPTIMIZE TABLE silver.fact_events FINAL');
    assert.ok((await partsOf()) < partsBefore, `the parts were merged (${partsBefore} before)`);
    assert.deepEqual(await totals(1), before, 'each projection, served alone after the merge, equals the rows');
    assert.deepEqual(await totals(0), before);
  });

  it('delivers gold unchanged to the Parquet lake (Hive layout) and to PostgreSQL', async () => {
    const gold = await goldRows(pipeline);
    assert.deepEqual(await lakeRows(pipeline), gold);
    assert.deepEqual(await postgresRows(pipeline), gold);
    const lake = await pipeline.engines.lake();
    const keys = await lake.list('');
    assert.ok(keys.includes(lakeKeys.hourly('2026-11-20 12:00:00')));
    assert.ok(keys.every((key) => /^(agg_events_hourly\/event_date=\d{4}-\d\d-\d\d\/event_hour=\d\d|rpt_daily_summary\/event_date=\d{4}-\d\d-\d\d)\/part-0\.parquet$/.test(key)), keys.join('\n'));
  });

  it('accounts for every bronze row of each batch in exactly one bucket', async () => {
    for (const [index, outcome] of outcomes.entries()) {
      const [buckets] = await chRows<{ bronze: number; quarantined: number; silver_new: number; duplicates: number; already_in_silver: number }>(
        pipeline,
        `WITH valid AS (SELECT event_id FROM bronze.stg_events WHERE _batch_id = {run:String} AND event_id != '' AND user_name != '')
         SELECT
           (SELECT count() FROM bronze.stg_events WHERE _batch_id = {run:String}) AS bronze,
           (SELECT count() FROM silver.quarantine_events FINAL WHERE _batch_id = {run:String}) AS quarantined,
           (SELECT count() FROM silver.fact_events FINAL WHERE _batch_id = {run:String}) AS silver_new,
           (SELECT count() - uniqExact(event_id) FROM valid) AS duplicates,
           (SELECT count() FROM silver.fact_events FINAL WHERE _batch_id != {run:String} AND event_id IN (SELECT event_id FROM valid)) AS already_in_silver`,
        { run: outcome.runId },
      );
      const { bronze, quarantined, silver_new, duplicates, already_in_silver } = buckets!;
      assert.equal(bronze, quarantined + silver_new + duplicates + already_in_silver, `batch ${outcome.runId}`);
      assert.ok(quarantined > 0 && silver_new > 0 && duplicates > 0, `batch ${outcome.runId}: ${JSON.stringify(buckets)}`);
      // Re-deliveries repeat events of earlier windows: the first batch of an empty pipeline has none to repeat.
      if (index === 0) assert.equal(already_in_silver, 0);
      else assert.ok(already_in_silver > 0, `batch ${outcome.runId} re-delivered events already in silver`);
      const [reasons] = await chRows<{ reasons: string[] }>(pipeline, 'SELECT groupUniqArray(rejection_reason) AS reasons FROM silver.quarantine_events WHERE _batch_id = {run:String}', { run: outcome.runId });
      assert.deepEqual([...reasons!.reasons].sort(), ['empty_event_id', 'empty_event_id,empty_user_name', 'empty_user_name']);
    }
    const gate = await chRows<{ failed: number; checks: number }>(pipeline, "SELECT countIf(passed = 0) AS failed, count() AS checks FROM catalog.validation_log WHERE check_name = 'accounting'");
    assert.deepEqual(gate[0], { failed: 0, checks: 3 });
  });

  it('lets a late event correct its earlier hour in gold, the lake and PostgreSQL, keeping a history snapshot', async () => {
    const secondRun = outcomes[1]!.runId;
    const lateHours = await chRows<{ hour: string; events: number }>(
      pipeline,
      `SELECT formatDateTime(toStartOfHour(event_time), '%Y-%m-%d %H:00:00') AS hour, count() AS events FROM silver.fact_events
       WHERE _batch_id = {run:String} AND event_time < {start:DateTime('UTC')} AND event_time >= {start:DateTime('UTC')} - INTERVAL 24 HOUR
       GROUP BY hour ORDER BY hour`,
      { run: secondRun, start: '2026-11-20 11:00:00' },
    );
    const before = new Map(goldAfterFirstWindow.map((row) => [row.hour, row]));
    const corrected = lateHours.find((row) => before.has(row.hour));
    assert.ok(corrected, 'the second window delivers late events for an hour the first window had aggregated');
    const old = before.get(corrected.hour)!;

    const now = (await hourlyGoldTotals(pipeline)).find((row) => row.hour === corrected.hour)!;
    const [laterLate] = await chRows<{ events: number }>(
      pipeline,
      "SELECT count() AS events FROM silver.fact_events WHERE _batch_id = {run:String} AND toStartOfHour(event_time) = {hour:DateTime('UTC')}",
      { run: outcomes[2]!.runId, hour: corrected.hour },
    );
    assert.equal(now.event_count, old.event_count + corrected.events + laterLate!.events);

    const [snapshot] = await chRows<HourlyTotals>(
      pipeline,
      `SELECT sum(event_count) AS event_count, sum(revenue_events) AS revenue_events, round(sum(total_value), 2) AS total_value, {hour:String} AS hour
       FROM gold.agg_events_hourly_history WHERE _snapshot_batch = {run:String} AND toDateTime(event_date) + toIntervalHour(event_hour) = {hour:DateTime('UTC')}`,
      { run: secondRun, hour: corrected.hour },
    );
    assert.deepEqual(snapshot, old, 'the history keeps what gold said before the correction');

    const [postgres] = await pgRows<{ event_count: number }>(
      pipeline,
      'SELECT sum(event_count)::float8 AS event_count FROM medallion_etl.agg_events_hourly WHERE event_date = $1::date AND event_hour = $2',
      [corrected.hour.slice(0, 10), Number(corrected.hour.slice(11, 13))],
    );
    assert.equal(postgres!.event_count, now.event_count);
    const lakeRowsOfHour = (await readLakePartition(await pipeline.engines.lake(), lakeKeys.hourly(corrected.hour)))!;
    assert.equal(lakeRowsOfHour.reduce((sum, row) => sum + Number(row.event_count), 0), now.event_count);
  });

  it('leaves every table, lake file and PostgreSQL row as it was when the same windows run again', async () => {
    const first = await state(pipeline);
    // A plain range rerun skips the windows that succeeded; --redo runs every task of each again.
    const skipped = await pipeline.runRange(windowAt(0), windowAt(3));
    assert.deepEqual(skipped.map((outcome) => outcome.status), ['skipped', 'skipped', 'skipped']);
    assert.deepEqual(await state(pipeline), first);
    const reruns = await pipeline.runRange(windowAt(0), windowAt(3), { redo: true });
    assert.deepEqual(reruns.map((outcome) => outcome.status), ['success', 'success', 'success']);
    const second = await state(pipeline);
    assert.deepEqual(second, first);
    assert.ok(first.dimUsers.length > 0 && first.gold.hourly.length > 0 && first.lake.hourly.length > 0);
  });
});
