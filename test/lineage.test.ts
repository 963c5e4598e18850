import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { dataFlows, isBookkeeping, writtenDataset, type TaskData } from '../src/pipeline/datasets.js';
import { lineage, PIPELINE } from '../src/pipeline/graph.js';
import { medallion } from './cli.js';
import { chRows, openTestPipeline, windowAt, type TestPipeline } from './helpers.js';

interface LineageRow {
  source_table: string;
  target_table: string;
  task_name: string;
  transformation: string;
}

const registeredLineage = (pipeline: TestPipeline) =>
  chRows<LineageRow>(pipeline, 'SELECT source_table, target_table, task_name, transformation FROM catalog.data_lineage FINAL ORDER BY source_table, target_table');

const byPair = (a: LineageRow, b: LineageRow) => `${a.source_table}\n${a.target_table}`.localeCompare(`${b.source_table}\n${b.target_table}`);

/**
 * The flows the graph's declarations make, computed here from PIPELINE directly: every (read → write) of a
 * task, a write's `from` narrowing its reads, with the configured source and schema put in.
 */
function declaredLineage(names: { source: string; schema: string }): LineageRow[] {
  const name = (dataset: string) => (dataset === '{source}' ? names.source : dataset.replace('{schema}', names.schema));
  return PIPELINE.flatMap((task) =>
    task.writes.flatMap((write) => {
      const target = writtenDataset(write);
      const sources = typeof write === 'string' ? task.reads : write.from;
      return sources
        .filter((source) => !source.startsWith('catalog.') && !target.startsWith('catalog.'))
        .map((source) => ({ source_table: name(source), target_table: name(target), task_name: task.id, transformation: task.description }));
    }),
  ).sort(byPair);
}

describe('lineage derived from what each task declares it reads and writes (synthetic source)', () => {
  let pipeline: TestPipeline;

  before(async () => {
    pipeline = await openTestPipeline({ MEDALLION_POSTGRES_SCHEMA: 'bi_lineage' });
    const outcome = await pipeline.run(windowAt(0));
    assert.equal(outcome.status, 'success', JSON.stringify(outcome.tasks.filter((task) => task.status !== 'success')));
  });
  after(() => pipeline.close());

  it('holds exactly the flows of the declarations in catalog.data_lineage, the source and PostgreSQL schema resolved', async () => {
    const registered = await registeredLineage(pipeline);
    assert.deepEqual(registered, declaredLineage({ source: 'source.synthetic', schema: 'bi_lineage' }));
    assert.deepEqual(registered, lineage(pipeline.config).map((flow) => ({ source_table: flow.source, target_table: flow.target, task_name: flow.task, transformation: flow.transformation })).sort(byPair));
    assert.deepEqual(registered.map((flow) => `${flow.source_table} -> ${flow.target_table} (${flow.task_name})`), [
      'bronze.stg_events -> silver.dim_users (update_dim_users)',
      'bronze.stg_events -> silver.event_ids (transform_silver)',
      'bronze.stg_events -> silver.fact_events (transform_silver)',
      'bronze.stg_events -> silver.quarantine_events (quarantine_invalid_rows)',
      'gold.agg_events_hourly -> gold.agg_events_hourly_history (snapshot_gold_history)',
      'gold.agg_events_hourly -> lake.agg_events_hourly (export_gold_to_s3)',
      'gold.agg_events_hourly -> postgres.bi_lineage.agg_events_hourly (load_aurora)',
      'gold.rpt_daily_summary -> gold.rpt_daily_summary_history (snapshot_gold_history)',
      'gold.rpt_daily_summary -> lake.rpt_daily_summary (export_gold_to_s3)',
      'gold.rpt_daily_summary -> postgres.bi_lineage.rpt_daily_summary (load_aurora)',
      'silver.fact_events -> gold.agg_events_hourly (aggregate_gold_hourly)',
      'silver.fact_events -> gold.rpt_daily_summary (aggregate_gold_daily)',
      'silver.fact_events -> silver.dim_users (update_dim_users)',
      'source.synthetic -> bronze.stg_events (load_bronze)',
    ]);
  });

  it('draws the flow bronze → silver.fact_events by transform_silver, described by the task', async () => {
    const [flow] = (await registeredLineage(pipeline)).filter((row) => row.source_table === 'bronze.stg_events' && row.target_table === 'silver.fact_events');
    assert.deepEqual(flow, { source_table: 'bronze.stg_events', target_table: 'silver.fact_events', task_name: 'transform_silver', transformation: PIPELINE.find((task) => task.id === 'transform_silver')!.description });
  });

  it('puts every ClickHouse table of bronze, silver and gold in some flow, and the delivered replicas too', async () => {
    const tables = await chRows<{ name: string }>(pipeline, "SELECT concat(database, '.', name) AS name FROM system.tables WHERE database IN ('bronze', 'silver', 'gold') ORDER BY name");
    assert.ok(tables.length >= 8);
    const inFlows = new Set((await registeredLineage(pipeline)).flatMap((flow) => [flow.source_table, flow.target_table]));
    assert.deepEqual(tables.map((table) => table.name).filter((name) => !inFlows.has(name)), [], 'tables that no task declares it reads or writes');
    for (const replica of ['lake.agg_events_hourly', 'lake.rpt_daily_summary', 'postgres.bi_lineage.agg_events_hourly', 'postgres.bi_lineage.rpt_daily_summary']) assert.ok(inFlows.has(replica), replica);
  });

  it('keeps the catalog\'s bookkeeping out of the lineage, though the tasks declare their catalog writes', async () => {
    assert.ok(PIPELINE.some((task) => task.writes.map(writtenDataset).some(isBookkeeping)));
    const catalogFlows = await chRows(pipeline, "SELECT source_table, target_table FROM catalog.data_lineage FINAL WHERE source_table LIKE 'catalog.%' OR target_table LIKE 'catalog.%'");
    assert.deepEqual(catalogFlows, []);
  });

  it('registers one row per (source, target) pair: no two tasks declare the same flow', async () => {
    const [counts] = await chRows<{ rows: number; pairs: number }>(pipeline, 'SELECT count() AS rows, uniqExact(source_table, target_table) AS pairs FROM catalog.data_lineage');
    const flows = lineage(pipeline.config);
    assert.equal(new Set(flows.map((flow) => `${flow.source} -> ${flow.target}`)).size, flows.length);
    assert.equal(counts!.pairs, flows.length);
  });

  it('drops a flow registered before that the declarations no longer make, on the next run', async () => {
    const clickhouse = await pipeline.engines.clickhouse();
    await clickhouse.insert('catalog.data_lineage', [
      { source_table: 'landing.retired', target_table: 'bronze.stg_events', task_name: 'load_bronze', transformation: 'an earlier configuration', registered_at: '2026-11-19 00:00:00.000' },
      { source_table: 'gold.agg_events_hourly', target_table: 'postgres.old_schema.agg_events_hourly', task_name: 'load_aurora', transformation: 'an earlier schema', registered_at: '2026-11-19 00:00:00.000' },
    ]);
    assert.equal((await registeredLineage(pipeline)).length, 16);
    const outcome = await pipeline.run(windowAt(1));
    assert.equal(outcome.status, 'success');
    assert.deepEqual(await registeredLineage(pipeline), declaredLineage({ source: 'source.synthetic', schema: 'bi_lineage' }));
  });
});

describe('lineage with a files source: landing → bronze appears by itself', () => {
  let dir: string;
  let pipeline: TestPipeline;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'medallion-lineage-'));
    await mkdir(path.join(dir, 'landing'));
    await writeFile(
      path.join(dir, 'mapping.yaml'),
      ['name: partner_clicks', 'landing: ./landing', 'columns: [id, user_id, kind, price, time]', 'fields:', '  event_id: id', "  user_name: concat('user_', user_id)",
        '  category: kind', '  value: toFloat64OrNull(price)', "  event_time: parseDateTimeBestEffortOrNull(time, 'UTC')", 'constants:', '  source: web', ''].join('\n'),
    );
    const rows = Array.from({ length: 30 }, (_, i) => `e-${i},${i % 7},${i % 3 === 0 ? 'purchase' : 'view'},${(i + 1).toFixed(2)},2026-11-20 10:${String(i).padStart(2, '0')}:00 UTC`);
    await writeFile(path.join(dir, 'landing', 'clicks.csv'), ['id,user_id,kind,price,time', ...rows].join('\n') + '\n');
    pipeline = await openTestPipeline({ MEDALLION_SOURCE: path.join(dir, 'mapping.yaml') });
    const outcome = await pipeline.run(windowAt(0));
    assert.equal(outcome.status, 'success', JSON.stringify(outcome.tasks.filter((task) => task.status !== 'success')));
  });
  after(async () => {
    await pipeline?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('registers landing.<mapping name> → bronze.stg_events by load_bronze, and no synthetic source', async () => {
    const registered = await registeredLineage(pipeline);
    assert.deepEqual(registered, declaredLineage({ source: 'landing.partner_clicks', schema: 'medallion_etl' }));
    assert.deepEqual(registered.filter((flow) => flow.target_table === 'bronze.stg_events').map((flow) => [flow.source_table, flow.task_name]), [['landing.partner_clicks', 'load_bronze']]);
    const [bronze] = await chRows<{ rows: number }>(pipeline, 'SELECT count() AS rows FROM bronze.stg_events');
    assert.equal(bronze!.rows, 30);
  });
});

describe('lineage replaced after a change of configuration, killed halfway', () => {
  it('a SIGKILL between emptying the lineage and writing it again leaves it empty; the rerun equals a run never killed', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'medallion-lineage-kill-'));
    try {
      const base = { MEDALLION_EVENTS_PER_HOUR: '1000', MEDALLION_TASK_RETRIES: '0' };
      const lineageOf = async (home: string) => {
        const result = await medallion(['query', '--format', 'json', '--', 'SELECT source_table, target_table, task_name, transformation FROM catalog.data_lineage FINAL ORDER BY source_table, target_table'], { ...base, MEDALLION_HOME: home });
        assert.equal(result.code, 0, result.stderr);
        return JSON.parse(result.stdout) as LineageRow[];
      };
      // Two homes run window 10:00 with one PostgreSQL schema and window 11:00 with another: the second run
      // finds the first schema's flows no longer derived. One of them is killed there, then run again.
      const homes = { clean: path.join(dir, 'clean'), killed: path.join(dir, 'killed') };
      for (const home of Object.values(homes)) {
        const first = await medallion(['run', '--from', '2026-11-20T10:00Z'], { ...base, MEDALLION_HOME: home, MEDALLION_POSTGRES_SCHEMA: 'bi_before' });
        assert.equal(first.code, 0, first.stderr);
      }
      const switched = { ...base, MEDALLION_POSTGRES_SCHEMA: 'bi_after' };
      const clean = await medallion(['run', '--from', '2026-11-20T11:00Z'], { ...switched, MEDALLION_HOME: homes.clean });
      assert.equal(clean.code, 0, clean.stderr);
      const expected = declaredLineage({ source: 'source.synthetic', schema: 'bi_after' });
      assert.deepEqual(await lineageOf(homes.clean), expected);

      assert.ok((await lineageOf(homes.killed)).some((flow) => flow.target_table.startsWith('postgres.bi_before.')));
      const killed = await medallion(['run', '--from', '2026-11-20T11:00Z'], { ...switched, MEDALLION_HOME: homes.killed, MEDALLION_KILL_AT: 'mid:register_catalog' });
      assert.equal(killed.signal, 'SIGKILL', killed.stderr);
      assert.match(killed.stderr, /SIGKILL at mid:register_catalog/);
      assert.deepEqual(await lineageOf(homes.killed), [], 'emptied, not yet written again');

      const rerun = await medallion(['run', '--from', '2026-11-20T11:00Z'], { ...switched, MEDALLION_HOME: homes.killed });
      assert.equal(rerun.code, 0, rerun.stderr);
      assert.deepEqual(await lineageOf(homes.killed), expected);
      const runsOf = async (home: string) => {
        const result = await medallion(['status', '--json'], { ...base, MEDALLION_HOME: home });
        assert.equal(result.code, 0, result.stderr);
        return (JSON.parse(result.stdout) as { run_id: string; status: string; bronze_rows: number; silver_new_rows: number }[]).map(({ run_id, status, bronze_rows, silver_new_rows }) => ({ run_id, status, bronze_rows, silver_new_rows }));
      };
      assert.deepEqual(await runsOf(homes.killed), await runsOf(homes.clean));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('declarations the lineage cannot be derived from', () => {
  const task = (id: TaskData['id'], reads: TaskData['reads'], writes: TaskData['writes']): TaskData => ({ id, description: id, reads, writes });

  it('are refused when the graph loads: the real graph passes', () => {
    assert.equal(dataFlows(PIPELINE).length, 14);
  });

  it('refuse two tasks declaring the same (source, target) flow, which catalog.data_lineage would collapse', () => {
    assert.throws(
      () => dataFlows([task('transform_silver', ['bronze.stg_events'], ['silver.fact_events']), task('update_dim_users', ['bronze.stg_events'], ['silver.fact_events'])]),
      /transform_silver and update_dim_users both declare the flow bronze\.stg_events -> silver\.fact_events/,
    );
  });

  it('refuse a write made from a dataset the task does not read, and a task reading what it writes', () => {
    assert.throws(() => dataFlows([task('load_aurora', ['gold.agg_events_hourly'], [{ dataset: 'postgres.{schema}.rpt_daily_summary', from: ['gold.rpt_daily_summary'] }])]), /does not declare among its reads/);
    assert.throws(() => dataFlows([task('update_dim_users', ['bronze.stg_events', 'silver.dim_users'], ['silver.dim_users'])]), /both a read and a write/);
  });

  it('leave catalog tables out of the flows, whichever end they are', () => {
    assert.deepEqual(dataFlows([task('verify_pipeline', ['silver.fact_events', 'catalog.source_files'], ['catalog.validation_log', 'gold.agg_events_hourly'])]).map((flow) => `${flow.source} -> ${flow.target}`), [
      'silver.fact_events -> gold.agg_events_hourly',
    ]);
  });
});
