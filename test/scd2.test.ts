import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { diffChain, OPEN_END, rebuildChain, type Profile, type Version } from '../src/layers/silver/scd2.js';
import { chRows, openTestPipeline, windowAt, type TestPipeline } from './helpers.js';

const totals = { last_seen_date: '2026-11-20', total_events: 7, total_value: 12.5, is_revenue_user: 1 };
const profile = (window_start: string, primary_category: string, primary_source = 'web'): Profile => ({ user_name: 'ann', window_start, primary_category, primary_source });

/** Applies windows one by one, as the dimension would, and returns the stored chain. */
function applyInOrder(windows: readonly Profile[]): Version[] {
  let stored: Version[] = [];
  const applied: Profile[] = [];
  for (const next of windows) {
    applied.push(next);
    const from = next.window_start;
    const segment = stored.filter((version) => version.valid_to > from);
    const later = applied.filter((candidate) => candidate.window_start >= from).sort((a, b) => a.window_start.localeCompare(b.window_start));
    const rebuilt = rebuildChain(from, segment, later, totals);
    const change = diffChain(segment, rebuilt);
    const removed = new Set(change.writes.filter((write) => write._is_deleted).map((write) => write.valid_from));
    const written = new Map(change.writes.filter((write) => !write._is_deleted).map(({ _is_deleted: _, ...version }) => [version.valid_from, version]));
    stored = [...stored.filter((version) => !removed.has(version.valid_from) && !written.has(version.valid_from)), ...written.values()].sort((a, b) => a.valid_from.localeCompare(b.valid_from));
  }
  return stored;
}

describe('SCD2 chain rebuilding', () => {
  const windows = [profile('2026-11-20 10:00:00', 'click'), profile('2026-11-20 11:00:00', 'click'), profile('2026-11-20 12:00:00', 'purchase'), profile('2026-11-20 13:00:00', 'click')];

  it('opens a version where the attributes change and keeps type-1 attributes on the current one', () => {
    const chain = applyInOrder(windows);
    assert.deepEqual(chain.map((version) => [version.valid_from, version.valid_to, version.primary_category, version.is_current]), [
      ['2026-11-20 10:00:00', '2026-11-20 12:00:00', 'click', 0],
      ['2026-11-20 12:00:00', '2026-11-20 13:00:00', 'purchase', 0],
      ['2026-11-20 13:00:00', OPEN_END, 'click', 1],
    ]);
    assert.equal(chain[2]!.total_events, 7);
    assert.equal(chain[0]!.total_events, 0);
  });

  it('gives the same chain whatever order the windows are applied in', () => {
    const expected = applyInOrder(windows);
    for (const order of [[3, 2, 1, 0], [2, 0, 3, 1], [1, 3, 0, 2]]) {
      assert.deepEqual(applyInOrder(order.map((index) => windows[index]!)), expected, `order ${order.join(',')}`);
    }
  });

  it('changes nothing when a window is applied twice', () => {
    const chain = applyInOrder(windows);
    const segment = chain.filter((version) => version.valid_to > windows[1]!.window_start);
    const rebuilt = rebuildChain(windows[1]!.window_start, segment, windows.slice(1), totals);
    assert.deepEqual(diffChain(segment, rebuilt).writes, []);
  });
});

/** dim_users as stored, minus the row version (which records when, not what). */
const dimUsers = (pipeline: TestPipeline) =>
  chRows<{ user_name: string; valid_from: string; valid_to: string; is_current: number }>(pipeline, 'SELECT * EXCEPT (_version, _is_deleted) FROM silver.dim_users FINAL ORDER BY user_name, valid_from');

describe('silver.dim_users on embedded engines', () => {
  it('keeps one current version per user, contiguous and non-overlapping, and is the same when windows arrive shuffled', async () => {
    const windows = [0, 1, 2, 3].map(windowAt);
    let inOrder: Awaited<ReturnType<typeof dimUsers>>;
    const ordered = await openTestPipeline({ MEDALLION_EVENTS_PER_HOUR: '2000' });
    try {
      for (const window of windows) assert.equal((await ordered.run(window)).status, 'success');
      inOrder = await dimUsers(ordered);

      const [invariants] = await chRows<{ users: number; current: number; multi_version_users: number; gaps: number; overlaps: number; bad_current: number }>(
        ordered,
        `SELECT uniqExact(user_name) AS users, countIf(is_current = 1) AS current,
                (SELECT count() FROM (SELECT user_name FROM silver.dim_users FINAL GROUP BY user_name HAVING count() > 1)) AS multi_version_users,
                countIf(next_from != toDateTime(0) AND valid_to != next_from) AS gaps,
                countIf(next_from != toDateTime(0) AND valid_to > next_from) AS overlaps,
                countIf((is_current = 1) != (valid_to = toDateTime('2106-02-07 06:28:15', 'UTC'))) AS bad_current
         FROM (
           SELECT user_name, valid_from, valid_to, is_current,
                  leadInFrame(valid_from, 1, toDateTime(0)) OVER (PARTITION BY user_name ORDER BY valid_from ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS next_from
           FROM silver.dim_users FINAL)`,
      );
      assert.ok(invariants!.users > 50);
      assert.equal(invariants!.current, invariants!.users, 'exactly one current version per user');
      assert.ok(invariants!.multi_version_users > 0, 'some users changed attributes');
      assert.deepEqual([invariants!.gaps, invariants!.overlaps, invariants!.bad_current], [0, 0, 0]);

      const [keys] = await chRows<{ mismatched: number }>(ordered, 'SELECT countIf(user_key != cityHash64(user_name, valid_from)) AS mismatched FROM silver.dim_users FINAL');
      assert.equal(keys!.mismatched, 0, 'user_key is a function of (user_name, valid_from)');
      const [typeOne] = await chRows<{ wrong: number }>(
        ordered,
        `SELECT count() AS wrong FROM silver.dim_users AS d FINAL
         JOIN (SELECT user_name, count() AS events FROM silver.fact_events FINAL GROUP BY user_name) AS s USING user_name
         WHERE d.is_current = 1 AND d.total_events != s.events`,
      );
      assert.equal(typeOne!.wrong, 0, 'total_events of the current version counts the user\'s events in silver');
    } finally {
      await ordered.close();
    }

    const shuffled = await openTestPipeline({ MEDALLION_EVENTS_PER_HOUR: '2000' });
    try {
      for (const index of [2, 0, 3, 1]) assert.equal((await shuffled.run(windows[index]!)).status, 'success');
      assert.deepEqual(await dimUsers(shuffled), inOrder);
      const [again] = await chRows<{ rows: number }>(shuffled, 'SELECT count() AS rows FROM silver.dim_users');
      assert.equal((await shuffled.run(windows[1]!)).tasks.find((task) => task.id === 'update_dim_users')?.result?.rowsOut, 0, 'reapplying a batch writes nothing');
      const [afterRerun] = await chRows<{ rows: number }>(shuffled, 'SELECT count() AS rows FROM silver.dim_users');
      assert.equal(afterRerun!.rows, again!.rows);
    } finally {
      await shuffled.close();
    }
  });
});
