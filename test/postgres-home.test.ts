/**
 * A new home's embedded PostgreSQL: made from the template the build writes (src/engines/pglite.ts), by initdb
 * when the template cannot be loaded, and made again after a crash left it half written.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PGlite } from '@electric-sql/pglite';
import { openPglite, writePgliteTemplate } from '../src/engines/pglite.js';
import { medallion, runScript } from './cli.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'medallion-postgres-home-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const tablesOf = async (db: Awaited<ReturnType<typeof openPglite>>) =>
  (await db.query<{ tablename: string }>("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")).rows.map((row) => row.tablename);

describe('a new embedded PostgreSQL data directory', () => {
  it('is loaded from the template: what the template holds is there, and what is written after survives a reopen', async () => {
    // A template holding a table of its own shows that the directory came from it and not from initdb.
    const source = await PGlite.create({ dataDir: path.join(dir, 'source') });
    await source.query('CREATE TABLE from_template (x int)');
    const template = path.join(dir, 'marked.tar.gz');
    await writeFile(template, Buffer.from(await (await source.dumpDataDir('gzip')).arrayBuffer()));
    await source.close();

    const dataDir = path.join(dir, 'loaded', 'postgres');
    const db = await openPglite(dataDir, template);
    assert.deepEqual(await tablesOf(db), ['from_template']);
    await db.query('INSERT INTO from_template VALUES (1), (2), (3)');
    await db.close();
    assert.equal(existsSync(`${dataDir}.initializing`), false, 'the marker is gone once the directory opened');

    const reopened = await openPglite(dataDir, template);
    assert.deepEqual((await reopened.query<{ total: number }>('SELECT sum(x)::int AS total FROM from_template')).rows, [{ total: 6 }]);
    assert.deepEqual((await reopened.query<{ shared_buffers: string }>('SHOW shared_buffers')).rows, [{ shared_buffers: '16MB' }]);
    await reopened.close();
  });

  it('is made by initdb when the template cannot be loaded', async () => {
    const template = path.join(dir, 'broken.tar.gz');
    await writeFile(template, 'not a tar');
    const dataDir = path.join(dir, 'initdb', 'postgres');
    const db = await openPglite(dataDir, template);
    await db.query('CREATE TABLE t (x int)');
    assert.deepEqual(await tablesOf(db), ['t']);
    await db.close();
    assert.equal(existsSync(`${dataDir}.initializing`), false);
  });

  it('the build writes a template of a fresh directory (a gzipped tar PGlite loads)', async () => {
    const template = path.join(dir, 'built.tar.gz');
    await writePgliteTemplate(template);
    const bytes = await readFile(template);
    assert.deepEqual([...bytes.subarray(0, 2)], [0x1f, 0x8b], 'gzip');
    assert.ok(bytes.length > 1_000_000 && bytes.length < 20_000_000, `${bytes.length} bytes`);
    const db = await openPglite(path.join(dir, 'built', 'postgres'), template);
    assert.deepEqual(await tablesOf(db), []);
    assert.deepEqual((await db.query<{ version: string }>('SHOW server_version')).rows.length, 1);
    await db.close();
  });
});

describe('a new home killed while its PostgreSQL directory is made', () => {
  it('is made again by the rerun, which then equals a run never killed (every table, both replicas, the lake)', async () => {
    const env = { MEDALLION_EVENTS_PER_HOUR: '1000', MEDALLION_SEED: '7', MEDALLION_TASK_RETRIES: '0' };
    const homes = { clean: path.join(dir, 'clean'), killed: path.join(dir, 'killed') };
    const window = ['run', '--from', '2026-11-20T10:00Z'];

    const killed = await medallion(window, { ...env, MEDALLION_HOME: homes.killed, MEDALLION_KILL_AT: 'mid:new_postgres_home' });
    assert.equal(killed.signal, 'SIGKILL', killed.stderr);
    assert.match(killed.stderr, /SIGKILL at mid:new_postgres_home/);
    const dataDir = path.join(homes.killed, 'postgres');
    assert.ok(existsSync(`${dataDir}.initializing`), 'the marker outlives the crash');
    // What a crash partway through writing the directory leaves: files missing. Opened as it is, PostgreSQL would not start.
    await rm(path.join(dataDir, 'global', 'pg_control'));

    const rerun = await medallion(window, { ...env, MEDALLION_HOME: homes.killed });
    assert.equal(rerun.code, 0, rerun.stderr);
    assert.equal(existsSync(`${dataDir}.initializing`), false);

    const clean = await medallion(window, { ...env, MEDALLION_HOME: homes.clean });
    assert.equal(clean.code, 0, clean.stderr);
    const dump = async (home: string) => {
      const result = await runScript('test/faults/dump.ts', [home]);
      assert.equal(result.code, 0, result.stderr);
      return JSON.parse(result.stdout) as Record<string, { rows?: number }>;
    };
    const [after, expected] = [await dump(homes.killed), await dump(homes.clean)];
    assert.ok((expected['postgres.agg_events_hourly']?.rows ?? 0) > 0, 'the clean run delivered to PostgreSQL');
    assert.deepEqual(after, expected);
  });
});
