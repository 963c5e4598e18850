/**
 * chDB never deletes the data parts its merges replaced; the embedded warehouse does, when it closes, once
 * they are older than MEDALLION_OLD_PARTS_LIFETIME_SECONDS (src/engines/replaced-parts.ts). Real chDB homes,
 * real merges, a real SIGKILL in the middle of the deletion.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../src/config.js';
import { runSmallWindow as run, scriptOutput } from './cli.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'medallion-parts-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const script = (name: string, home: string) => scriptOutput(name, [home]);

/** Every directory in the home's table stores whose name starts with delete_tmp_. */
async function doomedDirectories(home: string): Promise<string[]> {
  const store = path.join(home, 'clickhouse', 'store');
  const found: string[] = [];
  for (const prefix of await readdir(store)) {
    for (const table of await readdir(path.join(store, prefix))) {
      const entries = await readdir(path.join(store, prefix, table)).catch(() => [] as string[]);
      found.push(...entries.filter((entry) => entry.startsWith('delete_tmp_')));
    }
  }
  return found;
}

describe('the data parts merges replace', () => {
  it('MEDALLION_OLD_PARTS_LIFETIME_SECONDS is 480 by default and takes whole seconds', () => {
    const embedded = (env: Record<string, string>) => loadConfig(env).clickhouse as { oldPartsLifetimeSeconds: number };
    assert.equal(embedded({}).oldPartsLifetimeSeconds, 480);
    assert.equal(embedded({ MEDALLION_OLD_PARTS_LIFETIME_SECONDS: '0' }).oldPartsLifetimeSeconds, 0);
    for (const value of ['-1', '1.5', 'soon']) assert.throws(() => loadConfig({ MEDALLION_OLD_PARTS_LIFETIME_SECONDS: value }), /MEDALLION_OLD_PARTS_LIFETIME_SECONDS/, value);
  });

  it('are kept within the lifetime, deleted by the first close past it, and a SIGKILL mid-deletion loses nothing: the home then equals one never cleaned', async () => {
    const homes = { clean: path.join(dir, 'clean'), cleaned: path.join(dir, 'cleaned') };
    const replaced: Record<string, string[]> = {};
    for (const [name, home] of Object.entries(homes)) {
      assert.equal((await run(home, '2026-11-20T10:00Z')).code, 0);
      // OPTIMIZE … FINAL rewrites even a partition's only part: every table's parts are replaced.
      replaced[name] = (await script('test/merge-home.ts', home)) as string[];
      // Within the default lifetime (480 s), a window's close keeps them.
      assert.equal((await run(home, '2026-11-20T11:00Z')).code, 0);
    }
    const parts = replaced.cleaned!;
    assert.ok(parts.length >= 10, `the merges replaced ${parts.length} parts`);
    assert.ok(parts.every((part) => existsSync(part)), 'chDB left every replaced part on disk, and the default lifetime kept them');

    const killed = await run(homes.cleaned, '2026-11-20T12:00Z', { MEDALLION_OLD_PARTS_LIFETIME_SECONDS: '0', MEDALLION_KILL_AT: 'mid:remove_replaced_parts' });
    assert.equal(killed.signal, 'SIGKILL', killed.stderr);
    assert.match(killed.stderr, /SIGKILL at mid:remove_replaced_parts/);
    assert.equal((await doomedDirectories(homes.cleaned)).length, 1, 'the crash left the part it was deleting renamed, whole or not');

    const rerun = await run(homes.cleaned, '2026-11-20T12:00Z', { MEDALLION_OLD_PARTS_LIFETIME_SECONDS: '0' });
    assert.equal(rerun.code, 0, rerun.stderr);
    assert.deepEqual(parts.filter((part) => existsSync(part)), [], 'every replaced part is gone');
    assert.deepEqual(await doomedDirectories(homes.cleaned), []);
    assert.equal((await run(homes.clean, '2026-11-20T12:00Z')).code, 0);
    assert.ok(replaced.clean!.every((part) => existsSync(part)), 'the clean home kept its replaced parts');

    const [after, expected] = [await script('test/faults/dump.ts', homes.cleaned), await script('test/faults/dump.ts', homes.clean)];
    assert.ok(((expected as Record<string, { rows?: number }>)['silver.fact_events']?.rows ?? 0) > 0);
    assert.deepEqual(after, expected);
  });
});
