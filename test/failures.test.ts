import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chRows, openTestPipeline, pgRows, windowAt } from './helpers.js';

describe('failures fail the run', () => {
  it('delivery validation fails the run, naming the window and the metric, when a PostgreSQL row is altered before it runs', async () => {
    const pipeline = await openTestPipeline();
    try {
      assert.equal((await pipeline.run(windowAt(0))).status, 'success');
      const outcome = await pipeline.run(windowAt(1), {
        // Between load_aurora and validate_delivery, someone edits the replica.
        onEvent: async (event) => {
          if (event.type === 'task-end' && event.task === 'load_aurora') {
            await (await pipeline.engines.postgres()).query(
              "UPDATE medallion_etl.agg_events_hourly SET event_count = event_count + 5 WHERE event_date = '2026-11-20' AND event_hour = 11 AND category = 'purchase' AND source = 'web'",
            );
          }
        },
      });
      assert.equal(outcome.status, 'failed');
      assert.equal(outcome.failedTask, 'validate_delivery');
      assert.match(outcome.error!, /clickhouse_vs_postgres hour 2026-11-20 11:00:00 event_count: expected \d+, got \d+/);
      assert.doesNotMatch(outcome.error!, /clickhouse_vs_lake/, 'the lake was not altered');
      assert.equal(outcome.tasks.find((task) => task.id === 'complete_pipeline_run')?.status, 'skipped');

      const [run] = await chRows<{ status: string; failed_task: string; error: string }>(pipeline, 'SELECT status, failed_task, error FROM catalog.pipeline_runs FINAL WHERE run_id = {run:String}', { run: outcome.runId });
      assert.equal(run!.status, 'failed');
      assert.equal(run!.failed_task, 'validate_delivery');
      assert.match(run!.error, /2026-11-20 11:00:00 event_count/);
      const failedChecks = await chRows<{ window_key: string; metric: string; expected: number; actual: number }>(
        pipeline,
        "SELECT DISTINCT window_key, metric, expected, actual FROM catalog.validation_log WHERE run_id = {run:String} AND passed = 0",
        { run: outcome.runId },
      );
      assert.equal(failedChecks.length, 1);
      assert.deepEqual({ ...failedChecks[0]!, difference: failedChecks[0]!.actual - failedChecks[0]!.expected }, { ...failedChecks[0]!, window_key: '2026-11-20 11:00:00', metric: 'event_count', difference: 5 });

      // The replica is repaired by rerunning the window: load_aurora upserts the hour again.
      assert.equal((await pipeline.run(windowAt(1))).status, 'success');
      const [repaired] = await pgRows<{ event_count: number }>(pipeline, "SELECT sum(event_count)::float8 AS event_count FROM medallion_etl.agg_events_hourly WHERE event_date = '2026-11-20' AND event_hour = 11");
      const [gold] = await chRows<{ event_count: number }>(pipeline, "SELECT sum(event_count) AS event_count FROM gold.agg_events_hourly FINAL WHERE event_date = '2026-11-20' AND event_hour = 11");
      assert.equal(repaired!.event_count, gold!.event_count);
    } finally {
      await pipeline.close();
    }
  });

  it('a range rerun resumes: it skips the windows that succeeded, runs the failed one, and refuses --redo while one is unfinished', async () => {
    const pipeline = await openTestPipeline();
    try {
      assert.equal((await pipeline.run(windowAt(0))).status, 'success');
      const failed = await pipeline.run(windowAt(1), { config: { ...pipeline.config, failTask: 'aggregate_gold_daily' } });
      assert.equal(failed.status, 'failed');
      await assert.rejects(pipeline.runRange(windowAt(0), windowAt(2), { redo: true }), /Run scheduled__2026-11-20T11:00:00\+00:00 is unfinished \(failed\)/);
      const historyOfFailedRun = "SELECT count() AS rows FROM gold.rpt_daily_summary_history WHERE _snapshot_batch = 'scheduled__2026-11-20T11:00:00+00:00'";
      const [snapshotted] = await chRows<{ rows: number }>(pipeline, historyOfFailedRun);
      const resumed = await pipeline.runRange(windowAt(0), windowAt(2));
      assert.deepEqual(resumed.map((outcome) => outcome.status), ['skipped', 'success']);
      const [attempts] = await chRows<{ window0: number }>(
        pipeline,
        "SELECT countIf(run_id = 'scheduled__2026-11-20T10:00:00+00:00') AS window0 FROM catalog.benchmark_log WHERE task_name = 'load_bronze'",
      );
      assert.equal(attempts!.window0, 1, 'the succeeded window was not run again');
      const [history] = await chRows<{ rows: number }>(pipeline, historyOfFailedRun);
      assert.ok(snapshotted!.rows > 0);
      assert.equal(history!.rows, snapshotted!.rows, 'the failed run had snapshotted its dates; the resumed run did not snapshot them again');
      const redone = await pipeline.runRange(windowAt(0), windowAt(2), { redo: true });
      assert.deepEqual(redone.map((outcome) => outcome.status), ['success', 'success']);
    } finally {
      await pipeline.close();
    }
  });

  it('a task that keeps failing fails the run after its retries; downstream tasks do not run', async () => {
    const pipeline = await openTestPipeline({ MEDALLION_FAIL_TASK: 'aggregate_gold_daily', MEDALLION_TASK_RETRIES: '2' });
    try {
      const outcome = await pipeline.run(windowAt(0));
      assert.equal(outcome.status, 'failed');
      assert.equal(outcome.failedTask, 'aggregate_gold_daily');
      const statusOf = Object.fromEntries(outcome.tasks.map((task) => [task.id, task.status]));
      assert.equal(statusOf.aggregate_gold_hourly, 'success', 'the parallel aggregation is not affected');
      for (const id of ['verify_pipeline', 'export_gold_to_s3', 'load_aurora', 'validate_delivery', 'complete_pipeline_run']) assert.equal(statusOf[id], 'skipped', id);

      const [run] = await chRows<{ status: string; failed_task: string; error: string; bronze_rows: number }>(pipeline, 'SELECT status, failed_task, error, bronze_rows FROM catalog.pipeline_runs FINAL');
      assert.deepEqual({ status: run!.status, failed_task: run!.failed_task }, { status: 'failed', failed_task: 'aggregate_gold_daily' });
      assert.match(run!.error, /MEDALLION_FAIL_TASK/);

      const attempts = await chRows<{ task_name: string; attempts: number; failed: number }>(
        pipeline,
        'SELECT task_name, count() AS attempts, countIf(status = \'failed\') AS failed FROM catalog.benchmark_log GROUP BY task_name ORDER BY task_name',
      );
      const byTask = Object.fromEntries(attempts.map((row) => [row.task_name, row]));
      assert.deepEqual({ attempts: byTask.aggregate_gold_daily!.attempts, failed: byTask.aggregate_gold_daily!.failed }, { attempts: 3, failed: 3 });
      for (const id of ['verify_pipeline', 'export_gold_to_s3', 'load_aurora', 'validate_delivery', 'complete_pipeline_run']) assert.equal(byTask[id], undefined, `${id} never ran`);
      const lakeFiles = await (await pipeline.engines.lake()).list('');
      assert.deepEqual(lakeFiles, [], 'nothing was exported');
      const [replica] = await pgRows<{ rows: number }>(pipeline, 'SELECT count(*)::int AS rows FROM medallion_etl.agg_events_hourly');
      assert.equal(replica!.rows, 0, 'nothing was loaded into PostgreSQL');
    } finally {
      await pipeline.close();
    }
  });
});
