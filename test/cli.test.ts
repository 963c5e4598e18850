import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../src/config.js';
import { openEngines } from '../src/engines/index.js';
import { writtenDataset } from '../src/pipeline/datasets.js';
import { PIPELINE } from '../src/pipeline/graph.js';
import { medallion } from './cli.js';

describe('the medallion command line', () => {
  let home: string;
  let env: Record<string, string>;

  before(async () => {
    home = await mkdtemp(path.join(os.tmpdir(), 'medallion-cli-'));
    env = { MEDALLION_HOME: home, MEDALLION_EVENTS_PER_HOUR: '2000' };
  });
  after(() => rm(home, { recursive: true, force: true }));

  it('prints the task graph declared once, with the seed\'s 15 tasks and edges', async () => {
    const result = await medallion(['dag', '--json']);
    assert.equal(result.code, 0);
    const { tasks } = JSON.parse(result.stdout) as { tasks: { id: string; upstream: string[] }[] };
    assert.equal(tasks.length, 15);
    assert.deepEqual(tasks.map((task) => [task.id, task.upstream]), PIPELINE.map((task) => [task.id, [...task.upstream]]));
    assert.deepEqual(tasks.find((task) => task.id === 'verify_pipeline')?.upstream, ['aggregate_gold_hourly', 'aggregate_gold_daily']);
    const edges = tasks.flatMap((task) => task.upstream.map((upstream) => `${upstream}>${task.id}`));
    assert.equal(edges.length, 15);
  });

  it('prints each task\'s declared reads and writes beside the graph, the source and schema unresolved', async () => {
    const result = await medallion(['dag', '--json']);
    const { tasks } = JSON.parse(result.stdout) as { tasks: { id: string; reads: string[]; writes: string[] }[] };
    const byId = new Map(tasks.map((task) => [task.id, task]));
    assert.deepEqual(byId.get('load_bronze'), { ...byId.get('load_bronze'), reads: ['{source}'], writes: ['bronze.stg_events', 'catalog.source_files'] });
    assert.deepEqual(byId.get('transform_silver')?.reads, ['bronze.stg_events']);
    assert.deepEqual(byId.get('transform_silver')?.writes, ['silver.event_ids', 'silver.fact_events']);
    assert.deepEqual(byId.get('load_aurora')?.writes, ['postgres.{schema}.agg_events_hourly', 'postgres.{schema}.rpt_daily_summary']);
    assert.deepEqual(tasks.map((task) => [task.id, task.reads, task.writes]), PIPELINE.map((task) => [task.id, [...task.reads], task.writes.map(writtenDataset)]));
  });

  it('runs a window, reports it in status, and answers ad hoc queries on both engines', async () => {
    const run = await medallion(['run', '--from', '2026-11-20T10:00Z', '--json'], env);
    assert.equal(run.code, 0, run.stderr);
    const [outcome] = JSON.parse(run.stdout) as { runId: string; status: string; tasks: { id: string; status: string }[] }[];
    assert.equal(outcome!.status, 'success');
    assert.match(run.stderr, /✓ load_bronze/, 'progress goes to stderr');

    const status = await medallion(['status', '--json'], env);
    assert.equal(status.code, 0, status.stderr);
    const [row] = JSON.parse(status.stdout) as { run_id: string; status: string; bronze_rows: number; quarantined_rows: number }[];
    assert.deepEqual({ run_id: row!.run_id, status: row!.status, bronze_rows: row!.bronze_rows }, { run_id: 'scheduled__2026-11-20T10:00:00+00:00', status: 'success', bronze_rows: 2050 });

    const clickhouse = await medallion(['query', '--format', 'json', 'SELECT sum(event_count) AS events FROM gold.agg_events_hourly FINAL'], env);
    const postgres = await medallion(['query', '--target', 'postgres', '--format', 'json', 'SELECT sum(event_count)::int AS events FROM medallion_etl.agg_events_hourly'], env);
    assert.equal(clickhouse.code, 0, clickhouse.stderr);
    const events = (JSON.parse(clickhouse.stdout) as { events: number }[])[0]!.events;
    assert.ok(events > 1500);
    assert.deepEqual(JSON.parse(postgres.stdout), [{ events }]);
  });

  it('runs a single task the way Airflow calls it, and fails with a non-zero exit and the error on stderr', async () => {
    const ok = await medallion(['task', 'verify_pipeline', '--start', '2026-11-20T10:00:00Z', '--end', '2026-11-20T11:00:00Z', '--run-id', 'scheduled__2026-11-20T10:00:00+00:00', '--json'], env);
    assert.equal(ok.code, 0, ok.stderr);
    const result = JSON.parse(ok.stdout.trim().split('\n').at(-1)!) as { task: string; metrics: Record<string, number>; summary: string };
    assert.equal(result.task, 'verify_pipeline');
    assert.match(result.summary, /^bronze 2050 = quarantined \d+ \+ silver_new \d+/);

    const failing = await medallion(['task', 'load_bronze', '--start', '2026-11-20T11:00Z'], { ...env, MEDALLION_FAIL_TASK: 'load_bronze' });
    assert.equal(failing.code, 1);
    assert.match(failing.stderr, /fault injected by MEDALLION_FAIL_TASK=load_bronze/);

    const marked = await medallion(['fail-run', '--start', '2026-11-20T11:00Z', '--task', 'load_bronze'], env);
    assert.equal(marked.code, 0, marked.stderr);
    const status = await medallion(['status', '--json', '--run-id', 'scheduled__2026-11-20T11:00:00+00:00'], env);
    const [failedRun] = JSON.parse(status.stdout) as { status: string; failed_task: string; error: string }[];
    assert.deepEqual(failedRun, { ...failedRun, status: 'failed', failed_task: 'load_bronze', error: 'fault injected by MEDALLION_FAIL_TASK=load_bronze' }, 'fail-run takes the error the failed attempt recorded');

    // A run that succeeded is never turned into a failure on request.
    const refused = await medallion(['fail-run', '--start', '2026-11-20T10:00Z', '--task', 'load_bronze'], env);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /Run scheduled__2026-11-20T10:00:00\+00:00 succeeded; refusing to mark it failed/);
    const stillSucceeded = await medallion(['status', '--json', '--run-id', 'scheduled__2026-11-20T10:00:00+00:00'], env);
    assert.equal((JSON.parse(stillSucceeded.stdout) as { status: string }[])[0]!.status, 'success');

    const unknown = await medallion(['task', 'no_such_task', '--start', '2026-11-20T11:00Z'], env);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /Unknown task "no_such_task"/);
  });

  it('waits a bounded time for embedded engines held by another process, then says who holds them', async () => {
    const engines = await openEngines(loadConfig(env));
    try {
      const result = await medallion(['status'], { ...env, MEDALLION_LOCK_TIMEOUT_MS: '500' });
      assert.equal(result.code, 1);
      assert.match(result.stderr, new RegExp(`MEDALLION_HOME ${home} is held by pid ${process.pid} on `));
      assert.match(result.stderr, /MEDALLION_LOCK_TIMEOUT_MS/);
    } finally {
      await engines.close();
    }
  });

  it('explains itself with --help and rejects bad arguments', async () => {
    const help = await medallion(['--help']);
    assert.equal(help.code, 0);
    for (const command of ['start', 'run', 'task', 'status', 'query', 'dag']) assert.match(help.stdout, new RegExp(`\\n  ${command}\\b`));
    const bad = await medallion(['run', '--from', 'yesterday'], env);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /"yesterday" is not an ISO-8601 time/);
  });
});
