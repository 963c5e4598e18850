/**
 * A batch's gold history snapshot is two inserts; its task's recorded success is what makes it complete. A
 * kill between the inserts leaves a partial snapshot visible until the rerun completes it, and the README's
 * query for complete snapshots leaves the partial one out. The query is taken from the README as written.
 */
import assert from 'node:assert/strict';
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { medallion } from './cli.js';

const BATCH = 'scheduled__2026-11-20T11:00:00+00:00';

/** The README's query for complete snapshots (of the daily history), dedented. */
async function readmeQuery(): Promise<string> {
  const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
  const block = /```sql\n((?:\s*)-- Complete gold history snapshots only[\s\S]*?)\n\s*```/.exec(readme)?.[1];
  assert.ok(block, 'the README shows the query');
  const indent = /^\s*/.exec(block)![0].length;
  return block.split('\n').map((line) => line.slice(indent)).join('\n');
}

describe('gold history snapshots: complete or being completed', () => {
  it('a kill between the two inserts leaves a partial snapshot that the README query leaves out; the rerun completes it', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'medallion-history-'));
    try {
      const env = { MEDALLION_HOME: path.join(dir, 'home'), MEDALLION_EVENTS_PER_HOUR: '1000', MEDALLION_TASK_RETRIES: '0' };
      const query = async <T>(sql: string) => {
        const result = await medallion(['query', '--format', 'json', '--', sql], env);
        assert.equal(result.code, 0, result.stderr);
        return JSON.parse(result.stdout) as T[];
      };
      const daily = await readmeQuery();
      const hourly = daily.replace('gold.rpt_daily_summary_history', 'gold.agg_events_hourly_history').replace('h.event_date', 'h.event_date, h.event_hour, h.category, h.source');
      const snapshotOf = async () =>
        (await query<{ hourly: number; daily: number }>(
          `SELECT (SELECT count() FROM gold.agg_events_hourly_history WHERE _snapshot_batch = '${BATCH}') AS hourly,
                  (SELECT count() FROM gold.rpt_daily_summary_history WHERE _snapshot_batch = '${BATCH}') AS daily`,
        ))[0]!;

      const first = await medallion(['run', '--from', '2026-11-20T10:00Z'], env);
      assert.equal(first.code, 0, first.stderr);
      // What window 11:00's snapshot must hold of the daily summary: gold as window 10:00 left it.
      const before = await query<{ event_date: string; total_events: number }>('SELECT toString(event_date) AS event_date, total_events FROM gold.rpt_daily_summary FINAL ORDER BY event_date');
      assert.ok(before.length > 0);

      const killed = await medallion(['run', '--from', '2026-11-20T11:00Z'], { ...env, MEDALLION_KILL_AT: 'mid:snapshot_gold_history' });
      assert.equal(killed.signal, 'SIGKILL', killed.stderr);
      const partial = await snapshotOf();
      assert.ok(partial.hourly > 0, 'the hourly rows (of hour 10, which late events touch) were copied');
      assert.equal(partial.daily, 0, 'the daily rows were not');
      const completeWhileKilled = [...(await query<{ _snapshot_batch: string }>(daily)), ...(await query<{ _snapshot_batch: string }>(hourly))];
      assert.deepEqual(completeWhileKilled.filter((row) => row._snapshot_batch === BATCH), [], 'the partial snapshot is left out');

      const rerun = await medallion(['run', '--from', '2026-11-20T11:00Z'], env);
      assert.equal(rerun.code, 0, rerun.stderr);
      const completeDaily = (await query<{ _snapshot_batch: string; event_date: string; total_events: number }>(daily)).filter((row) => row._snapshot_batch === BATCH);
      assert.ok(completeDaily.length > 0);
      assert.deepEqual(await snapshotOf(), { hourly: partial.hourly, daily: completeDaily.length }, 'the rerun inserted only the missing rows');
      assert.deepEqual(
        completeDaily.map(({ event_date, total_events }) => ({ event_date, total_events })),
        before.filter((row) => completeDaily.some((snapshot) => snapshot.event_date === row.event_date)),
        'each touched date as window 10:00 left it in gold',
      );
      const completeHourly = (await query<{ _snapshot_batch: string }>(hourly)).filter((row) => row._snapshot_batch === BATCH);
      assert.equal(completeHourly.length, partial.hourly);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
