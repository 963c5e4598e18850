import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../src/config.js';
import { openEngines } from '../src/engines/index.js';
import { writtenDataset } from '../src/pipeline/datasets.js';
import { PIPELINE } from '../src/pipeline/graph.js';
import { medallion, medallionOnTerminal, startMedallion } from './cli.js';

describe('the medallion command line', () => {
  let home: string;
  let env: Record<string, string>;

  before(async () => {
    home = await mkdtemp(path.join(os.tmpdir(), 'medallion-cli-'));
    env = { MEDALLION_HOME: home, MEDALLION_EVENTS_PER_HOUR: '2000' };
  });
  after(() => rm(home, { recursive: true, force: true }));

  it('prints the task graph declared once, with the seed\'s 15 tasks and edges', async () => {
    const result = await medallion(['dag', '--json']);
    assert.equal(result.code, 0);
    const { tasks } = JSON.parse(result.stdout) as { tasks: { id: string; upstream: string[] }[] };
    assert.equal(tasks.length, 15);
    assert.deepEqual(tasks.map((task) => [task.id, task.upstream]), PIPELINE.map((task) => [task.id, [...task.upstream]]));
    assert.deepEqual(tasks.find((task) => task.id === 'verify_pipeline')?.upstream, ['aggregate_gold_hourly', 'aggregate_gold_daily']);
    const edges = tasks.flatMap((task) => task.upstream.map((upstream) => `${upstream}>${task.id}`));
    assert.equal(edges.length, 15);
  });

  it('prints each task\'s declared reads and writes beside the graph, the source and schema unresolved', async () => {
    const result = await medallion(['dag', '--json']);
    const { tasks } = JSON.parse(result.stdout) as { tasks: { id: string; reads: string[]; writes: string[] }[] };
    const byId = new Map(tasks.map((task) => [task.id, task]));
    assert.deepEqual(byId.get('load_bronze'), { ...byId.get('load_bronze'), reads: ['{source}'], writes: ['bronze.stg_events', 'catalog.source_files'] });
    assert.deepEqual(byId.get('transform_silver')?.reads, ['bronze.stg_events']);
    assert.deepEqual(byId.get('transform_silver')?.writes, ['silver.event_ids', 'silver.fact_events']);
    assert.deepEqual(byId.get('load_aurora')?.writes, ['postgres.{schema}.agg_events_hourly', 'postgres.{schema}.rpt_daily_summary']);
    assert.deepEqual(tasks.map((task) => [task.id, task.reads, task.writes]), PIPELINE.map((task) => [task.id, [...task.reads], task.writes.map(writtenDataset)]));
  });

  it('runs a window, reports it in status, and answers ad hoc queries on both engines', async () => {
    const run = await medallion(['run', '--from', '2026-11-20T10:00Z', '--json'], env);
    assert.equal(run.code, 0, run.stderr);
    const [outcome] = JSON.parse(run.stdout) as { run_id: string; status: string; tasks: { id: string; status: string }[] }[];
    assert.equal(outcome!.status, 'success');
    assert.match(run.stderr, /✓ load_bronze/, 'progress goes to stderr');

    const status = await medallion(['status', '--json'], env);
    assert.equal(status.code, 0, status.stderr);
    const [row] = JSON.parse(status.stdout) as { run_id: string; status: string; bronze_rows: number; quarantined_rows: number }[];
    assert.deepEqual({ run_id: row!.run_id, status: row!.status, bronze_rows: row!.bronze_rows }, { run_id: 'scheduled__2026-11-20T10:00:00+00:00', status: 'success', bronze_rows: 2050 });

    const clickhouse = await medallion(['query', '--format', 'json', 'SELECT sum(event_count) AS events FROM gold.agg_events_hourly FINAL'], env);
    const postgres = await medallion(['query', '--target', 'postgres', '--format', 'json', 'SELECT sum(event_count)::int AS events FROM medallion_etl.agg_events_hourly'], env);
    assert.equal(clickhouse.code, 0, clickhouse.stderr);
    const events = (JSON.parse(clickhouse.stdout) as { events: number }[])[0]!.events;
    assert.ok(events > 1500);
    assert.deepEqual(JSON.parse(postgres.stdout), [{ events }]);
  });

  it('runs a single task the way Airflow calls it, and fails with a non-zero exit and the error on stderr', async () => {
    const ok = await medallion(['task', 'verify_pipeline', '--start', '2026-11-20T10:00:00Z', '--end', '2026-11-20T11:00:00Z', '--run-id', 'scheduled__2026-11-20T10:00:00+00:00', '--json'], env);
    assert.equal(ok.code, 0, ok.stderr);
    const result = JSON.parse(ok.stdout.trim().split('\n').at(-1)!) as { task: string; metrics: Record<string, number>; summary: string };
    assert.equal(result.task, 'verify_pipeline');
    assert.match(result.summary, /^bronze 2050 = quarantined \d+ \+ silver_new \d+/);

    const failing = await medallion(['task', 'load_bronze', '--start', '2026-11-20T11:00Z'], { ...env, MEDALLION_FAIL_TASK: 'load_bronze' });
    assert.equal(failing.code, 1);
    assert.match(failing.stderr, /fault injected by MEDALLION_FAIL_TASK=load_bronze/);

    const marked = await medallion(['fail-run', '--start', '2026-11-20T11:00Z', '--task', 'load_bronze'], env);
    assert.equal(marked.code, 0, marked.stderr);
    const status = await medallion(['status', '--json', '--run-id', 'scheduled__2026-11-20T11:00:00+00:00'], env);
    const [failedRun] = JSON.parse(status.stdout) as { status: string; failed_task: string; error: string }[];
    assert.deepEqual(failedRun, { ...failedRun, status: 'failed', failed_task: 'load_bronze', error: 'fault injected by MEDALLION_FAIL_TASK=load_bronze' }, 'fail-run takes the error the failed attempt recorded');

    // A run that succeeded is never turned into a failure on request.
    const refused = await medallion(['fail-run', '--start', '2026-11-20T10:00Z', '--task', 'load_bronze'], env);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /Run scheduled__2026-11-20T10:00:00\+00:00 succeeded; refusing to mark it failed/);
    const stillSucceeded = await medallion(['status', '--json', '--run-id', 'scheduled__2026-11-20T10:00:00+00:00'], env);
    assert.equal((JSON.parse(stillSucceeded.stdout) as { status: string }[])[0]!.status, 'success');

    const unknown = await medallion(['task', 'no_such_task', '--start', '2026-11-20T11:00Z'], env);
    assert.equal(unknown.code, 2, 'a usage error');
    assert.match(unknown.stderr, /Unknown task "no_such_task"/);
  });

  it('waits a bounded time for embedded engines held by another process, then says who holds them', async () => {
    const engines = await openEngines(loadConfig(env));
    try {
      const result = await medallion(['status'], { ...env, MEDALLION_LOCK_TIMEOUT_MS: '500' });
      assert.equal(result.code, 1);
      assert.match(result.stderr, new RegExp(`MEDALLION_HOME ${home} is held by pid ${process.pid} on `));
      assert.match(result.stderr, /MEDALLION_LOCK_TIMEOUT_MS/);
    } finally {
      await engines.close();
    }
  });

  it('explains itself with --help and rejects bad arguments', async () => {
    const help = await medallion(['--help']);
    assert.equal(help.code, 0);
    for (const command of ['start', 'run', 'task', 'status', 'query', 'dag']) assert.match(help.stdout, new RegExp(`\\n  ${command}\\b`));
    const bad = await medallion(['run', '--from', 'yesterday'], env);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /"yesterday" is not an ISO-8601 time/);
  });

  it('prints its version, and a usage error as one line with exit 2 (a failed run exits 1)', async () => {
    const version = await medallion(['--version']);
    assert.equal(version.code, 0);
    assert.equal(version.stdout, `${(JSON.parse(await readFile('package.json', 'utf8')) as { version: string }).version}\n`);
    const help = await medallion(['--help']);
    assert.match(help.stdout, /Exit status: 0 success; 1 a run, task or query failed; 2 a usage or configuration error/);

    const usageErrors: [string[], RegExp][] = [
      [['bogus'], /^medallion: unknown command 'bogus' \(see medallion --help\)\n$/],
      [['run', '--from', '2026-11-20T10:00Z', '--bogus'], /^medallion: unknown option '--bogus' \(see medallion run --help\)\n$/],
      [['run'], /^medallion: required option '--from <time>' not specified \(see medallion run --help\)\n$/],
      [['run', '--from', '2026-11-20T10:30Z'], /^medallion: option '--from <time>' argument '2026-11-20T10:30Z' is invalid\. "2026-11-20T10:30Z" is not the start of an hour: windows are whole UTC hours \(the hour holding it starts at 2026-11-20T10:00Z\) \(see medallion run --help\)\n$/],
      [['run', '--from', '2026-11-20T11:00Z', '--to', '2026-11-20T10:00Z'], /^medallion: --to must be after --from/],
      [['task', 'load_bronze', '--start', '2026-11-20T10:00Z', '--end', '2026-11-20T12:00Z'], /^medallion: --end must be exactly one hour after --start/],
      [['fail-run', '--start', '2026-11-20T10:00Z', '--task', 'nope'], /^medallion: option '--task <task_id>' argument 'nope' is invalid\. Unknown task "nope"\./],
      [['sources', 'list'], /^Invalid configuration: MEDALLION_SOURCE is not set/],
    ];
    for (const [args, message] of usageErrors) {
      const result = await medallion(args, env);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, message, args.join(' '));
      assert.equal(result.stderr.trim().split('\n').length, 1, `${args.join(' ')} prints one line, not the help: ${result.stderr}`);
      assert.equal(result.stdout, '');
    }
  });

  it('says there are no runs yet on an empty home, and creates nothing there', async () => {
    const empty = path.join(home, 'never-used');
    const text = await medallion(['status'], { ...env, MEDALLION_HOME: empty });
    assert.equal(text.code, 0, text.stderr);
    assert.equal(text.stdout, `No runs yet in ${empty}: medallion start, or medallion run --from <hour>, makes some.\n`);
    const json = await medallion(['status', '--json'], { ...env, MEDALLION_HOME: empty });
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(JSON.parse(json.stdout), []);
    assert.equal(existsSync(empty), false, 'status left no file behind');
  });

  it('names every --json key in snake_case, on every command', async () => {
    const upperCaseKeys = (value: unknown, at = '$'): string[] =>
      Array.isArray(value)
        ? value.flatMap((inner, index) => upperCaseKeys(inner, `${at}[${index}]`))
        : value && typeof value === 'object'
          ? Object.entries(value).flatMap(([key, inner]) => [...(/[A-Z]/.test(key) ? [`${at}.${key}`] : []), ...upperCaseKeys(inner, `${at}.${key}`)])
          : [];
    const outputs = {
      run: await medallion(['run', '--from', '2026-11-20T10:00Z', '--redo', '--json'], env),
      task: await medallion(['task', 'verify_pipeline', '--start', '2026-11-20T10:00Z', '--json'], env),
      status: await medallion(['status', '--json'], env),
      'fail-run': await medallion(['fail-run', '--start', '2026-11-20T12:00Z', '--task', 'load_bronze', '--error', 'stopped by hand', '--json'], env),
      query: await medallion(['query', '--json', 'SELECT 1 AS one'], env),
      dag: await medallion(['dag', '--json'], env),
    };
    for (const [command, result] of Object.entries(outputs)) {
      assert.equal(result.code, 0, `${command}: ${result.stderr}`);
      assert.deepEqual(upperCaseKeys(JSON.parse(result.stdout)), [], command);
    }
    const [outcome] = JSON.parse(outputs.run.stdout) as Record<string, unknown>[];
    assert.deepEqual(Object.keys(outcome!).sort(), ['duration_ms', 'peak_rss_mb', 'run_id', 'status', 'tasks', 'window_start']);
    assert.deepEqual(Object.keys((outcome!.tasks as { result: object }[])[0]!.result).sort(), ['metrics', 'rows_in', 'rows_out', 'summary']);
    // The task's result is one line: an orchestrator reads the last line of stdout.
    assert.equal(outputs.task.stdout.trim().split('\n').length, 1);
    assert.deepEqual(Object.keys(JSON.parse(outputs.task.stdout) as object), ['task', 'run_id', 'summary', 'rows_in', 'rows_out', 'metrics']);
    assert.deepEqual(JSON.parse(outputs['fail-run'].stdout), { run_id: 'scheduled__2026-11-20T12:00:00+00:00', status: 'failed', failed_task: 'load_bronze', error: 'stopped by hand' });
    const runs = JSON.parse(outputs.status.stdout) as Record<string, unknown>[];
    assert.deepEqual(runs.find((run) => run.run_id === 'scheduled__2026-11-20T10:00:00+00:00'), { ...runs[runs.length - 1], status: 'success', bronze_rows: 2050, failed_task: '' });
  });

  it('prints 64-bit integers, decimals and floats exactly, and dates as dates, in every format', async () => {
    const sql = "SELECT user_key, toString(user_key) AS user_key_text FROM silver.dim_users FINAL WHERE user_key > 9007199254740992 ORDER BY user_key DESC LIMIT 1";
    const json = await medallion(['query', '--format', 'json', sql], env);
    assert.equal(json.code, 0, json.stderr);
    const exact = /"user_key_text": "(\d+)"/.exec(json.stdout)![1]!;
    assert.ok(BigInt(exact) > 2n ** 53n, 'a user key past 2^53');
    assert.match(json.stdout, new RegExp(`"user_key": ${exact},`), 'the JSON number has every digit');
    const csv = await medallion(['query', '--format', 'csv', sql], env);
    assert.equal(csv.stdout, `user_key,user_key_text\n${exact},${exact}\n`);
    const table = await medallion(['query', sql], env);
    assert.match(table.stdout, new RegExp(`^${exact}  ${exact}$`, 'm'));

    const values = await medallion(['query', '--format', 'csv', 'SELECT toUInt64(18446744073709551615) AS u, toInt64(-9223372036854775808) AS i, toDecimal64(2.5, 2) AS d, 1 / 3 AS f, toDate(\'2026-11-23\') AS day'], env);
    assert.equal(values.stdout, 'u,i,d,f,day\n18446744073709551615,-9223372036854775808,2.50,0.3333333333333333,2026-11-23\n');
    const postgres = await medallion(['query', '--target', 'postgres', '--format', 'json', "SELECT 9223372036854775807::int8 AS big, 12345678901234567890.12::numeric AS money, event_date FROM medallion_etl.rpt_daily_summary ORDER BY event_date LIMIT 1"], env);
    assert.equal(postgres.code, 0, postgres.stderr);
    assert.match(postgres.stdout, /"big": 9223372036854775807,\n\s+"money": 12345678901234567890\.12,\n\s+"event_date": "2026-11-\d\d"\n/);
  });

  it('runs one statement per query: several, or a FORMAT clause besides --format, are refused clearly', async () => {
    for (const target of ['clickhouse', 'postgres']) {
      const several = await medallion(['query', '--target', target, 'SELECT 1; SELECT 2'], env);
      assert.equal(several.code, 2, several.stderr);
      assert.equal(several.stderr, 'medallion: query takes one statement, and this SQL holds several (separated by ;): run them one at a time\n');
      assert.equal(several.stdout, '');
    }
    const own = await medallion(['query', "SELECT 1 AS one, 'a;b' AS text FORMAT CSVWithNames"], env);
    assert.equal(own.code, 0, own.stderr);
    assert.equal(own.stdout, '"one","text"\n1,"a;b"\n', 'the statement\'s own FORMAT, as ClickHouse writes it');
    const twice = await medallion(['query', '--format', 'json', 'SELECT 1 FORMAT CSV'], env);
    assert.equal(twice.code, 2);
    assert.match(twice.stderr, /^medallion: the statement ends with its own FORMAT CSV clause, and --format json asks for another: give one\n$/);
    const trailing = await medallion(['query', '--format', 'csv', 'SELECT 1 AS one; -- done'], env);
    assert.equal(trailing.stdout, 'one\n1\n', 'a trailing ; and comment are one statement');
    const wrong = await medallion(['query', 'SELECT no_such_column FROM system.one'], env);
    assert.equal(wrong.code, 1);
    assert.equal(wrong.stderr.trim().split('\n').length, 1, wrong.stderr);
    assert.match(wrong.stderr, /^medallion: .*no_such_column/);
    assert.doesNotMatch(wrong.stderr, /rerun the window/);
  });

  it('reports an unreachable ClickHouse server in one line, the client library silent; --verbose adds the detail', async () => {
    const server = { ...env, MEDALLION_CLICKHOUSE_URL: 'http://etl:s3cr3t%40pw@127.0.0.1:9' };
    const plain = await medallion(['query', 'SELECT 1'], server);
    assert.equal(plain.code, 1);
    assert.equal(plain.stderr, 'medallion: ClickHouse server http://etl:***@127.0.0.1:9 is unreachable while running a query (connect ECONNREFUSED 127.0.0.1:9); check that it is running and reachable, then try again\n');
    const verbose = await medallion(['--verbose', 'query', 'SELECT 1'], server);
    assert.equal(verbose.code, 1);
    assert.match(verbose.stderr, /^detail:\nError: ClickHouse server http:\/\/etl:\*\*\*@127\.0\.0\.1:9 is unreachable/m);
    assert.match(verbose.stderr, /^caused by:\nError: connect ECONNREFUSED 127\.0\.0\.1:9/m);
    assert.doesNotMatch(verbose.stderr, /s3cr3t/);
  });

  /* eslint-disable no-control-regex -- terminal escape codes are what this test reads */
  it('writes plain lines into a pipe, colour and a live status line on a terminal (NO_COLOR honoured)', async () => {
    const task = ['task', 'verify_pipeline', '--start', '2026-11-20T10:00Z'];
    const piped = await medallion(task, env);
    assert.equal(piped.code, 0, piped.stderr);
    assert.doesNotMatch(piped.stderr + piped.stdout, /\x1b|\r/, 'no escape code and no carriage return in a pipe');
    assert.match(piped.stderr, /^ {2}✓ verify_pipeline +\d+ ms {2}bronze 2050 = quarantined \d+/m);

    const terminalEnv = { ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !['CI', 'NO_COLOR', 'FORCE_COLOR'].includes(key))), ...env, TERM: 'xterm-256color' };
    const screen = await medallionOnTerminal(task, terminalEnv);
    assert.equal(screen.code, 0, screen.screen);
    assert.match(screen.screen, /\x1b\[36m⠋ verify_pipeline \d+ ms\x1b\[39m/, 'the running task, live, in colour');
    assert.match(screen.screen, /\r\x1b\[2K {2}\x1b\[32m✓\x1b\[39m verify_pipeline/, 'the live line is erased, then the green ✓ line takes its place');

    const noColour = await medallionOnTerminal(task, { ...terminalEnv, NO_COLOR: '1' });
    assert.equal(noColour.code, 0, noColour.screen);
    assert.doesNotMatch(noColour.screen, /\x1b\[\d+m/, 'no colour with NO_COLOR');
    assert.match(noColour.screen, /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] verify_pipeline \d+ ms\r\x1b\[2K {2}✓ verify_pipeline/, 'still live');
  });
  /* eslint-enable no-control-regex */

  it('announces a wait for the home lock at once, then goes on when the holder lets go', async () => {
    const engines = await openEngines(loadConfig(env));
    let released = false;
    try {
      const waiting = startMedallion(['status', '--json'], { ...env, MEDALLION_LOCK_TIMEOUT_MS: '60000' });
      const announced = await waiting.line(/is held by/);
      assert.match(announced.text, new RegExp(`^MEDALLION_HOME ${home} is held by pid ${process.pid} on .*; waiting up to 60\\.0 s \\(MEDALLION_LOCK_TIMEOUT_MS\\)$`));
      assert.ok(announced.at - waiting.spawnedAt < 15_000, 'announced when the wait starts, not at its end');
      await engines.close();
      released = true;
      const done = await waiting.done;
      assert.equal(done.code, 0, done.stderr);
      assert.match(done.stderr, new RegExp(`MEDALLION_HOME ${home}: acquired after waiting \\d+\\.\\d s`));
      assert.ok((JSON.parse(done.stdout) as unknown[]).length > 0, 'then it answered');
    } finally {
      if (!released) await engines.close();
    }
  });
});
