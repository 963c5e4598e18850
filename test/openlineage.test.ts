import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { v4 as uuidv4, version as uuidVersion } from 'uuid';
import { ConfigError, loadConfig, maskSecrets } from '../src/config.js';
import { toBatch } from '../src/layers/batch.js';
import * as bronze from '../src/layers/bronze/repository.js';
import { lakeKeys, readLakePartition } from '../src/layers/delivery/lake.js';
import { flushOpenLineage } from '../src/openlineage/index.js';
import { datasetNaming } from '../src/openlineage/naming.js';
import { windowRun } from '../src/openlineage/run-ids.js';
import { writtenDataset } from '../src/pipeline/datasets.js';
import { PIPELINE } from '../src/pipeline/graph.js';
import type { RunOutcome } from '../src/pipeline/runner.js';
import { medallion } from './cli.js';
import { chRows, openTestPipeline, pgRows, windowAt, type TestPipeline } from './helpers.js';
import { closedPort, parentOf, readEventLines, startReceiver, type DatasetOfEvent, type OpenLineageEvent } from './openlineage-events.js';

const WINDOWS = 3;
const TASK_JOBS = PIPELINE.map((task) => `medallion_etl.${task.id}`);

/** What OpenLineage's naming makes of a declared dataset on the embedded engines, written out here independently of src/openlineage/naming.ts. */
function expectedDataset(dataset: string, home: string): { namespace: string; name: string } {
  if (dataset === '{source}') return { namespace: 'synthetic', name: 'events' };
  if (dataset.startsWith('lake.')) return { namespace: 'file', name: path.join(home, 'lake', dataset.slice('lake.'.length)) };
  if (dataset.startsWith('postgres.')) return { namespace: 'postgres://localhost', name: `postgres.${dataset.slice('postgres.'.length).replace('{schema}', 'medallion_etl')}` };
  return { namespace: 'clickhouse://localhost', name: dataset };
}

const identities = (datasets: readonly DatasetOfEvent[]) => datasets.map((dataset) => `${dataset.namespace} ${dataset.name}`);
const windowOf = (event: OpenLineageEvent) => (event.run.facets.nominalTime as { nominalStartTime: string }).nominalStartTime;
const statisticsOf = (event: OpenLineageEvent, name: string) => event.outputs.find((output) => output.name === name)?.outputFacets?.outputStatistics as { rowCount: number; size?: number; fileCount?: number } | undefined;
/** Items grouped by a key, in order (Map.groupBy is Node 21+). */
function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(keyOf(item), [...(groups.get(keyOf(item)) ?? []), item]);
  return groups;
}

const count = async (pipeline: TestPipeline, sql: string, params: Record<string, unknown>) => Number((await chRows<{ rows: number }>(pipeline, sql, params))[0]?.rows);

describe('OpenLineage events of a three-window run (file transport)', () => {
  let pipeline: TestPipeline;
  let events: OpenLineageEvent[];
  let eventsDir: string;
  const runIds: string[] = [];
  let outcomes: RunOutcome[];

  before(async () => {
    eventsDir = await mkdtemp(path.join(os.tmpdir(), 'medallion-openlineage-'));
    pipeline = await openTestPipeline({
      MEDALLION_EVENTS_PER_HOUR: '400',
      OPENLINEAGE__TRANSPORT__TYPE: 'file',
      OPENLINEAGE__TRANSPORT__LOG_FILE_PATH: path.join(eventsDir, 'events.jsonl'),
      OPENLINEAGE__TRANSPORT__APPEND: 'true',
    });
    outcomes = await pipeline.runRange(windowAt(0), windowAt(WINDOWS));
    assert.deepEqual(outcomes.map((outcome) => outcome.status), ['success', 'success', 'success']);
    runIds.push(...outcomes.map((outcome) => outcome.runId));
    await flushOpenLineage();
    events = readEventLines(path.join(eventsDir, 'events.jsonl'));
  });
  after(async () => {
    await pipeline.close();
    await rm(eventsDir, { recursive: true, force: true });
  });

  it('gives every task attempt one START and one COMPLETE, under its window\'s run of medallion_etl', () => {
    assert.equal(events.length, WINDOWS * (PIPELINE.length * 2 + 2));
    const byRun = groupBy(events, (event) => event.run.runId);
    const windowRuns = runIds.map((runId) => windowRun('medallion', runId));
    for (const [index, run] of windowRuns.entries()) {
      const own = byRun.get(run.runId) ?? [];
      assert.deepEqual(own.map((event) => `${event.job.namespace} ${event.job.name} ${event.eventType}`), ['medallion medallion_etl START', 'medallion medallion_etl COMPLETE']);
      assert.equal(windowOf(own[0]!), windowAt(index).toISOString().replace('.000Z', 'Z'));
      assert.equal(uuidVersion(run.runId), 5);
    }
    const taskRuns = [...byRun.entries()].filter(([runId]) => !windowRuns.some((run) => run.runId === runId));
    assert.equal(taskRuns.length, WINDOWS * PIPELINE.length);
    for (const [runId, attempt] of taskRuns) {
      assert.equal(uuidVersion(runId), 7, 'an attempt\'s run id is a UUIDv7');
      assert.deepEqual(attempt.map((event) => event.eventType), ['START', 'COMPLETE'], attempt[0]!.job.name);
      assert.equal(attempt[0]!.job.name, attempt[1]!.job.name);
      const window = windowAt(Math.round((Date.parse(windowOf(attempt[0]!)) - windowAt(0).getTime()) / 3_600_000));
      const parent = windowRuns[runIds.indexOf(`scheduled__${window.toISOString().replace('.000Z', '+00:00')}`)]!;
      const expectedParent = { runId: parent.runId, namespace: 'medallion', name: 'medallion_etl' };
      assert.deepEqual(parentOf(attempt[0]!), { ...expectedParent, root: expectedParent });
      assert.deepEqual(parentOf(attempt[1]!), parentOf(attempt[0]!));
    }
    // Per window, the 15 tasks' jobs, each once.
    for (const index of runIds.keys()) {
      const jobs = taskRuns.map(([, attempt]) => attempt[0]!).filter((event) => windowOf(event) === windowAt(index).toISOString().replace('.000Z', 'Z')).map((event) => event.job.name);
      assert.deepEqual(jobs.sort(), [...TASK_JOBS].sort());
    }
    for (const event of events) {
      assert.equal(event.producer, 'https://github.com/medallion-etl/medallion/tree/0.1.0');
      assert.equal(event.schemaURL, 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent');
      assert.equal((event.run.facets.processing_engine as { version: string }).version, '0.1.0');
      assert.deepEqual(Object.keys(event.job.facets).sort(), ['documentation', 'jobType']);
    }
  });

  it('names as inputs and outputs exactly the datasets each task declares it reads and writes', () => {
    for (const event of events.filter((candidate) => candidate.job.name !== 'medallion_etl')) {
      const task = PIPELINE.find((candidate) => `medallion_etl.${candidate.id}` === event.job.name)!;
      assert.deepEqual(identities(event.inputs), task.reads.map((read) => expectedDataset(read, pipeline.home)).map((dataset) => `${dataset.namespace} ${dataset.name}`), task.id);
      assert.deepEqual(identities(event.outputs), task.writes.map(writtenDataset).map((write) => expectedDataset(write, pipeline.home)).map((dataset) => `${dataset.namespace} ${dataset.name}`), task.id);
      assert.equal((event.job.facets.documentation as { description: string }).description, task.description);
      const { processingType, integration, jobType } = event.job.facets.jobType as Record<string, string>;
      assert.deepEqual({ processingType, integration, jobType }, { processingType: 'BATCH', integration: 'MEDALLION', jobType: 'TASK' });
    }
  });

  it('counts in outputStatistics the rows the tables hold for the batch', async () => {
    // A task reports statistics only for datasets it declares it writes.
    for (const task of outcomes.flatMap((outcome) => outcome.tasks)) {
      const declared = PIPELINE.find((candidate) => candidate.id === task.id)!.writes.map(writtenDataset);
      assert.ok(Object.keys(task.result?.outputs ?? {}).every((dataset) => (declared as string[]).includes(dataset)), task.id);
    }
    const completes = events.filter((event) => event.eventType === 'COMPLETE');
    const ofTask = (runId: string, task: string) => completes.find((event) => event.job.name === `medallion_etl.${task}` && windowOf(event) === windowAt(runIds.indexOf(runId)).toISOString().replace('.000Z', 'Z'))!;
    for (const runId of runIds) {
      const batch = { batch_id: runId };
      const bronzeRows = await count(pipeline, 'SELECT count() AS rows FROM bronze.stg_events WHERE _batch_id = {batch_id:String}', batch);
      assert.ok(bronzeRows > 400);
      assert.equal(statisticsOf(ofTask(runId, 'load_bronze'), 'bronze.stg_events')?.rowCount, bronzeRows);
      assert.equal(statisticsOf(ofTask(runId, 'quarantine_invalid_rows'), 'silver.quarantine_events')?.rowCount, await count(pipeline, 'SELECT count() AS rows FROM silver.quarantine_events WHERE _batch_id = {batch_id:String}', batch));
      assert.equal(statisticsOf(ofTask(runId, 'transform_silver'), 'silver.fact_events')?.rowCount, await count(pipeline, 'SELECT count() AS rows FROM silver.fact_events WHERE _batch_id = {batch_id:String}', batch));
      assert.equal(statisticsOf(ofTask(runId, 'verify_pipeline'), 'catalog.validation_log')?.rowCount, await count(pipeline, "SELECT count() AS rows FROM catalog.validation_log WHERE run_id = {batch_id:String} AND check_name IN ('accounting', 'silver_once', 'gold_vs_silver')", batch));
      assert.equal(statisticsOf(ofTask(runId, 'validate_delivery'), 'catalog.validation_log')?.rowCount, await count(pipeline, "SELECT count() AS rows FROM catalog.validation_log WHERE run_id = {batch_id:String} AND check_name IN ('clickhouse_vs_postgres', 'clickhouse_vs_lake', 'lake_partition_files')", batch));
      assert.equal(statisticsOf(ofTask(runId, 'start_pipeline_run'), 'catalog.pipeline_runs')?.rowCount, 1);
      const history = { hourly: await count(pipeline, 'SELECT count() AS rows FROM gold.agg_events_hourly_history WHERE _snapshot_batch = {batch_id:String}', batch), daily: await count(pipeline, 'SELECT count() AS rows FROM gold.rpt_daily_summary_history WHERE _snapshot_batch = {batch_id:String}', batch) };
      assert.equal(statisticsOf(ofTask(runId, 'snapshot_gold_history'), 'gold.agg_events_hourly_history')?.rowCount, history.hourly);
      assert.equal(statisticsOf(ofTask(runId, 'snapshot_gold_history'), 'gold.rpt_daily_summary_history')?.rowCount, history.daily);
      // The first window finds gold empty: nothing to snapshot; the later ones copy what they are about to replace.
      if (runId !== runIds[0]) assert.ok(history.hourly > 0 && history.daily > 0, runId);
      assert.equal(statisticsOf(ofTask(runId, 'register_catalog'), 'catalog.data_lineage')?.rowCount, await count(pipeline, 'SELECT count() AS rows FROM catalog.data_lineage FINAL', {}));
    }
    // Gold and its deliveries of the last window: what it touched holds what its tasks wrote (no later window changed them).
    const last = runIds.at(-1)!;
    const touched = await bronze.touchedWindows(await pipeline.engines.clickhouse(), toBatch(last, windowAt(WINDOWS - 1)));
    const hourly = await count(pipeline, "SELECT count() AS rows FROM gold.agg_events_hourly FINAL WHERE (event_date, event_hour) IN (SELECT toDate(hour), toHour(hour) FROM (SELECT arrayJoin({hours:Array(DateTime('UTC'))}) AS hour))", { hours: touched.hours });
    const daily = await count(pipeline, 'SELECT count() AS rows FROM gold.rpt_daily_summary FINAL WHERE event_date IN {dates:Array(Date)}', { dates: touched.dates });
    assert.ok(hourly > 0 && daily > 0);
    assert.equal(statisticsOf(ofTask(last, 'aggregate_gold_hourly'), 'gold.agg_events_hourly')?.rowCount, hourly);
    assert.equal(statisticsOf(ofTask(last, 'aggregate_gold_daily'), 'gold.rpt_daily_summary')?.rowCount, daily);
    const pgHourly = Number((await pgRows<{ rows: string }>(pipeline, "SELECT count(*) AS rows FROM medallion_etl.agg_events_hourly WHERE event_date + event_hour * interval '1 hour' = ANY($1::timestamp[])", [touched.hours]))[0]?.rows);
    const pgDaily = Number((await pgRows<{ rows: string }>(pipeline, 'SELECT count(*) AS rows FROM medallion_etl.rpt_daily_summary WHERE event_date = ANY($1::date[])', [touched.dates]))[0]?.rows);
    assert.equal(statisticsOf(ofTask(last, 'load_aurora'), 'postgres.medallion_etl.agg_events_hourly')?.rowCount, pgHourly);
    assert.equal(statisticsOf(ofTask(last, 'load_aurora'), 'postgres.medallion_etl.rpt_daily_summary')?.rowCount, pgDaily);
    assert.equal(pgHourly, hourly);
    // The lake: the touched partitions' files, their bytes on disk and the rows an independent Parquet reader finds in them.
    const lake = await pipeline.engines.lake();
    for (const [table, keys] of [['agg_events_hourly', touched.hours.map(lakeKeys.hourly)], ['rpt_daily_summary', touched.dates.map(lakeKeys.daily)]] as const) {
      let rows = 0;
      let bytes = 0;
      for (const key of keys) {
        rows += (await readLakePartition(lake, key))!.length;
        bytes += (await stat(path.join(pipeline.home, 'lake', key))).size;
      }
      const written = statisticsOf(ofTask(last, 'export_gold_to_s3'), path.join(pipeline.home, 'lake', table));
      assert.deepEqual({ rowCount: written?.rowCount, size: written?.size, fileCount: written?.fileCount }, { rowCount: rows, size: bytes, fileCount: keys.length });
      assert.ok(rows > 0);
    }
    // START and FAIL events carry no statistics: nothing is known to be written yet.
    for (const event of events.filter((candidate) => candidate.eventType === 'START')) assert.ok(event.outputs.every((output) => output.outputFacets === undefined), event.job.name);
  });

  it('carries the checks of catalog.validation_log as dataQualityAssertions on the inputs they check', async () => {
    for (const runId of runIds) {
      const window = windowAt(runIds.indexOf(runId)).toISOString().replace('.000Z', 'Z');
      const checking = events.filter((event) => event.eventType === 'COMPLETE' && windowOf(event) === window && ['medallion_etl.verify_pipeline', 'medallion_etl.validate_delivery'].includes(event.job.name));
      assert.equal(checking.length, 2);
      const asserted = checking.flatMap((event) =>
        event.inputs.flatMap((input) => ((input.inputFacets?.dataQualityAssertions as { assertions: { assertion: string; success: boolean; column?: string; expected: string; actual: string }[] } | undefined)?.assertions ?? []).map((assertion) => ({ ...assertion, input: input.name }))),
      );
      const logged = await chRows<{ check_name: string; metric: string; expected: number; actual: number; passed: number }>(pipeline, 'SELECT check_name, metric, expected, actual, passed FROM catalog.validation_log WHERE run_id = {run_id:String}', { run_id: runId });
      assert.ok(logged.length > 10);
      const key = (check: string, success: boolean, expected: string, actual: string) => `${check} ${success} ${expected} ${actual}`;
      assert.deepEqual(asserted.map((assertion) => key(assertion.assertion, assertion.success, assertion.expected, assertion.actual)).sort(), logged.map((row) => key(row.check_name, row.passed === 1, String(row.expected), String(row.actual))).sort());
      assert.ok(asserted.every((assertion) => assertion.success));
      // A metric that is a column of the checked table is the assertion's column; each check sits on the dataset it checks.
      const metrics = new Set(logged.map((row) => row.metric));
      assert.ok(asserted.some((assertion) => assertion.column === 'event_count'));
      assert.ok(asserted.every((assertion) => assertion.column === undefined || metrics.has(assertion.column)));
      const placed = (check: string) => new Set(asserted.filter((assertion) => assertion.assertion === check).map((assertion) => assertion.input));
      assert.deepEqual(placed('accounting'), new Set(['bronze.stg_events']));
      assert.deepEqual(placed('gold_vs_silver'), new Set(['gold.agg_events_hourly']));
      assert.deepEqual(placed('clickhouse_vs_postgres'), new Set(['postgres.medallion_etl.agg_events_hourly', 'postgres.medallion_etl.rpt_daily_summary']));
      assert.deepEqual(placed('clickhouse_vs_lake'), new Set([path.join(pipeline.home, 'lake', 'agg_events_hourly'), path.join(pipeline.home, 'lake', 'rpt_daily_summary')]));
    }
  });

  it('describes every registered table with the columns of catalog.column_registry', async () => {
    const registry = await chRows<{ target: string; database: string; table_name: string; column_name: string; position: number; data_type: string; description: string }>(
      pipeline,
      'SELECT target, database, table_name, column_name, position, data_type, description FROM catalog.column_registry FINAL ORDER BY target, database, table_name, position',
    );
    const columnsOf = (dataset: DatasetOfEvent) => {
      const [target, database, table] = dataset.namespace === 'postgres://localhost' ? ['postgres', ...dataset.name.split('.').slice(1)] : ['clickhouse', ...dataset.name.split('.')];
      return registry.filter((row) => row.target === target && row.database === database && row.table_name === table);
    };
    let described = 0;
    // From window 2 on the registry is read before every event; in window 1, register_catalog's START comes before it is filled.
    for (const event of events.filter((candidate) => windowOf(candidate) !== windowAt(0).toISOString().replace('.000Z', 'Z'))) {
      for (const dataset of [...event.inputs, ...event.outputs].filter((candidate) => candidate.namespace.endsWith('://localhost'))) {
        const columns = columnsOf(dataset);
        assert.ok(columns.length > 0, `${dataset.name} is registered`);
        assert.deepEqual((dataset.facets?.schema as { fields: unknown[] } | undefined)?.fields, columns.map((column) => ({ name: column.column_name, type: column.data_type, ...(column.description ? { description: column.description } : {}), ordinal_position: column.position })), `${event.job.name} ${dataset.name}`);
        described += 1;
      }
      for (const dataset of [...event.inputs, ...event.outputs].filter((candidate) => !candidate.namespace.endsWith('://localhost'))) assert.equal(dataset.facets?.schema, undefined, 'the lake and the source are not registered');
    }
    assert.ok(described > 100);
  });
});

describe('OpenLineage events of failed attempts', () => {
  let pipeline: TestPipeline;
  let eventsDir: string;

  before(async () => {
    eventsDir = await mkdtemp(path.join(os.tmpdir(), 'medallion-openlineage-'));
    pipeline = await openTestPipeline({
      MEDALLION_EVENTS_PER_HOUR: '200',
      MEDALLION_FAIL_TASK: 'transform_silver',
      MEDALLION_TASK_RETRIES: '2',
      OPENLINEAGE__TRANSPORT__TYPE: 'file',
      OPENLINEAGE__TRANSPORT__LOG_FILE_PATH: path.join(eventsDir, 'events.jsonl'),
      OPENLINEAGE__TRANSPORT__APPEND: 'true',
      OPENLINEAGE_NAMESPACE: 'etl-staging',
    });
  });
  after(async () => {
    await pipeline.close();
    await rm(eventsDir, { recursive: true, force: true });
  });

  it('gives each attempt a START and a FAIL carrying the error, and fails the window\'s run', async () => {
    const outcome = await pipeline.run(windowAt(0));
    assert.equal(outcome.status, 'failed');
    await flushOpenLineage();
    const events = readEventLines(path.join(eventsDir, 'events.jsonl'));
    const failing = groupBy(events.filter((event) => event.job.name === 'medallion_etl.transform_silver'), (event) => event.run.runId);
    assert.equal(failing.size, 3, 'three attempts, each a run of its own');
    for (const attempt of failing.values()) {
      assert.deepEqual(attempt.map((event) => event.eventType), ['START', 'FAIL']);
      assert.deepEqual(attempt[1]!.run.facets.errorMessage, {
        _producer: 'https://github.com/medallion-etl/medallion/tree/0.1.0',
        _schemaURL: 'https://openlineage.io/spec/facets/1-0-1/ErrorMessageRunFacet.json#/$defs/ErrorMessageRunFacet',
        message: 'fault injected by MEDALLION_FAIL_TASK=transform_silver',
        programmingLanguage: 'TypeScript',
      });
      assert.equal(attempt[0]!.job.namespace, 'etl-staging');
    }
    // The tasks after it never ran: no events of theirs; the window's run ends in FAIL naming the task.
    assert.ok(!events.some((event) => event.job.name === 'medallion_etl.update_dim_users'));
    const windowEvents = events.filter((event) => event.job.name === 'medallion_etl');
    assert.deepEqual(windowEvents.map((event) => event.eventType), ['START', 'FAIL']);
    assert.equal((windowEvents[1]!.run.facets.errorMessage as { message: string }).message, 'transform_silver: fault injected by MEDALLION_FAIL_TASK=transform_silver');
    assert.equal(windowEvents[0]!.run.runId, windowRun('etl-staging', outcome.runId).runId);
    // Every attempt is in catalog.benchmark_log as failed, as the events say.
    assert.equal(await count(pipeline, "SELECT count() AS rows FROM catalog.benchmark_log WHERE run_id = {run_id:String} AND task_name = 'transform_silver' AND status = 'failed'", { run_id: outcome.runId }), 3);
  });
});

describe('OpenLineage over HTTP, and the parent an orchestrator names (medallion CLI)', () => {
  let home: string;
  const apiKey = `olk-${randomBytes(12).toString('hex')}`;

  before(async () => {
    home = await mkdtemp(path.join(os.tmpdir(), 'medallion-openlineage-cli-'));
  });
  after(() => rm(home, { recursive: true, force: true }));

  it('delivers every event of a three-window run to a Marquez-compatible endpoint with the API key as a Bearer token', async () => {
    const receiver = await startReceiver();
    try {
      const result = await medallion(['run', '--from', '2026-11-20T10:00Z', '--to', '2026-11-20T13:00Z', '--events-per-hour', '200', '--json'], {
        MEDALLION_HOME: path.join(home, 'http'), MEDALLION_TASK_RETRIES: '0', OPENLINEAGE_URL: receiver.url, OPENLINEAGE_API_KEY: apiKey,
      });
      assert.equal(result.code, 0, result.stderr);
      // Each window: a START and a COMPLETE for every task attempt and for the window's run.
      assert.equal(receiver.requests.length, 3 * (PIPELINE.length * 2 + 2));
      for (const request of receiver.requests) {
        assert.equal(request.method, 'POST');
        assert.equal(request.path, '/api/v1/lineage');
        assert.equal(request.headers.authorization, `Bearer ${apiKey}`);
        assert.match(String(request.headers['content-type']), /^application\/json/);
        assert.ok(!request.body.includes(apiKey), 'the API key is in no event');
      }
      const events = receiver.requests.map((request) => JSON.parse(request.body) as OpenLineageEvent);
      // In order: each run's START arrives before its COMPLETE; each window's run opens and closes its part of the stream.
      const windowRuns = events.filter((event) => event.job.name === 'medallion_etl');
      assert.equal(windowRuns.length, 6);
      for (const start of [0, 1, 2].map((window) => window * (PIPELINE.length * 2 + 2))) {
        assert.deepEqual([events[start]!.job.name, events[start]!.eventType], ['medallion_etl', 'START']);
        assert.deepEqual([events[start + PIPELINE.length * 2 + 1]!.job.name, events[start + PIPELINE.length * 2 + 1]!.eventType], ['medallion_etl', 'COMPLETE']);
      }
      const runs = groupBy(events, (event) => event.run.runId);
      assert.equal(runs.size, 3 * (PIPELINE.length + 1), 'a run per task attempt and per window');
      for (const [runId, own] of runs) assert.deepEqual(own.map((event) => event.eventType), ['START', 'COMPLETE'], runId);
      assert.ok(!result.stdout.includes(apiKey) && !result.stderr.includes(apiKey));
      assert.ok(!result.stderr.includes('OpenLineage'), result.stderr);
      const outcomes = JSON.parse(result.stdout) as { status: string }[];
      assert.deepEqual(outcomes.map((outcome) => outcome.status), ['success', 'success', 'success']);
    } finally {
      await receiver.close();
    }
  });

  it('goes on when the endpoint is down, saying once that it could not deliver', async () => {
    const port = await closedPort();
    const result = await medallion(['run', '--from', '2026-11-20T10:00Z', '--events-per-hour', '200'], {
      MEDALLION_HOME: path.join(home, 'down'), MEDALLION_TASK_RETRIES: '0',
      OPENLINEAGE_URL: `http://127.0.0.1:${port}`, OPENLINEAGE_API_KEY: apiKey,
      OPENLINEAGE__TRANSPORT__RETRY__TOTAL: '1', OPENLINEAGE__TRANSPORT__RETRY__BACKOFF_FACTOR: '0.05',
    });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /scheduled__2026-11-20T10:00:00\+00:00: success/);
    const warnings = result.stderr.split('\n').filter((line) => line.includes('could not deliver'));
    assert.equal(warnings.length, 1, result.stderr);
    assert.match(warnings[0]!, new RegExp(`OpenLineage: could not deliver the events of run scheduled__2026-11-20T10:00:00\\+00:00 to http://127\\.0\\.0\\.1:${port}/api/v1/lineage \\(connect ECONNREFUSED 127\\.0\\.0\\.1:${port}, after 2 attempts\\)\\. The run goes on; its remaining events are not sent\\.$`));
    assert.ok(!result.stdout.includes(apiKey) && !result.stderr.includes(apiKey));
    const runs = await medallion(['status', '--json'], { MEDALLION_HOME: path.join(home, 'down') });
    assert.equal((JSON.parse(runs.stdout) as { status: string }[])[0]?.status, 'success');
  });

  it('names the orchestrator\'s task instance as parent and its DAG run as root (OPENLINEAGE_PARENT_ID, OPENLINEAGE_ROOT_PARENT_ID), one file per event', async () => {
    const parentRun = uuidv4();
    const rootRun = uuidv4();
    const prefix = path.join(home, 'events', 'ol');
    await mkdir(path.dirname(prefix), { recursive: true });
    const result = await medallion(['task', 'ensure_all_tables', '--start', '2026-11-20T10:00Z', '--run-id', 'manual__2026-11-20T10:05:00+00:00'], {
      MEDALLION_HOME: path.join(home, 'parent'),
      OPENLINEAGE__TRANSPORT__TYPE: 'file', OPENLINEAGE__TRANSPORT__LOG_FILE_PATH: prefix,
      OPENLINEAGE_NAMESPACE: 'airflow-prod',
      OPENLINEAGE_PARENT_ID: `airflow-prod/medallion_etl.ensure_all_tables/${parentRun}`,
      OPENLINEAGE_ROOT_PARENT_ID: `airflow-prod/medallion_etl/${rootRun}`,
    });
    assert.equal(result.code, 0, result.stderr);
    const files = (await readdir(path.dirname(prefix))).sort();
    assert.equal(files.length, 2);
    assert.ok(files.every((file) => /^ol-\d{8}-\d{6}\.\d{6}\.json$/.test(file)), files.join());
    const events = files.flatMap((file) => readEventLines(path.join(path.dirname(prefix), file)));
    assert.deepEqual(events.map((event) => `${event.job.namespace} ${event.job.name} ${event.eventType}`), ['airflow-prod medallion_etl.ensure_all_tables START', 'airflow-prod medallion_etl.ensure_all_tables COMPLETE']);
    for (const event of events) {
      assert.deepEqual(parentOf(event), {
        runId: parentRun, namespace: 'airflow-prod', name: 'medallion_etl.ensure_all_tables',
        root: { runId: rootRun, namespace: 'airflow-prod', name: 'medallion_etl' },
      });
      const { nominalStartTime, nominalEndTime } = event.run.facets.nominalTime as Record<string, string>;
      assert.deepEqual({ nominalStartTime, nominalEndTime }, { nominalStartTime: '2026-11-20T10:00:00Z', nominalEndTime: '2026-11-20T11:00:00Z' });
    }
  });
});

describe('OpenLineage on the console', () => {
  it('writes one JSON line per event on stderr, leaving stdout to --json', async () => {
    const home = await mkdtemp(path.join(os.tmpdir(), 'medallion-openlineage-console-'));
    try {
      const result = await medallion(['task', 'ensure_all_tables', '--start', '2026-11-20T10:00Z', '--json'], { MEDALLION_HOME: home, OPENLINEAGE__TRANSPORT__TYPE: 'console' });
      assert.equal(result.code, 0, result.stderr);
      assert.equal((JSON.parse(result.stdout) as { task: string }).task, 'ensure_all_tables');
      const events = result.stderr.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as OpenLineageEvent);
      assert.deepEqual(events.map((event) => `${event.job.name} ${event.eventType}`), ['medallion_etl.ensure_all_tables START', 'medallion_etl.ensure_all_tables COMPLETE']);
      assert.equal(events[0]!.run.runId, events[1]!.run.runId);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});

describe('OpenLineage configuration and naming', () => {
  const home = { MEDALLION_HOME: path.join(os.tmpdir(), 'medallion-openlineage-config') };
  const refused = (env: Record<string, string>, variable: string) =>
    assert.throws(() => loadConfig({ ...home, ...env }), (error: unknown) => error instanceof ConfigError && error.variable === variable, `${JSON.stringify(env)} names ${variable}`);

  it('is off unless a transport is configured, and OPENLINEAGE_DISABLED=true wins over any', () => {
    assert.equal(loadConfig(home).openlineage, undefined);
    assert.equal(loadConfig({ ...home, OPENLINEAGE_NAMESPACE: 'x', OPENLINEAGE_API_KEY: 'k' }).openlineage, undefined);
    assert.equal(loadConfig({ ...home, OPENLINEAGE_URL: 'http://marquez:5000', OPENLINEAGE_DISABLED: 'TRUE' }).openlineage, undefined);
    assert.equal(loadConfig({ ...home, OPENLINEAGE__TRANSPORT__TYPE: 'noop', OPENLINEAGE_URL: 'http://marquez:5000' }).openlineage, undefined);
  });

  it('reads the official clients\' variables', () => {
    assert.deepEqual(loadConfig({ ...home, OPENLINEAGE_URL: 'http://marquez:5000', OPENLINEAGE_API_KEY: 'key-1' }).openlineage, {
      namespace: 'medallion',
      transport: { type: 'http', url: 'http://marquez:5000', endpoint: 'api/v1/lineage', timeoutMs: 5000, apiKey: 'key-1', retries: 5, backoffSeconds: 0.3 },
    });
    assert.deepEqual(loadConfig({
      ...home, OPENLINEAGE__TRANSPORT__TYPE: 'http', OPENLINEAGE__TRANSPORT__URL: 'https://lineage.example', OPENLINEAGE__TRANSPORT__ENDPOINT: 'events/receive',
      OPENLINEAGE__TRANSPORT__TIMEOUT: '2.5', OPENLINEAGE__TRANSPORT__AUTH__TYPE: 'api_key', OPENLINEAGE__TRANSPORT__AUTH__API_KEY: 'key-2', OPENLINEAGE_NAMESPACE: 'etl',
    }).openlineage?.transport, { type: 'http', url: 'https://lineage.example', endpoint: 'events/receive', timeoutMs: 2500, apiKey: 'key-2', retries: 5, backoffSeconds: 0.3 });
    assert.deepEqual(loadConfig({ ...home, OPENLINEAGE__TRANSPORT__TYPE: 'file', OPENLINEAGE__TRANSPORT__LOG_FILE_PATH: 'ol/events.jsonl', OPENLINEAGE__TRANSPORT__APPEND: 'true' }).openlineage?.transport, { type: 'file', path: path.resolve('ol/events.jsonl'), append: true });
    assert.deepEqual(loadConfig({ ...home, OPENLINEAGE__TRANSPORT__TYPE: 'console' }).openlineage?.transport, { type: 'console' });
  });

  it('knows the API key as a secret: masked in whatever the program prints or stores', () => {
    const key = `key-${randomBytes(8).toString('hex')}`;
    loadConfig({ ...home, OPENLINEAGE_URL: 'http://marquez:5000', OPENLINEAGE_API_KEY: key });
    assert.equal(maskSecrets(`failed with Authorization: Bearer ${key}`), 'failed with Authorization: Bearer ***');
    const other = `other-${randomBytes(8).toString('hex')}`;
    loadConfig({ ...home, OPENLINEAGE__TRANSPORT__TYPE: 'http', OPENLINEAGE__TRANSPORT__URL: 'http://marquez:5000', OPENLINEAGE__TRANSPORT__AUTH__API_KEY: other });
    assert.equal(maskSecrets(`{"apiKey":"${other}"}`), '{"apiKey":"***"}');
  });

  it('refuses an invalid variable by name, never echoing an API key', () => {
    refused({ OPENLINEAGE__TRANSPORT__TYPE: 'kafka' }, 'OPENLINEAGE__TRANSPORT__TYPE');
    refused({ OPENLINEAGE__TRANSPORT__TYPE: 'file' }, 'OPENLINEAGE__TRANSPORT__LOG_FILE_PATH');
    refused({ OPENLINEAGE__TRANSPORT__TYPE: 'http' }, 'OPENLINEAGE__TRANSPORT__URL');
    refused({ OPENLINEAGE_URL: 'marquez:5000' }, 'OPENLINEAGE_URL');
    refused({ OPENLINEAGE_URL: 'http://marquez:5000', OPENLINEAGE__TRANSPORT__TIMEOUT: 'soon' }, 'OPENLINEAGE__TRANSPORT__TIMEOUT');
    refused({ OPENLINEAGE_URL: 'http://marquez:5000', OPENLINEAGE__TRANSPORT__AUTH__TYPE: 'jwt' }, 'OPENLINEAGE__TRANSPORT__AUTH__TYPE');
    refused({ OPENLINEAGE_DISABLED: 'yes' }, 'OPENLINEAGE_DISABLED');
    refused({ OPENLINEAGE_URL: 'http://marquez:5000', OPENLINEAGE_PARENT_ID: 'airflow/medallion_etl.load_bronze' }, 'OPENLINEAGE_PARENT_ID');
    refused({ OPENLINEAGE_URL: 'http://marquez:5000', OPENLINEAGE_ROOT_PARENT_ID: 'airflow/medallion_etl/not-a-uuid' }, 'OPENLINEAGE_ROOT_PARENT_ID');
    assert.throws(
      () => loadConfig({ ...home, OPENLINEAGE_URL: 'http://etl:pw-in-url@marquez:5000', OPENLINEAGE_API_KEY: 'key-in-env', OPENLINEAGE__TRANSPORT__TIMEOUT: 'key-in-env' }),
      (error: unknown) => error instanceof ConfigError && error.variable === 'OPENLINEAGE__TRANSPORT__TIMEOUT' && !error.message.includes('key-in-env') && error.message.includes('***'),
    );
    assert.throws(() => loadConfig({ ...home, OPENLINEAGE_URL: 'http://etl:pw-in-url@marquez:5000/?' + 'x#' }), (error: unknown) => error instanceof ConfigError && !error.message.includes('pw-in-url'));
  });

  it('names a server\'s datasets by host and port only, and the S3 lake by bucket and prefix', () => {
    const config = loadConfig({
      ...home,
      MEDALLION_CLICKHOUSE_URL: 'https://etl:Ch%40ng3d@ch.example:8443',
      MEDALLION_POSTGRES_URL: 'postgres://loader:pg-s3cret@db.example/bi?sslmode=disable',
      MEDALLION_LAKE_URL: 's3://data-lake/medallion/gold',
      MEDALLION_POSTGRES_SCHEMA: 'reporting',
    });
    const name = datasetNaming(config);
    assert.deepEqual(name('silver.fact_events'), { namespace: 'clickhouse://ch.example:8443', name: 'silver.fact_events', registered: { target: 'clickhouse', database: 'silver', table: 'fact_events' } });
    assert.deepEqual(name('postgres.{schema}.agg_events_hourly'), { namespace: 'postgres://db.example:5432', name: 'bi.reporting.agg_events_hourly', registered: { target: 'postgres', database: 'reporting', table: 'agg_events_hourly' } });
    assert.deepEqual(name('lake.rpt_daily_summary'), { namespace: 's3://data-lake', name: 'medallion/gold/rpt_daily_summary' });
    assert.deepEqual(name('{source}'), { namespace: 'synthetic', name: 'events' });
    assert.equal(datasetNaming(loadConfig({ ...home, MEDALLION_CLICKHOUSE_URL: 'http://ch.internal' }))('bronze.stg_events').namespace, 'clickhouse://ch.internal:8123');
  });

  it('names a files source by its landing directory or S3 prefix', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'medallion-openlineage-source-'));
    try {
      const mapping = (landing: string) => `name: clicks\nlanding: ${landing}\ncolumns: [event_id, user_name, category, source, value, event_time]\n`;
      await writeFile(path.join(dir, 'local.yaml'), mapping('./landing'));
      await writeFile(path.join(dir, 's3.yaml'), mapping('s3://raw-events/clicks/2026'));
      assert.deepEqual(datasetNaming(loadConfig({ ...home, MEDALLION_SOURCE: path.join(dir, 'local.yaml') }))('{source}'), { namespace: 'file', name: path.join(dir, 'landing') });
      assert.deepEqual(datasetNaming(loadConfig({ ...home, MEDALLION_SOURCE: path.join(dir, 's3.yaml') }))('{source}'), { namespace: 's3://raw-events', name: 'clicks/2026' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
