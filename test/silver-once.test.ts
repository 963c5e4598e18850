import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../src/config.js';
import * as silver from '../src/layers/silver/repository.js';
import type { RunEvent } from '../src/pipeline/runner.js';
import { EARLIER_PROJECTIONS } from './earlier-release.js';
import { chRows, HOUR, openTestPipeline, windowAt, type TestPipeline } from './helpers.js';

const DAY = 24 * HOUR;
const clickHouseTime = (time: Date) => time.toISOString().slice(0, 19).replace('T', ' ');

/** An event silver holds from the first window: its id and hour. */
async function eventOfFirstWindow(pipeline: TestPipeline): Promise<{ event_id: string; event_time: string }> {
  const [event] = await chRows<{ event_id: string; event_time: string }>(
    pipeline,
    "SELECT event_id, toString(event_time) AS event_time FROM silver.fact_events WHERE _batch_id = 'scheduled__2026-11-20T10:00:00+00:00' ORDER BY event_id LIMIT 1",
  );
  assert.ok(event);
  return event;
}

/**
 * A later file re-delivers an event with another event_time (and other content): the row is added to the
 * batch in bronze right after load_bronze, as a source would have delivered it.
 */
function redeliver(pipeline: TestPipeline, eventId: string, windowStart: Date, eventTime = new Date(windowStart.getTime() + 17 * 60_000)): (event: RunEvent) => Promise<void> {
  return async (event) => {
    if (event.type !== 'task-end' || event.task !== 'load_bronze') return;
    await (await pipeline.engines.clickhouse()).command(
      `INSERT INTO bronze.stg_events (event_id, user_name, category, source, value, event_time, _batch_id, _window_start, _row)
       VALUES ({id:String}, 'user_1', 'purchase', 'web', 77.5, {time:DateTime('UTC')}, {batch:String}, {window:DateTime('UTC')}, 1000000)`,
      { id: eventId, time: clickHouseTime(eventTime), batch: event.runId, window: clickHouseTime(windowStart) },
    );
  };
}

async function copiesInSilver(pipeline: TestPipeline, eventId: string) {
  return chRows<{ _batch_id: string; event_time: string }>(pipeline, 'SELECT _batch_id, toString(event_time) AS event_time FROM silver.fact_events WHERE event_id = {id:String} ORDER BY _batch_id', { id: eventId });
}

async function runCounts(pipeline: TestPipeline, runId: string) {
  const [run] = await chRows<{ status: string; silver_new_rows: number; already_in_silver_rows: number }>(
    pipeline,
    'SELECT status, silver_new_rows, already_in_silver_rows FROM catalog.pipeline_runs FINAL WHERE run_id = {run:String}',
    { run: runId },
  );
  return run!;
}

/** Gold's events per hour equal silver's, and their total is the number of distinct ids in silver. */
async function assertGoldCountsEachEventOnce(pipeline: TestPipeline) {
  const [totals] = await chRows<{ gold: number; silver: number; ids: number }>(
    pipeline,
    `SELECT (SELECT sum(event_count) FROM gold.agg_events_hourly FINAL) AS gold,
            (SELECT count() FROM silver.fact_events) AS silver,
            (SELECT uniqExact(event_id) FROM silver.fact_events) AS ids`,
  );
  assert.equal(totals!.silver, totals!.ids, 'silver holds every event id once');
  assert.equal(totals!.gold, totals!.ids, 'gold counts every event once');
}

describe('silver holds each event id once across the dedup horizon', () => {
  it('an event re-delivered one day later with another event_time: silver holds it once, gold counts it once, the gate counts it already in silver', async () => {
    const pipeline = await openTestPipeline();
    try {
      assert.equal((await pipeline.run(windowAt(0))).status, 'success');
      const first = await eventOfFirstWindow(pipeline);
      const later = windowAt(24);
      const outcome = await pipeline.run(later, { onEvent: redeliver(pipeline, first.event_id, later) });
      assert.equal(outcome.status, 'success', outcome.error);

      assert.deepEqual(await copiesInSilver(pipeline, first.event_id), [{ _batch_id: 'scheduled__2026-11-20T10:00:00+00:00', event_time: first.event_time }], 'the first delivery, at its own time');
      await assertGoldCountsEachEventOnce(pipeline);
      const [hour] = await chRows<{ gold: number; silver: number }>(
        pipeline,
        `SELECT (SELECT sum(event_count) FROM gold.agg_events_hourly FINAL WHERE event_date = '2026-11-21' AND event_hour = 10) AS gold,
                (SELECT count() FROM silver.fact_events WHERE event_date = '2026-11-21' AND event_hour = 10) AS silver`,
      );
      assert.equal(hour!.gold, hour!.silver, 'the re-delivery did not add itself to its new hour');

      // Only this window's own re-deliveries (of windows never run) are new: the hand-made one is counted as already in silver.
      const run = await runCounts(pipeline, outcome.runId);
      assert.equal(run.status, 'success');
      assert.equal(run.already_in_silver_rows, 1);
      // Registered by both deliveries, first by the first only: the one silver holds.
      const registered = await chRows<{ _batch_id: string; is_first: number }>(
        pipeline,
        'SELECT _batch_id, is_first FROM silver.event_ids FINAL WHERE id_hash = cityHash64({id:String}) AND id_check = xxHash32({id:String}) ORDER BY _batch_id',
        { id: first.event_id },
      );
      assert.deepEqual(registered, [{ _batch_id: 'scheduled__2026-11-20T10:00:00+00:00', is_first: 1 }, { _batch_id: outcome.runId, is_first: 0 }]);
      const checks = await chRows<{ metric: string; actual: number; passed: number }>(
        pipeline,
        "SELECT metric, actual, passed FROM catalog.validation_log WHERE run_id = {run:String} AND check_name = 'silver_once' ORDER BY metric",
        { run: outcome.runId },
      );
      assert.deepEqual(checks, [{ metric: 'held_more_than_once', actual: 0, passed: 1 }, { metric: 'unregistered', actual: 0, passed: 1 }]);

      // The window again: nothing changes.
      assert.equal((await pipeline.run(later, { onEvent: async () => {} })).status, 'success');
      assert.equal((await copiesInSilver(pipeline, first.event_id)).length, 1);
      await assertGoldCountsEachEventOnce(pipeline);
    } finally {
      await pipeline.close();
    }
  });

  it('the gate fails the run when silver holds a re-delivered id a second time (what a lookup in the touched hours only let through)', async () => {
    const pipeline = await openTestPipeline();
    try {
      assert.equal((await pipeline.run(windowAt(0))).status, 'success');
      const first = await eventOfFirstWindow(pipeline);
      const later = windowAt(24);
      const addRedelivery = redeliver(pipeline, first.event_id, later);
      const outcome = await pipeline.run(later, {
        onEvent: async (event) => {
          await addRedelivery(event);
          // The defect this replaces: the lookup saw the touched hours only, so the re-delivery went into silver again.
          if (event.type === 'task-end' && event.task === 'transform_silver') {
            await (await pipeline.engines.clickhouse()).command(
              `INSERT INTO silver.fact_events (event_id, user_name, category, source, value, is_revenue, event_time, event_date, event_hour, _batch_id)
               VALUES ({id:String}, 'user_1', 'purchase', 'web', 77.5, 1, '2026-11-21 10:17:00', '2026-11-21', 10, {batch:String})`,
              { id: first.event_id, batch: event.runId },
            );
          }
        },
      });
      assert.equal(outcome.status, 'failed');
      assert.equal(outcome.failedTask, 'verify_pipeline');
      assert.match(outcome.error!, /silver_once batch scheduled__2026-11-21T10:00:00\+00:00 held_more_than_once: expected 0, got 1/);
      assert.match(outcome.error!, /silver_once batch \S+ unregistered: expected 0, got 1/);
    } finally {
      await pipeline.close();
    }
  });

  it('an id registered by a run that died before inserting it: a later re-delivery leaves it to that run, whose rerun inserts it once', async () => {
    const pipeline = await openTestPipeline();
    try {
      assert.equal((await pipeline.run(windowAt(0))).status, 'success');
      const first = await eventOfFirstWindow(pipeline);
      // The state a kill between transform_silver's two statements leaves: registered, not yet in silver.
      await (await pipeline.engines.clickhouse()).command('ALTER TABLE silver.fact_events DELETE WHERE event_id = {id:String} SETTINGS mutations_sync = 2', { id: first.event_id });
      const later = windowAt(24);
      const outcome = await pipeline.run(later, { onEvent: redeliver(pipeline, first.event_id, later) });
      assert.equal(outcome.status, 'success', outcome.error);
      assert.deepEqual(await copiesInSilver(pipeline, first.event_id), [], 'the later batch does not insert what an earlier one registered');
      assert.equal((await runCounts(pipeline, outcome.runId)).already_in_silver_rows, 1);

      assert.equal((await pipeline.run(windowAt(0))).status, 'success');
      assert.deepEqual(await copiesInSilver(pipeline, first.event_id), [{ _batch_id: 'scheduled__2026-11-20T10:00:00+00:00', event_time: first.event_time }]);
      await assertGoldCountsEachEventOnce(pipeline);
    } finally {
      await pipeline.close();
    }
  });

  it('the horizon is counted in days of delivery and is configurable: 31 days later an id is new again with 30 days, and still held once with 40', async () => {
    for (const [days, copies] of [[30, 2], [40, 1]] as const) {
      const pipeline = await openTestPipeline({ MEDALLION_DEDUP_HORIZON_DAYS: String(days) });
      try {
        assert.equal((await pipeline.run(windowAt(0))).status, 'success');
        const first = await eventOfFirstWindow(pipeline);
        const later = new Date(windowAt(0).getTime() + 31 * DAY);
        const outcome = await pipeline.run(later, { onEvent: redeliver(pipeline, first.event_id, later) });
        assert.equal(outcome.status, 'success', outcome.error);
        assert.equal((await copiesInSilver(pipeline, first.event_id)).length, copies, `horizon ${days} days`);
        assert.equal((await runCounts(pipeline, outcome.runId)).already_in_silver_rows, 2 - copies);
        const [gold] = await chRows<{ events: number }>(pipeline, 'SELECT sum(event_count) AS events FROM gold.agg_events_hourly FINAL');
        const [silver] = await chRows<{ rows: number }>(pipeline, 'SELECT count() AS rows FROM silver.fact_events');
        assert.equal(gold!.events, silver!.rows);
      } finally {
        await pipeline.close();
      }
    }
  });

  it('deliveries further apart than the horizon with the same event hour are one event, late or backfilled (silver never holds an id twice in an hour)', async () => {
    const pipeline = await openTestPipeline();
    try {
      // 31 days late: the registry lookup (30 days of delivery either side) cannot see the first delivery; silver's hour can.
      assert.equal((await pipeline.run(windowAt(0))).status, 'success');
      const first = await eventOfFirstWindow(pipeline);
      const late = new Date(windowAt(0).getTime() + 31 * DAY);
      const outcome = await pipeline.run(late, { onEvent: redeliver(pipeline, first.event_id, late, new Date(`${first.event_time.replace(' ', 'T')}Z`)) });
      assert.equal(outcome.status, 'success', outcome.error);
      assert.deepEqual(await copiesInSilver(pipeline, first.event_id), [{ _batch_id: 'scheduled__2026-11-20T10:00:00+00:00', event_time: first.event_time }]);
      assert.equal((await runCounts(pipeline, outcome.runId)).already_in_silver_rows, 1);

      // A backfill 31 days before a delivery that carried its event at the same hour: the later one holds it.
      const backfilled = new Date(windowAt(0).getTime() - DAY);
      const eventTime = new Date(backfilled.getTime() + 5 * 60_000);
      const carrier = new Date(backfilled.getTime() + 31 * DAY);
      assert.equal((await pipeline.run(carrier, { onEvent: redeliver(pipeline, 'evt-far-apart', carrier, eventTime) })).status, 'success');
      const backfill = await pipeline.run(backfilled, { onEvent: redeliver(pipeline, 'evt-far-apart', backfilled, eventTime) });
      assert.equal(backfill.status, 'success', backfill.error);
      assert.deepEqual(await copiesInSilver(pipeline, 'evt-far-apart'), [{ _batch_id: 'scheduled__2026-12-20T10:00:00+00:00', event_time: clickHouseTime(eventTime) }]);
      assert.equal((await runCounts(pipeline, backfill.runId)).already_in_silver_rows, 1);
      await assertGoldCountsEachEventOnce(pipeline);
    } finally {
      await pipeline.close();
    }
  });

  it('a batch done in slices of its ids leaves exactly what it leaves done whole', async () => {
    const fingerprint = async (env: Record<string, string>) => {
      const pipeline = await openTestPipeline(env);
      try {
        for (const index of [0, 1]) assert.equal((await pipeline.run(windowAt(index))).status, 'success');
        const [tables] = await chRows<{ silver: number; silver_hash: string; registry: number; registry_hash: string }>(
          pipeline,
          `SELECT (SELECT count() FROM silver.fact_events) AS silver, (SELECT toString(sum(cityHash64(event_id, user_name, category, source, value, event_time, _batch_id))) FROM silver.fact_events) AS silver_hash,
                  (SELECT count() FROM silver.event_ids) AS registry, (SELECT toString(sum(cityHash64(delivery_date, id_hash, id_check, _batch_id, is_first))) FROM silver.event_ids) AS registry_hash`,
        );
        const slices = await chRows<{ slices: number }>(pipeline, "SELECT metrics['silver_slices'] AS slices FROM catalog.benchmark_log WHERE task_name = 'transform_silver' ORDER BY run_id");
        return { tables, slices: slices.map((row) => row.slices) };
      } finally {
        await pipeline.close();
      }
    };
    const whole = await fingerprint({});
    const sliced = await fingerprint({ MEDALLION_SILVER_SLICE_ROWS: '1500' });
    assert.deepEqual(whole.slices, [1, 1]);
    assert.deepEqual(sliced.slices, [3, 3], '4100 bronze rows a window in slices of 1500');
    assert.deepEqual(sliced.tables, whole.tables);
  });

  it('silver is read only for the touched hours a delivery beyond the horizon could share', () => {
    const batch = { batchId: 'b', windowStart: '2026-11-20 10:00:00', windowEnd: '2026-11-20 11:00:00', params: { batch_id: 'b', window_start: '2026-11-20 10:00:00' } };
    const hours = ['2026-10-22 23:00:00', '2026-10-23 00:00:00', '2026-11-19 12:00:00', '2026-11-20 10:00:00'];
    const touched = { hours, dates: [], params: { touched_hours: hours, touched_dates: [] } };
    // 30 days: hours on days before 2026-10-23 (28 days before the batch's day) are checked; later ones are within the lookup.
    assert.deepEqual(silver.silverCheckHours(batch, touched, 30, '2026-11-20'), ['2026-10-22 23:00:00']);
    assert.deepEqual(silver.silverCheckHours(batch, touched, 30, '2026-12-20'), ['2026-10-22 23:00:00'], 'a delivery 30 days later is within the lookup');
    assert.deepEqual(silver.silverCheckHours(batch, touched, 30, '2026-12-21'), hours, 'a delivery 31 days later is not: every touched hour is checked');
    assert.deepEqual(silver.silverCheckHours(batch, { ...touched, hours: hours.slice(2) }, 30, '1970-01-01'), []);
  });

  it('a deployment from before silver.event_ids registers what silver holds when its tables are next ensured, so older events are found', async () => {
    const pipeline = await openTestPipeline();
    try {
      assert.equal((await pipeline.run(windowAt(0))).status, 'success');
      const first = await eventOfFirstWindow(pipeline);
      const clickhouse = await pipeline.engines.clickhouse();
      // The previous release had no registry.
      await clickhouse.command('DROP TABLE silver.event_ids');
      const later = windowAt(24);
      const outcome = await pipeline.run(later, { onEvent: redeliver(pipeline, first.event_id, later) });
      assert.equal(outcome.status, 'success', outcome.error);
      assert.match(outcome.tasks.find((task) => task.id === 'ensure_all_tables')!.result!.summary, /the events silver held before silver\.event_ids existed are registered in it/);
      assert.equal((await copiesInSilver(pipeline, first.event_id)).length, 1);
      assert.equal((await runCounts(pipeline, outcome.runId)).already_in_silver_rows, 1);
      const [registry] = await chRows<{ registered: number; silver: number; delivered: string }>(
        pipeline,
        `SELECT (SELECT countIf(is_first = 1) FROM silver.event_ids FINAL) AS registered, (SELECT count() FROM silver.fact_events) AS silver,
                (SELECT toString(any(delivery_date)) FROM silver.event_ids WHERE _batch_id = 'scheduled__2026-11-20T10:00:00+00:00') AS delivered`,
      );
      assert.equal(registry!.registered, registry!.silver, 'every silver event is registered first, once');
      assert.equal(registry!.delivered, '2026-11-20', 'under the delivery date of the run that delivered it');
    } finally {
      await pipeline.close();
    }
  });

  it("silver.fact_events of an earlier release (projections rebuilt at each merge) merges them instead once its tables are next ensured, and they stay exact", async () => {
    const pipeline = await openTestPipeline();
    try {
      assert.equal((await pipeline.run(windowAt(0))).status, 'success');
      const clickhouse = await pipeline.engines.clickhouse();
      const mode = async () =>
        (await chRows<{ engine_full: string }>(pipeline, "SELECT engine_full FROM system.tables WHERE database = 'silver' AND name = 'fact_events'"))[0]!.engine_full.match(/deduplicate_merge_projection_mode = '(\w+)'/)?.[1];
      assert.equal(await mode(), 'ignore');
      // What the earlier release's table says.
      await clickhouse.command("ALTER TABLE silver.fact_events MODIFY SETTING deduplicate_merge_projection_mode = 'rebuild'");
      assert.equal(await mode(), 'rebuild');
      await silver.createTables(clickhouse);
      assert.equal(await mode(), 'ignore');
      assert.equal((await pipeline.run(windowAt(1))).status, 'success');
      const daily = (projections: 0 | 1) =>
        chRows(pipeline, `SELECT toString(event_date) AS d, count() AS n, uniqExact(user_name) AS u, toString(sum(value)) AS v FROM silver.fact_events GROUP BY event_date ORDER BY d SETTINGS optimize_use_projections = ${projections}, force_optimize_projection = ${projections}`);
      const before = await daily(0);
      await clickhouse.command('OPTIMIZE TABLE silver.fact_events FINAL');
      const [parts] = await chRows<{ parts: number }>(pipeline, "SELECT count() AS parts FROM system.parts WHERE active AND database = 'silver' AND table = 'fact_events'");
      assert.equal(parts!.parts, 1, 'the two windows\' parts were merged');
      assert.deepEqual(await daily(1), before, 'the merged projection equals the rows');
      assert.equal(before.length > 0, true);
    } finally {
      await pipeline.close();
    }
  });

  it("silver.fact_events of an earlier release (hourly_totals and batch_hours) gets hourly_batch_totals built for its parts and the two dropped, and every read it serves stays exact", async () => {
    const pipeline = await openTestPipeline();
    try {
      assert.equal((await pipeline.run(windowAt(0))).status, 'success');
      const clickhouse = await pipeline.engines.clickhouse();
      const projections = async () =>
        (await chRows<{ name: string }>(pipeline, "SELECT name FROM system.projections WHERE database = 'silver' AND table = 'fact_events' ORDER BY name")).map((projection) => projection.name);
      assert.deepEqual(await projections(), ['daily_totals', 'hourly_batch_totals', 'user_totals']);
      // What the earlier release's table holds: its two projections, built for the window's parts.
      for (const statement of EARLIER_PROJECTIONS) await clickhouse.command(statement);
      assert.deepEqual(await projections(), ['batch_hours', 'daily_totals', 'hourly_totals', 'user_totals']);

      await silver.createTables(clickhouse);
      assert.equal(await silver.upgradeTables(clickhouse), true, 'the parts written before hourly_batch_totals get it built');
      assert.deepEqual(await projections(), ['daily_totals', 'hourly_batch_totals', 'user_totals']);
      const deadline = Date.now() + 60_000;
      while ((await chRows<{ running: number }>(pipeline, "SELECT count() AS running FROM system.mutations WHERE database = 'silver' AND table = 'fact_events' AND NOT is_done"))[0]!.running > 0) {
        assert.ok(Date.now() < deadline, 'the projection was built within a minute');
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      assert.equal(await silver.upgradeTables(clickhouse), false, 'every part has it now: nothing left to build');

      assert.equal((await pipeline.run(windowAt(1))).status, 'success');
      const served = (projections: 0 | 1) =>
        Promise.all([
          chRows(pipeline, `SELECT toString(event_date) AS d, event_hour, toString(category) AS c, toString(source) AS s, count() AS n, sum(is_revenue) AS r, toString(sum(value)) AS v FROM silver.fact_events GROUP BY event_date, event_hour, category, source ORDER BY ALL SETTINGS optimize_use_projections = ${projections}, force_optimize_projection = ${projections}`),
          chRows(pipeline, `SELECT _batch_id, toString(event_date) AS d, event_hour, count() AS n FROM silver.fact_events GROUP BY _batch_id, event_date, event_hour ORDER BY ALL SETTINGS optimize_use_projections = ${projections}, force_optimize_projection = ${projections}`),
        ]);
      const rows = await served(0);
      assert.equal(new Set(rows[1].map((row) => (row as { _batch_id: string })._batch_id)).size, 2, 'both windows are in silver');
      assert.deepEqual(await served(1), rows, 'the projection, served alone, equals the rows');
    } finally {
      await pipeline.close();
    }
  });

  it('MEDALLION_DEDUP_HORIZON_DAYS is 30 by default and refuses fewer than 30 days', () => {
    assert.equal(loadConfig({}).dedupHorizonDays, 30);
    assert.equal(loadConfig({ MEDALLION_DEDUP_HORIZON_DAYS: '365' }).dedupHorizonDays, 365);
    for (const value of ['7', '29', '3651', 'forever', '30.5']) {
      assert.throws(() => loadConfig({ MEDALLION_DEDUP_HORIZON_DAYS: value }), (error: unknown) => error instanceof ConfigError && error.variable === 'MEDALLION_DEDUP_HORIZON_DAYS', value);
    }
  });
});
