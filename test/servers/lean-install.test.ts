/**
 * The server-only install the README documents: `npm ci --omit=optional` in a copy of this checkout, from
 * an empty npm cache, leaves chDB and PGlite out (the build does not need them). A process configured with
 * server URLs never loads them: `medallion run` against an unreachable ClickHouse server and the real
 * PostgreSQL server fails naming the ClickHouse server, not a missing module; the embedded engines, when
 * chosen, say what to install.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { baseEnv } from '../cli.js';
import { NO_SERVERS, ROOT, servers, serverTargets } from './helpers.js';

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function run(command: string, args: readonly string[], options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number }): Promise<Result> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd: options.cwd, env: options.env, timeout: options.timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

/** A loopback port nothing listens on: a ClickHouse server that is down. */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe('a server-only install (npm ci --omit=optional)', { skip: NO_SERVERS }, () => {
  let copy: string;
  let cache: string;
  let home: string;
  let installed: Result;
  const medallion = (args: readonly string[], env: Record<string, string>) =>
    run(process.execPath, [path.join(copy, 'dist/cli/main.js'), ...args], { cwd: copy, env: { ...baseEnv(), MEDALLION_HOME: home, ...env }, timeoutMs: 120_000 });

  before(async () => {
    copy = await mkdtemp(path.join(os.tmpdir(), 'medallion-lean-'));
    cache = await mkdtemp(path.join(os.tmpdir(), 'medallion-lean-cache-'));
    home = path.join(copy, '.medallion');
    // The checkout's files as git knows them (committed or new, never ignored ones: no node_modules, no dist/).
    const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' }).split('\0').filter(Boolean);
    for (const file of files) {
      if (!existsSync(path.join(ROOT, file))) continue;
      await mkdir(path.dirname(path.join(copy, file)), { recursive: true });
      await copyFile(path.join(ROOT, file), path.join(copy, file));
    }
    // An empty cache: every package comes from the registry, as on a new machine.
    installed = await run('npm', ['ci', '--omit=optional', '--no-audit', '--no-fund'], {
      cwd: copy,
      env: { ...baseEnv(), npm_config_cache: cache, npm_config_update_notifier: 'false' },
      timeoutMs: 300_000,
    });
  });
  after(async () => {
    await rm(copy, { recursive: true, force: true });
    await rm(cache, { recursive: true, force: true });
  });

  it('installs and builds without chDB and PGlite', () => {
    assert.equal(installed.code, 0, installed.stderr);
    assert.ok(existsSync(path.join(copy, 'dist/cli/main.js')), 'prepare built dist/');
    for (const omitted of ['chdb', '@electric-sql/pglite']) assert.ok(!existsSync(path.join(copy, 'node_modules', omitted)), `${omitted} is not installed`);
    assert.ok(existsSync(path.join(copy, 'node_modules/@clickhouse/client')) && existsSync(path.join(copy, 'node_modules/pg')), 'the server clients are');
  });

  it('runs against servers without loading them: an unreachable ClickHouse server is named, not a missing module', async () => {
    const port = await closedPort();
    const result = await medallion(['run', '--from', '2026-11-20T10:00Z'], { ...serverTargets('lean'), MEDALLION_CLICKHOUSE_URL: `http://etl:${encodeURIComponent('p@ss/w0rd')}@127.0.0.1:${port}`, MEDALLION_TASK_RETRIES: '0' });
    assert.equal(result.code, 1, result.stderr);
    const lines = result.stderr.trim().split('\n');
    assert.match(lines.at(-1)!, new RegExp(`^medallion: ClickHouse server http://etl:\\*\\*\\*@127\\.0\\.0\\.1:${port} is unreachable while .* \\(connect ECONNREFUSED 127\\.0\\.0\\.1:${port}\\); check that it is running and reachable, then rerun the window$`));
    assert.doesNotMatch(result.stderr, /Cannot find|not installed|chdb|pglite|@clickhouse\/client/i);
    assert.doesNotMatch(result.stderr + result.stdout, /p@ss|w0rd|p%40ss/);
    assert.equal(result.stdout, '');
  });

  it('says what to install when a command needs an embedded engine', async () => {
    const clickhouse = await medallion(['query', 'SELECT 1'], {});
    assert.equal(clickhouse.code, 2, clickhouse.stderr);
    assert.match(clickhouse.stderr, /^medallion: MEDALLION_CLICKHOUSE_URL is not set, so chDB \(embedded ClickHouse\) would run in this process, but the package chdb is not installed \(a server-only install, npm ci --omit=optional, leaves it out\)\. Install the optional dependencies \(npm ci\), or set MEDALLION_CLICKHOUSE_URL to a server\.\n$/);

    const port = await closedPort();
    const postgres = await medallion(['query', '--target', 'postgres', 'SELECT 1'], { MEDALLION_CLICKHOUSE_URL: `http://127.0.0.1:${port}` });
    assert.equal(postgres.code, 2, postgres.stderr);
    assert.match(postgres.stderr, /^medallion: MEDALLION_POSTGRES_URL is not set, so PGlite \(embedded PostgreSQL\) would run in this process, but the package @electric-sql\/pglite is not installed .* or set MEDALLION_POSTGRES_URL to a server\.\n$/);
  });

  it('answers from the PostgreSQL server alone, exactly', async () => {
    const port = await closedPort();
    const answer = await medallion(['query', '--target', 'postgres', '--json', "SELECT 9223372036854775807::int8 AS big, DATE '2026-11-23' AS day"], { MEDALLION_CLICKHOUSE_URL: `http://127.0.0.1:${port}`, MEDALLION_POSTGRES_URL: servers().postgresUrl });
    assert.equal(answer.code, 0, answer.stderr);
    assert.match(answer.stdout, /"big": 9223372036854775807,/);
    assert.match(answer.stdout, /"day": "2026-11-23"/);
  });
});
