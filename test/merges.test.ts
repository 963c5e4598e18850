/**
 * The embedded ClickHouse's merges: capped in size (src/layers/schema.ts, capMerges), and waited for when it
 * closes instead of thrown away for the next process to begin again (src/engines/running-merges.ts). Real chDB
 * homes, a real merge of 18 M rows caught running, a real SIGKILL while the close waits for it.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../src/config.js';
import { baseEnv, medallion, runScript, runSmallWindow as run, scriptOutput } from './cli.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'medallion-merges-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Merge {
  part: string;
  progress: number;
  /** Active parts once the inserts were done. */
  parts: number;
}
interface Parts {
  parts: string[];
  rows: number;
  checksum: string;
}

/** Six inserts, closed while a merge of them runs (test/merge-at-close.ts); the merge it caught. */
async function closeWhileMerging(home: string, env: Record<string, string>): Promise<{ merge?: Merge; code: number | null; signal: string | null; stderr: string }> {
  const result = await runScript('test/merge-at-close.ts', [home, 'merge'], env, baseEnv());
  return { ...(result.stdout ? { merge: JSON.parse(result.stdout) as Merge } : {}), code: result.code, signal: result.signal, stderr: result.stderr };
}
const inspect = async (home: string) => (await scriptOutput('test/merge-at-close.ts', [home, 'inspect'])) as Parts;

describe('the embedded ClickHouse merges parts of MEDALLION_MERGE_MAX_MB at most', () => {
  it('is 512 by default, a whole number of MB', () => {
    const embedded = (env: Record<string, string>) => loadConfig(env).clickhouse as { mergeMaxMb: number };
    assert.equal(embedded({}).mergeMaxMb, 512);
    assert.equal(embedded({ MEDALLION_MERGE_MAX_MB: '64' }).mergeMaxMb, 64);
    for (const value of ['0', '-1', '1.5', 'big']) assert.throws(() => loadConfig({ MEDALLION_MERGE_MAX_MB: value }), /MEDALLION_MERGE_MAX_MB/, value);
  });

  it('every pipeline table gets the cap when created, and a new cap at the next window', async () => {
    const home = path.join(dir, 'capped');
    const caps = async () => {
      const answer = await medallion(['query', '--json', "SELECT concat(database, '.', name) AS table, toUInt64OrZero(extract(engine_full, 'max_bytes_to_merge_at_max_space_in_pool = (\\d+)')) AS cap FROM system.tables WHERE database IN ('catalog', 'bronze', 'silver', 'gold') AND engine LIKE '%MergeTree' ORDER BY table"], { MEDALLION_HOME: home }, baseEnv());
      assert.equal(answer.code, 0, answer.stderr);
      return JSON.parse(answer.stdout) as { table: string; cap: number }[];
    };
    assert.equal((await run(home, '2026-11-20T10:00Z')).code, 0);
    const first = await caps();
    assert.ok(first.some((row) => row.table === 'silver.fact_events') && first.length >= 15, first.map((row) => row.table).join(', '));
    assert.deepEqual(first.filter((row) => Number(row.cap) !== 512 * 2 ** 20), [], 'every MergeTree table of the pipeline caps its merges at 512 MB');
    assert.equal((await run(home, '2026-11-20T11:00Z', { MEDALLION_MERGE_MAX_MB: '64' })).code, 0);
    assert.deepEqual((await caps()).filter((row) => Number(row.cap) !== 64 * 2 ** 20), [], 'and at 64 MB once configured so');
  });
});

describe('merges running when the embedded ClickHouse closes', () => {
  it('MEDALLION_MERGE_WAIT_SECONDS is 60 by default and takes whole seconds, 0 to close at once', () => {
    const embedded = (env: Record<string, string>) => loadConfig(env).clickhouse as { mergeWaitSeconds: number };
    assert.equal(embedded({}).mergeWaitSeconds, 60);
    assert.equal(embedded({ MEDALLION_MERGE_WAIT_SECONDS: '0' }).mergeWaitSeconds, 0);
    for (const value of ['-1', '2.5', 'later', '3601']) assert.throws(() => loadConfig({ MEDALLION_MERGE_WAIT_SECONDS: value }), /MEDALLION_MERGE_WAIT_SECONDS/, value);
  });

  it('are finished before the close, where closing at once throws them away', async () => {
    const waited = path.join(dir, 'waited');
    const closed = path.join(dir, 'closed');
    const merges = { waited: await closeWhileMerging(waited, {}), closed: await closeWhileMerging(closed, { MEDALLION_MERGE_WAIT_SECONDS: '0' }) };
    for (const [name, result] of Object.entries(merges)) {
      assert.equal(result.code, 0, result.stderr);
      assert.ok(result.merge && result.merge.progress < 1, `${name}: a merge was running when the home closed (${JSON.stringify(result.merge)})`);
    }
    const [kept, cut] = [await inspect(waited), await inspect(closed)];
    assert.equal(kept.rows, 18_000_000);
    assert.deepEqual({ rows: cut.rows, checksum: cut.checksum }, { rows: kept.rows, checksum: kept.checksum }, 'the same rows either way');
    assert.ok(kept.parts.includes(merges.waited.merge!.part), `the merge finished: ${merges.waited.merge!.part} among ${kept.parts.join(', ')}`);
    assert.ok(!cut.parts.includes(merges.closed.merge!.part), `closed at once, the merge was thrown away: ${cut.parts.join(', ')}`);
    assert.equal(cut.parts.length, merges.closed.merge!.parts, 'the parts it would have merged are all still there');
  });

  it('a SIGKILL while the close waits loses nothing: the next close finishes the merge, and the pipeline tables equal those of a home never killed', async () => {
    const killed = path.join(dir, 'killed');
    const clean = path.join(dir, 'clean');
    for (const home of [killed, clean]) assert.equal((await run(home, '2026-11-20T10:00Z')).code, 0);

    const crash = await closeWhileMerging(killed, { MEDALLION_KILL_AT: 'mid:finish_merges' });
    assert.equal(crash.signal, 'SIGKILL', crash.stderr);
    assert.match(crash.stderr, /SIGKILL at mid:finish_merges/);
    const afterCrash = await inspect(killed);
    assert.equal(afterCrash.rows, 18_000_000);
    assert.equal(afterCrash.parts.length, crash.merge?.parts, `the merge died with the process, its inputs intact: ${afterCrash.parts.join(', ')}`);
    assert.equal((await closeWhileMerging(clean, {})).code, 0);

    // The next window's process merges again, and its close waits for it.
    for (const home of [killed, clean]) assert.equal((await run(home, '2026-11-20T11:00Z')).code, 0);
    const [repaired, expected] = [await inspect(killed), await inspect(clean)];
    assert.deepEqual({ rows: repaired.rows, checksum: repaired.checksum }, { rows: expected.rows, checksum: expected.checksum });
    assert.ok(repaired.parts.length < afterCrash.parts.length, `the next close finished a merge: ${repaired.parts.join(', ')}`);

    const [after, reference] = [await scriptOutput('test/faults/dump.ts', [killed]), await scriptOutput('test/faults/dump.ts', [clean])];
    assert.ok(((reference as Record<string, { rows?: number }>)['silver.fact_events']?.rows ?? 0) > 0);
    assert.deepEqual(after, reference);
  });
});
