import assert from 'node:assert/strict';
import { cp, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../src/config.js';
import { openEngines } from '../src/engines/index.js';
import { medallion, type CliResult } from './cli.js';
import { catalogStrings, CORPUS, leaksIn, type CatalogStrings, type SecretCase } from './secrets-corpus.js';

/**
 * The corpus through the real CLI: every case runs `medallion run` in a child process with its secret
 * configured and the engine it points at unreachable (PostgreSQL, ClickHouse or S3 on a closed loopback
 * port), then — where ClickHouse is embedded — `medallion fail-run` stores an error text that embeds the
 * secret in every form, as an orchestrator's failure callback would. The secret must then appear in no
 * output, no String column of any catalog table, and no lake file.
 */

const WINDOW = '2026-11-20T10:00Z';
const RUN_ID = 'scheduled__2026-11-20T10:00:00+00:00';
const CONCURRENCY = 4;

const quiet = {
  MEDALLION_EVENTS_PER_HOUR: '50',
  MEDALLION_TASK_RETRIES: '0',
  MEDALLION_RETRY_DELAY_MS: '1',
  // The AWS SDK would otherwise ask the EC2 metadata service for credentials.
  AWS_EC2_METADATA_DISABLED: 'true',
};

interface Outcome {
  home: string;
  results: CliResult[];
}

/** The text an orchestrator might pass to fail-run: the URL and every secret, as written and encoded. */
const failureText = (testCase: SecretCase) =>
  [`task failed: could not connect to ${testCase.url ?? 'S3'}`, ...testCase.secrets.flatMap((secret) => [secret, encodeURIComponent(secret), JSON.stringify(secret)])].join(' | ');

/** Whether ClickHouse (and so the catalog) is embedded in the case's home. */
const catalogIsLocal = (testCase: SecretCase) => !testCase.env.MEDALLION_CLICKHOUSE_URL;

async function runCase(testCase: SecretCase, template: string): Promise<Outcome> {
  const home = await mkdtemp(path.join(os.tmpdir(), 'medallion-secrets-'));
  // A home that already holds a successful run of the hour before: the catalog exists, and the engines
  // start without initialising their storage (the CLI's start dominates the time of this suite).
  for (const part of ['clickhouse', 'postgres', 'lake']) await cp(path.join(template, part), path.join(home, part), { recursive: true });
  const env = { ...quiet, MEDALLION_HOME: home, ...testCase.env };
  const results = [await medallion(['run', '--from', WINDOW], env)];
  if (testCase.accepted && catalogIsLocal(testCase) && testCase.target !== 'none') {
    results.push(await medallion(['fail-run', '--start', WINDOW, '--task', 'load_aurora', '--error', failureText(testCase)], env));
  }
  return { home, results };
}

async function inPool<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    for (let index = next++; index < items.length; index = next++) results[index] = await work(items[index]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** The catalog's text (see catalogStrings) and the status of the case's run. */
async function readCatalog(home: string): Promise<CatalogStrings & { status?: string }> {
  const engines = await openEngines(loadConfig({ MEDALLION_HOME: home }));
  try {
    const clickhouse = await engines.clickhouse();
    const [run] = await clickhouse.rows<{ status: string }>('SELECT status FROM catalog.pipeline_runs FINAL WHERE run_id = {run_id:String}', { run_id: RUN_ID });
    return { ...(await catalogStrings(clickhouse)), ...(run ? { status: run.status } : {}) };
  } finally {
    await engines.close();
  }
}

async function lakeFiles(home: string): Promise<{ file: string; text: string }[]> {
  const root = path.join(home, 'lake');
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  const files = entries.filter((entry) => entry.isFile()).map((entry) => path.join(entry.parentPath, entry.name));
  return Promise.all(files.map(async (file) => ({ file: path.relative(root, file), text: (await readFile(file)).toString('latin1') })));
}

describe('secrets through the CLI, the catalog and the lake', { timeout: 300_000 }, () => {
  let template: string;
  let outcomes: Outcome[];

  before(async () => {
    template = await mkdtemp(path.join(os.tmpdir(), 'medallion-secrets-template-'));
    const baseline = await medallion(['run', '--from', '2026-11-20T09:00Z'], { ...quiet, MEDALLION_HOME: template });
    assert.equal(baseline.code, 0, baseline.stderr);
    outcomes = await inPool(CORPUS, CONCURRENCY, (testCase) => runCase(testCase, template));
  });

  after(async () => {
    await Promise.all([template, ...(outcomes ?? []).map((outcome) => outcome.home)].filter(Boolean).map((dir) => rm(dir, { recursive: true, force: true })));
  });

  CORPUS.forEach((testCase, index) => {
    it(`${testCase.name}: no trace in stdout, stderr, the catalog or the lake`, async () => {
      const { home, results } = outcomes[index]!;
      const [run] = results;
      const output = results.map((result) => result.stdout + result.stderr).join('\n');
      assert.deepEqual(leaksIn(output, testCase), [], output);

      // The run failed where the case says, naming the target with its password masked.
      if (!testCase.accepted) {
        assert.equal(run!.code, 2, run!.stderr);
        assert.match(run!.stderr, new RegExp(`Invalid configuration: ${Object.keys(testCase.env)[0]} must be a URL`));
        assert.ok(run!.stderr.includes('(got "<unparseable URL>")'), run!.stderr);
      } else if (testCase.target === 'none') {
        assert.equal(run!.code, 0, run!.stderr);
      } else {
        assert.equal(run!.code, 1, run!.stderr);
        const named = { postgres: 'PostgreSQL server ', clickhouse: 'ClickHouse server ', s3: 'S3 lake s3://medallion-lake/gold at ' }[testCase.target];
        assert.ok(run!.stderr.includes(`${named}${testCase.display ?? 'http://127.0.0.1:1'} is unreachable`), run!.stderr);
      }
      if (!catalogIsLocal(testCase)) return;

      const { columns, values, status } = await readCatalog(home);
      assert.ok(columns >= 30, `${columns} string columns in the catalog`);
      for (const { column, value } of values) assert.deepEqual(leaksIn(value, testCase), [], `${column}: ${value}`);
      const errors = values.filter(({ column, value }) => (column === 'catalog.pipeline_runs.error' || column === 'catalog.benchmark_log.error') && value !== '');
      if (testCase.accepted && testCase.target !== 'none') {
        // fail-run stored the orchestrator's text, redacted (the S3 cases also stored the export's own error).
        assert.ok(errors.some(({ value }) => value.startsWith('task failed: could not connect to') && value.includes('***')), JSON.stringify(errors));
        if (testCase.target === 's3') assert.ok(errors.some(({ column, value }) => column === 'catalog.benchmark_log.error' && value.includes('S3 lake s3://medallion-lake/gold at')), JSON.stringify(errors));
        assert.equal(status, 'failed');
      }

      const files = await lakeFiles(home);
      if (testCase.target === 'none') assert.ok(files.length >= 3, `${files.length} lake files`);
      for (const { file, text } of files) assert.deepEqual(leaksIn(text, testCase), [], file);
    });
  });
});
