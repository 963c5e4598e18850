/**
 * A home of the release before hourly_batch_totals is upgraded by its next ensure_all_tables (the new
 * projection built, the two it replaced dropped: src/layers/silver/repository.ts upgradeTables); a SIGKILL
 * while a projection is being dropped loses nothing. Real chDB homes, the real CLI, a real SIGKILL.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runSmallWindow as run, scriptOutput } from './cli.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'medallion-upgrade-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const script = ([name, ...args]: string[]) => scriptOutput(name!, args);

describe("silver of an earlier release's projections", () => {
  it('is upgraded by the next window, and a SIGKILL while a replaced projection is dropped loses nothing: the home then equals one upgraded uninterrupted', async () => {
    const homes = { killed: path.join(dir, 'killed'), clean: path.join(dir, 'clean') };
    for (const home of Object.values(homes)) {
      assert.equal((await run(home, '2026-11-20T10:00Z')).code, 0);
      assert.deepEqual(await script(['test/earlier-projections.ts', home]), ['batch_hours', 'daily_totals', 'hourly_totals', 'user_totals']);
    }

    const killed = await run(homes.killed, '2026-11-20T11:00Z', { MEDALLION_KILL_AT: 'mid:ensure_all_tables' });
    assert.equal(killed.signal, 'SIGKILL', killed.stderr);
    assert.match(killed.stderr, /SIGKILL at mid:ensure_all_tables/);
    const rerun = await run(homes.killed, '2026-11-20T11:00Z');
    assert.equal(rerun.code, 0, rerun.stderr);
    assert.equal((await run(homes.clean, '2026-11-20T11:00Z')).code, 0);

    for (const home of Object.values(homes)) {
      assert.deepEqual(await script(['test/earlier-projections.ts', home, '--list']), ['daily_totals', 'hourly_batch_totals', 'user_totals'], home);
    }
    const [upgraded, expected] = [await script(['test/faults/dump.ts', homes.killed]), await script(['test/faults/dump.ts', homes.clean])];
    assert.ok(((expected as Record<string, { rows?: number }>)['silver.fact_events']?.rows ?? 0) > 0);
    assert.deepEqual(upgraded, expected);
  });
});
