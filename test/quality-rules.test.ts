import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../src/config.js';
import { runWindow } from '../src/pipeline/runner.js';
import { chRows, openTestPipeline, pgRows, windowAt } from './helpers.js';

/** Rows a source could deliver that no rule of the seed catches: each must end in quarantine with its reasons. */
const HOSTILE_ROWS: { row: number; value: string; eventTime: string; reasons: string }[] = [
  { row: 1_000_000, value: 'nan', eventTime: "'2026-11-20 11:10:00'", reasons: 'non_finite_value' },
  { row: 1_000_001, value: 'inf', eventTime: "'2026-11-20 11:10:00'", reasons: 'non_finite_value' },
  { row: 1_000_002, value: '-inf', eventTime: "'2026-11-20 11:10:00'", reasons: 'non_finite_value' },
  { row: 1_000_003, value: '-12.5', eventTime: "'2026-11-20 11:10:00'", reasons: 'negative_value' },
  { row: 1_000_004, value: '1e300', eventTime: "'2026-11-20 11:10:00'", reasons: 'value_out_of_range' },
  { row: 1_000_005, value: '1000000000', eventTime: "'2026-11-20 11:10:00'", reasons: 'value_out_of_range' },
  { row: 1_000_006, value: '10', eventTime: '0', reasons: 'invalid_event_time' },
  { row: 1_000_007, value: '10', eventTime: "'2026-11-21 12:00:01'", reasons: 'future_event_time' },
  { row: 1_000_008, value: 'nan', eventTime: '0', reasons: 'non_finite_value,invalid_event_time' },
];

describe('quality rules on hostile values', () => {
  it('quarantines NaN, ±Inf, negative, huge values and bad times with their reasons; the batch succeeds and accounts for every row', async () => {
    const pipeline = await openTestPipeline();
    try {
      assert.equal((await pipeline.run(windowAt(0))).status, 'success');
      const outcome = await pipeline.run(windowAt(1), {
        // The source delivered the hostile rows with the batch (ids of their own, a valid user).
        onEvent: async (event) => {
          if (event.type !== 'task-end' || event.task !== 'load_bronze') return;
          const values = HOSTILE_ROWS.map((hostile) => `('hostile-${hostile.row}', 'user_1', 'purchase', 'web', ${hostile.value}, ${hostile.eventTime}, {batch:String}, {window:DateTime('UTC')}, ${hostile.row})`);
          await (await pipeline.engines.clickhouse()).command(
            `INSERT INTO bronze.stg_events (event_id, user_name, category, source, value, event_time, _batch_id, _window_start, _row) VALUES ${values.join(', ')}`,
            { batch: event.runId, window: '2026-11-20 11:00:00' },
          );
        },
      });
      assert.equal(outcome.status, 'success', outcome.error);

      const quarantined = await chRows<{ _row: number; rejection_reason: string; value: number }>(
        pipeline,
        'SELECT _row, rejection_reason, value FROM silver.quarantine_events FINAL WHERE _batch_id = {run:String} AND _row >= 1000000 ORDER BY _row',
        { run: outcome.runId },
      );
      assert.deepEqual(quarantined.map(({ _row, rejection_reason }) => ({ row: _row, reasons: rejection_reason })), HOSTILE_ROWS.map(({ row, reasons }) => ({ row, reasons })));
      const [silver] = await chRows<{ rows: number }>(pipeline, "SELECT count() AS rows FROM silver.fact_events WHERE startsWith(event_id, 'hostile-')");
      assert.equal(silver!.rows, 0, 'no hostile row reached silver');

      const [run] = await chRows<{ bronze_rows: number; quarantined_rows: number; silver_new_rows: number; duplicate_rows: number; already_in_silver_rows: number }>(
        pipeline,
        'SELECT bronze_rows, quarantined_rows, silver_new_rows, duplicate_rows, already_in_silver_rows FROM catalog.pipeline_runs FINAL WHERE run_id = {run:String}',
        { run: outcome.runId },
      );
      assert.equal(run!.bronze_rows, run!.quarantined_rows + run!.silver_new_rows + run!.duplicate_rows + run!.already_in_silver_rows, 'the accounting equation holds');
      const [gate] = await chRows<{ passed: number }>(pipeline, "SELECT min(passed) AS passed FROM catalog.validation_log WHERE run_id = {run:String} AND check_name = 'accounting'", { run: outcome.runId });
      assert.equal(gate!.passed, 1);
      const [[gold], [replica]] = await Promise.all([
        chRows<{ total: number }>(pipeline, 'SELECT round(sum(total_value), 2) AS total FROM gold.agg_events_hourly FINAL'),
        pgRows<{ total: number }>(pipeline, 'SELECT round(sum(total_value)::numeric, 2)::float8 AS total FROM medallion_etl.agg_events_hourly'),
      ]);
      assert.ok(Number.isFinite(gold!.total) && gold!.total < 1e9, `gold money stays finite and plausible (${gold!.total})`);
      assert.equal(replica!.total, gold!.total);
    } finally {
      await pipeline.close();
    }
  });
});

describe('the synthetic source', () => {
  it('re-delivers an event with exactly the content of its first delivery, whatever the rate of either window', async () => {
    const pipeline = await openTestPipeline();
    try {
      const atRate = (eventsPerHour: number) => loadConfig({ MEDALLION_HOME: pipeline.home, MEDALLION_EVENTS_PER_HOUR: String(eventsPerHour), MEDALLION_TASK_RETRIES: '0' });
      for (const [index, rate] of [[0, 3000], [1, 9000], [2, 1000], [3, 6000]] as const) {
        const outcome = await runWindow({ config: atRate(rate), engines: pipeline.engines, windowStart: windowAt(index) });
        assert.equal(outcome.status, 'success', outcome.error);
      }
      const [deliveries] = await chRows<{ redelivered: number; conflicting: number }>(
        pipeline,
        `SELECT countIf(batches > 1) AS redelivered, countIf(versions > 1) AS conflicting
         FROM (SELECT event_id, uniqExact(_batch_id) AS batches, uniqExact(user_name, category, source, value, event_time) AS versions
               FROM bronze.stg_events WHERE event_id != '' GROUP BY event_id)`,
      );
      assert.ok(deliveries!.redelivered > 20, `events re-delivered by a later window (${deliveries!.redelivered})`);
      assert.equal(deliveries!.conflicting, 0, 'no event id carries two contents');
    } finally {
      await pipeline.close();
    }
  });
});
