import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Warehouse } from '../src/engines/index.js';
import { formatClickHouseTime, toBatch } from '../src/layers/batch.js';
import * as bronze from '../src/layers/bronze/repository.js';
import * as silver from '../src/layers/silver/repository.js';
import { diffChain, OPEN_END, rebuildChain, type Profile, type TypeOneAttributes, type Version } from '../src/layers/silver/scd2.js';
import { chRows, openTestPipeline, windowAt, type TestPipeline } from './helpers.js';

const totals = { last_seen_date: '2026-11-20', total_events: 7, total_value: 12.5, is_revenue_user: 1 };
const profile = (window_start: string, primary_category: string, primary_source = 'web'): Profile => ({ user_name: 'ann', window_start, primary_category, primary_source });

/** Applies windows one by one, as the dimension would (versions keyed by their end), and returns the stored chain. */
function applyInOrder(windows: readonly Profile[]): Version[] {
  const stored = new Map<string, Version>();
  const applied: Profile[] = [];
  for (const next of windows) {
    applied.push(next);
    const from = next.window_start;
    const reachable = [...stored.values()].filter((version) => version.valid_to >= from);
    const later = applied.filter((candidate) => candidate.window_start >= from).sort((a, b) => a.window_start.localeCompare(b.window_start));
    const rebuilt = rebuildChain(from, reachable.filter((version) => version.valid_to > from), later, totals);
    for (const { _is_deleted: deleted, ...version } of diffChain(from, reachable, rebuilt).writes) {
      if (deleted) stored.delete(version.valid_to);
      else stored.set(version.valid_to, version);
    }
  }
  return [...stored.values()].sort((a, b) => a.valid_from.localeCompare(b.valid_from));
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
    const from = windows[1]!.window_start;
    const reachable = chain.filter((version) => version.valid_to >= from);
    const rebuilt = rebuildChain(from, reachable.filter((version) => version.valid_to > from), windows.slice(1), totals);
    assert.deepEqual(diffChain(from, reachable, rebuilt).writes, []);
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

/** One bronze row of the scenario; value in cents. */
interface Delivered {
  event_id: string;
  user_name: string;
  category: string;
  source: string;
  cents: number;
  window: number;
}

/**
 * Deliveries for `windows` hourly windows (seeded, so the same every run): users whose most frequent category
 * and source move between a few values, with ties, exact duplicates, an id delivered again with another
 * source (a distinct event for the rule), re-deliveries of earlier windows' events, and absences.
 */
function scenario(windows: number, users: number, seed: number): Delivered[][] {
  let state = seed;
  const random = () => ((state = (state * 1103515245 + 12345) % 2147483648) / 2147483648);
  const pick = <T,>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
  const rows: Delivered[][] = [];
  for (let window = 0; window < windows; window += 1) {
    const batch: Delivered[] = [];
    for (let user = 0; user < users; user += 1) {
      if (random() < 0.25) continue;
      const favourite = pick(['click', 'page_view', 'purchase']);
      const channel = pick(['web', 'ios']);
      const events = 1 + Math.floor(random() * 5);
      for (let k = 0; k < events; k += 1) {
        const event: Delivered = { event_id: `e-${window}-${user}-${k}`, user_name: `user_${user}`, category: random() < 0.6 ? favourite : pick(['click', 'page_view', 'purchase', 'search']), source: random() < 0.7 ? channel : pick(['web', 'ios', 'api']), cents: Math.floor(random() * 5000), window };
        batch.push(event);
        if (random() < 0.2) batch.push({ ...event });
        if (random() < 0.05) batch.push({ ...event, source: event.source === 'web' ? 'ios' : 'web' });
      }
    }
    if (window > 0) for (const earlier of rows[window - 1]!.slice(0, 5)) batch.push({ ...earlier, window });
    rows.push(batch);
  }
  return rows;
}

const hourText = (window: number) => formatClickHouseTime(windowAt(window));
const batchOf = (window: number) => toBatch(`scheduled__${windowAt(window).toISOString().slice(0, 19)}+00:00`, windowAt(window));

/** The most frequent value among the distinct (event, category, source) of a user's window, ties alphabetical. */
function mostFrequent(events: readonly Delivered[], value: (event: Delivered) => string): string {
  const counts = new Map<string, number>();
  for (const event of events) counts.set(value(event), (counts.get(value(event)) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]![0];
}

/** The dimension as the model keeps it: per user, versions by valid_to; and silver as loaded. */
class Model {
  readonly chains = new Map<string, Map<string, Version>>();
  readonly bronze: Delivered[] = [];
  readonly silver = new Map<string, Delivered>();

  load(rows: readonly Delivered[]) {
    this.bronze.push(...rows);
    for (const row of rows) if (!this.silver.has(row.event_id)) this.silver.set(row.event_id, row);
  }

  totals(user: string): TypeOneAttributes {
    const events = [...this.silver.values()].filter((event) => event.user_name === user);
    const cents = events.reduce((sum, event) => sum + event.cents, 0);
    // A user whose only deliveries are of events silver holds under another user's name: no event in silver.
    if (events.length === 0) return { last_seen_date: '1970-01-01', total_events: 0, total_value: 0, is_revenue_user: 0 };
    return {
      last_seen_date: hourText(Math.max(...events.map((event) => event.window))).slice(0, 10),
      total_events: events.length,
      total_value: cents / 100,
      is_revenue_user: events.some((event) => event.category === 'purchase' && event.cents > 0) ? 1 : 0,
    };
  }

  apply(window: number): { users: number; opened: number; closed: number; written: number } {
    const from = hourText(window);
    const users = [...new Set(this.bronze.filter((row) => row.window === window).map((row) => row.user_name))];
    let written = 0;
    for (const user of users) {
      const profiles: Profile[] = [];
      for (const at of [...new Set(this.bronze.filter((row) => row.window >= window && row.user_name === user).map((row) => row.window))].sort((a, b) => a - b)) {
        const distinct = [...new Map(this.bronze.filter((row) => row.window === at && row.user_name === user).map((row) => [`${row.event_id}|${row.category}|${row.source}`, row])).values()];
        profiles.push({ user_name: user, window_start: hourText(at), primary_category: mostFrequent(distinct, (event) => event.category), primary_source: mostFrequent(distinct, (event) => event.source) });
      }
      const chain = this.chains.get(user) ?? new Map<string, Version>();
      this.chains.set(user, chain);
      const reachable = [...chain.values()].filter((version) => version.valid_to >= from);
      const rebuilt = rebuildChain(from, reachable.filter((version) => version.valid_to > from), profiles, this.totals(user));
      const { writes } = diffChain(from, reachable, rebuilt);
      written += writes.length;
      for (const { _is_deleted: deleted, ...version } of writes) {
        if (deleted) chain.delete(version.valid_to);
        else chain.set(version.valid_to, version);
      }
    }
    const versions = users.flatMap((user) => [...this.chains.get(user)!.values()]);
    return {
      users: users.length,
      opened: versions.filter((version) => version.valid_from === from).length,
      closed: versions.filter((version) => version.valid_to === from).length,
      written,
    };
  }

  table(): Version[] {
    return [...this.chains.values()].flatMap((chain) => [...chain.values()]).sort((a, b) => (a.user_name < b.user_name ? -1 : a.user_name > b.user_name ? 1 : a.valid_from < b.valid_from ? -1 : 1));
  }
}

async function loadWindow(clickhouse: Warehouse, model: Model, rows: readonly Delivered[]) {
  const batch = batchOf(rows[0]!.window);
  const newInSilver = [...new Map(rows.filter((row) => !model.silver.has(row.event_id)).map((row) => [row.event_id, row])).values()];
  await clickhouse.insert('bronze.stg_events', rows.map((row, index) => ({
    event_id: row.event_id, user_name: row.user_name, category: row.category, source: row.source, value: row.cents / 100,
    event_time: hourText(row.window), _batch_id: batch.batchId, _window_start: batch.windowStart, _row: index,
  })));
  await clickhouse.insert('silver.fact_events', newInSilver.map((row) => ({
    event_id: row.event_id, user_name: row.user_name, category: row.category, source: row.source, value: row.cents / 100,
    is_revenue: row.category === 'purchase' && row.cents > 0 ? 1 : 0, event_time: hourText(row.window), event_date: hourText(row.window).slice(0, 10),
    event_hour: windowAt(row.window).getUTCHours(), _batch_id: batch.batchId,
  })));
  // What transform_silver registers before update_dim_users runs: every distinct id of the batch.
  await clickhouse.command(
    `INSERT INTO silver.event_ids (delivery_date, id_hash, id_check, _batch_id, is_first)
     SELECT toDate(_window_start), cityHash64(event_id), xxHash32(event_id), _batch_id, 1 FROM bronze.stg_events WHERE _batch_id = {batch:String} GROUP BY ALL`,
    { batch: batch.batchId },
  );
  model.load(rows);
}

const storedDimension = (clickhouse: Warehouse) =>
  clickhouse.rows<Version>(
    `SELECT user_name, toString(primary_category) AS primary_category, toString(primary_source) AS primary_source,
            formatDateTime(valid_from, '%Y-%m-%d %H:%i:%S') AS valid_from, formatDateTime(valid_to, '%Y-%m-%d %H:%i:%S') AS valid_to, is_current,
            toString(last_seen_date) AS last_seen_date, total_events, total_value, is_revenue_user
     FROM silver.dim_users FINAL ORDER BY user_name, valid_from`,
  );

const dimParts = async (clickhouse: Warehouse) =>
  (await clickhouse.rows<{ parts: number }>("SELECT count() AS parts FROM system.parts WHERE database = 'silver' AND table = 'dim_users' AND active"))[0]!.parts;

describe('silver.dim_users applied in ClickHouse against the model (scd2.ts)', () => {
  it('holds the model\'s chains and reports its counts and writes, whatever the order windows arrive in and however often', async () => {
    const pipeline = await openTestPipeline();
    try {
      const clickhouse = await pipeline.engines.clickhouse();
      await bronze.createTables(clickhouse);
      await silver.createTables(clickhouse);
      await clickhouse.command('SYSTEM STOP MERGES silver.dim_users');
      const deliveries = scenario(7, 30, 42);
      const orders = [[0, 1, 2, 3, 4, 5, 6], [6, 5, 4, 3, 2, 1, 0], [3, 0, 5, 1, 6, 2, 4], [2, 4, 2, 0, 6, 4, 1, 3, 5, 0]];
      let expected: Version[] | undefined;
      for (const order of orders) {
        for (const table of ['bronze.stg_events', 'silver.fact_events', 'silver.event_ids', 'silver.dim_users']) await clickhouse.command(`TRUNCATE TABLE ${table}`);
        const model = new Model();
        const loaded = new Set<number>();
        for (const window of order) {
          if (!loaded.has(window)) await loadWindow(clickhouse, model, deliveries[window]!);
          loaded.add(window);
          const partsBefore = await dimParts(clickhouse);
          const change = await silver.updateDimUsers(clickhouse, batchOf(window));
          assert.deepEqual(change, model.apply(window), `order ${order.join(',')}, window ${window}`);
          // All of an application's rows land in one part (or none): what makes it all-or-nothing under a crash.
          assert.equal(await dimParts(clickhouse), partsBefore + (change.written > 0 ? 1 : 0), `order ${order.join(',')}, window ${window}: one part`);
        }
        const table = await storedDimension(clickhouse);
        assert.deepEqual(table, model.table(), `order ${order.join(',')}`);
        assert.ok(table.some((version) => !version.is_current) && table.length > 30, 'some users changed attributes');
        if (expected) assert.deepEqual(table, expected, `order ${order.join(',')} ends where the first order ended`);
        expected = table;
      }
    } finally {
      await pipeline.close();
    }
  });

  it('refuses a batch transform_silver has not registered', async () => {
    const pipeline = await openTestPipeline();
    try {
      const clickhouse = await pipeline.engines.clickhouse();
      await bronze.createTables(clickhouse);
      await silver.createTables(clickhouse);
      const [rows] = scenario(1, 3, 7);
      await clickhouse.insert('bronze.stg_events', rows!.map((row, index) => ({ event_id: row.event_id, user_name: row.user_name, category: row.category, source: row.source, value: 0, event_time: hourText(0), _batch_id: batchOf(0).batchId, _window_start: batchOf(0).windowStart, _row: index })));
      await assert.rejects(silver.updateDimUsers(clickhouse, batchOf(0)), /has no event ids in silver\.event_ids \(run transform_silver first\)/);
      assert.deepEqual(await storedDimension(clickhouse), []);
    } finally {
      await pipeline.close();
    }
  });
});

describe('silver.dim_users of the earlier layout', () => {
  it('is migrated by upgradeTables (ensure_all_tables): the same versions keyed by (valid_to, user_name), whatever an interrupted attempt left, and a rerun changes nothing', async () => {
    const pipeline = await openTestPipeline();
    try {
      const clickhouse = await pipeline.engines.clickhouse();
      await clickhouse.command('CREATE DATABASE IF NOT EXISTS silver');
      await clickhouse.command(
        `CREATE TABLE silver.dim_users (user_key UInt64 DEFAULT cityHash64(user_name, valid_from), user_name String, primary_category LowCardinality(String), primary_source LowCardinality(String),
           valid_from DateTime('UTC'), valid_to DateTime('UTC'), is_current UInt8, last_seen_date Date, total_events UInt64, total_value Float64, is_revenue_user UInt8, _version UInt64, _is_deleted UInt8)
         ENGINE = ReplacingMergeTree(_version, _is_deleted) ORDER BY (user_name, valid_from)`,
      );
      const version = (user: string, from: number, to: number | undefined, category: string, written: number, deleted = 0) => ({
        user_name: user, primary_category: category, primary_source: 'web', valid_from: hourText(from), valid_to: to === undefined ? OPEN_END : hourText(to), is_current: to === undefined ? 1 : 0,
        last_seen_date: to === undefined ? '2026-11-20' : '1970-01-01', total_events: to === undefined ? 9 : 0, total_value: to === undefined ? 12.34 : 0, is_revenue_user: to === undefined ? 1 : 0, _version: written, _is_deleted: deleted,
      });
      await clickhouse.insert('silver.dim_users', [
        version('ann', 0, 2, 'click', 1), version('ann', 2, undefined, 'purchase', 1), version('bob', 1, undefined, 'search', 1),
        // Replaced and removed rows of the earlier layout: only what FINAL shows is copied.
        version('cat', 0, undefined, 'click', 1), version('cat', 0, 3, 'click', 2), version('cat', 3, undefined, 'search', 2), version('dan', 1, undefined, 'click', 1), version('dan', 1, undefined, 'click', 2, 1),
      ]);
      const before = await storedDimension(clickhouse);
      // What a copy cut short by a crash leaves: dropped and made again.
      await clickhouse.command('CREATE TABLE silver.dim_users_next AS silver.dim_users');
      await clickhouse.insert('silver.dim_users_next', [version('eve', 0, undefined, 'click', 1)]);
      await bronze.createTables(clickhouse);
      await silver.createTables(clickhouse);
      assert.equal(await silver.upgradeTables(clickhouse), true);
      const [table] = await chRows<{ sorting_key: string }>(pipeline, "SELECT sorting_key FROM system.tables WHERE database = 'silver' AND name = 'dim_users'");
      assert.equal(table!.sorting_key, 'valid_to, user_name');
      assert.deepEqual(await storedDimension(clickhouse), before);
      assert.equal(before.length, 5);
      const [keys] = await chRows<{ mismatched: number }>(pipeline, 'SELECT countIf(user_key != cityHash64(user_name, valid_from)) AS mismatched FROM silver.dim_users FINAL');
      assert.equal(keys!.mismatched, 0);
      assert.deepEqual(await chRows(pipeline, "SELECT name FROM system.tables WHERE database = 'silver' AND name LIKE 'dim_users%'"), [{ name: 'dim_users' }]);
      await silver.createTables(clickhouse);
      assert.equal(await silver.upgradeTables(clickhouse), false);
      assert.deepEqual(await storedDimension(clickhouse), before);
    } finally {
      await pipeline.close();
    }
  });
});
