/**
 * Helpers for the tests against real servers. scripts/test-servers.sh starts a PostgreSQL server and an
 * S3-compatible server (Versity S3 Gateway) on loopback and exports their coordinates; every test takes
 * its own PostgreSQL schema and lake prefix, so tests never see each other's rows or objects.
 */
import { execFile, execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { parquetReadObjects } from 'hyparquet';
import type { Config } from '../../src/config.js';
import type { Engines } from '../../src/engines/index.js';
import { baseEnv, builtCli } from '../cli.js';
import { openTestPipeline, type TestPipeline } from '../helpers.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const HOUR = 3_600_000;
export const FIRST_WINDOW = new Date('2026-11-20T10:00:00Z');
export const windowAt = (index: number) => new Date(FIRST_WINDOW.getTime() + index * HOUR);
export const EVENTS_PER_HOUR = '3000';

/** `skip` option of the server suites: a reason when the servers are not there, false when they are. */
export const NO_SERVERS: string | false = process.env.MEDALLION_TEST_SERVERS_DIR
  ? false
  : 'needs the PostgreSQL and S3 servers that scripts/test-servers.sh starts (npm run test:servers)';

/** What scripts/test-servers.sh exported. */
export function servers() {
  const required = (name: string) => {
    const value = process.env[name];
    if (!value) throw new Error(`${name} is not set: run these tests through scripts/test-servers.sh`);
    return value;
  };
  const postgresUrl = required('MEDALLION_POSTGRES_URL');
  const lake = /^s3:\/\/([^/]+)\/(.*)$/.exec(required('MEDALLION_LAKE_URL'))!;
  return {
    postgresUrl,
    postgresPassword: decodeURIComponent(new URL(postgresUrl).password),
    bucket: lake[1]!,
    s3Endpoint: required('MEDALLION_S3_ENDPOINT'),
    accessKeyId: required('AWS_ACCESS_KEY_ID'),
    secretAccessKey: required('AWS_SECRET_ACCESS_KEY'),
    caFile: required('MEDALLION_TEST_PG_CA_FILE'),
  };
}

/** Takes a server down (PostgreSQL: immediate shutdown; S3 gateway: SIGKILL) or brings it back. */
export function serverCtl(action: 'start' | 'stop', server: 'postgres' | 's3'): void {
  execFileSync(process.env.MEDALLION_TEST_SERVERS_CTL!, ['ctl', action, server], { stdio: ['ignore', 'ignore', 'inherit'] });
}

export const uniqueName = (label: string) => `${label}_${randomBytes(4).toString('hex')}`;

/** Configuration variables for PostgreSQL server + S3 server, with a schema and lake prefix of its own. */
export function serverTargets(label: string): Record<string, string> {
  const s = servers();
  const name = uniqueName(label);
  return {
    MEDALLION_POSTGRES_URL: s.postgresUrl,
    MEDALLION_POSTGRES_SCHEMA: name,
    MEDALLION_LAKE_URL: `s3://${s.bucket}/${name}/gold`,
    MEDALLION_S3_ENDPOINT: s.s3Endpoint,
  };
}


/** A pipeline in this process: embedded ClickHouse in a fresh MEDALLION_HOME, targets from `env`. */
/** The same pipeline as the embedded suites use, pointed at the servers by `env`. */
export type ServerPipeline = TestPipeline;

export function openPipeline(env: Record<string, string>): Promise<ServerPipeline> {
  return openTestPipeline({ MEDALLION_EVENTS_PER_HOUR: EVENTS_PER_HOUR, MEDALLION_RETRY_DELAY_MS: '50', ...env });
}

type Row = Record<string, unknown>;

/** Parquet INT64 arrives as BigInt; JSON and deepEqual want numbers. */
export const plain = (row: Row): Row => Object.fromEntries(Object.entries(row).map(([key, value]) => [key, typeof value === 'bigint' ? Number(value) : value]));

export interface TargetsDump {
  gold: { hourly: Row[]; daily: Row[]; hourlyHistory: Row[]; dailyHistory: Row[] };
  postgres: { hourly: Row[]; daily: Row[] };
  /** Every lake object: its key, a digest of its bytes and its rows as an independent reader decodes them. */
  lake: { key: string; sha256: string; rows: Row[] }[];
  runs: Row[];
  failedChecks: number;
}

/** What ClickHouse gold, the PostgreSQL replicas and the lake hold after a scenario, in a stable order. */
export async function dumpTargets(engines: Engines, config: Config): Promise<TargetsDump> {
  const clickhouse = await engines.clickhouse();
  const postgres = await engines.postgres();
  const lake = await engines.lake();
  const schema = config.postgresSchema;
  const lakeObjects: TargetsDump['lake'] = [];
  for (const key of [...(await lake.list('agg_events_hourly')), ...(await lake.list('rpt_daily_summary'))]) {
    const bytes = (await lake.read(key))!;
    const rows = await parquetReadObjects({ file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer });
    lakeObjects.push({ key, sha256: createHash('sha256').update(bytes).digest('hex'), rows: rows.map(plain) });
  }
  const [failed] = await clickhouse.rows<{ failed: number }>('SELECT count() AS failed FROM catalog.validation_log WHERE passed = 0');
  return {
    gold: {
      hourly: await clickhouse.rows(
        `SELECT toString(event_date) AS event_date, event_hour, toString(category) AS category, toString(source) AS source,
                event_count, revenue_events, total_value, _batch_id
         FROM gold.agg_events_hourly FINAL ORDER BY event_date, event_hour, category, source`,
      ),
      daily: await clickhouse.rows(
        `SELECT toString(event_date) AS event_date, total_events, unique_users, revenue_events, total_revenue, avg_value, _batch_id
         FROM gold.rpt_daily_summary FINAL ORDER BY event_date`,
      ),
      hourlyHistory: await clickhouse.rows('SELECT _snapshot_batch, count() AS rows, sum(event_count) AS events FROM gold.agg_events_hourly_history GROUP BY _snapshot_batch ORDER BY _snapshot_batch'),
      dailyHistory: await clickhouse.rows('SELECT _snapshot_batch, count() AS rows, sum(total_events) AS events FROM gold.rpt_daily_summary_history GROUP BY _snapshot_batch ORDER BY _snapshot_batch'),
    },
    postgres: {
      hourly: await postgres.query(
        `SELECT to_char(event_date, 'YYYY-MM-DD') AS event_date, event_hour::int AS event_hour, category, source,
                event_count::float8 AS event_count, revenue_events::float8 AS revenue_events, total_value, _batch_id
         FROM ${schema}.agg_events_hourly ORDER BY event_date, event_hour, category COLLATE "C", source COLLATE "C"`,
      ),
      daily: await postgres.query(
        `SELECT to_char(event_date, 'YYYY-MM-DD') AS event_date, total_events::float8 AS total_events, unique_users::float8 AS unique_users,
                revenue_events::float8 AS revenue_events, total_revenue, avg_value, _batch_id
         FROM ${schema}.rpt_daily_summary ORDER BY event_date`,
      ),
    },
    lake: lakeObjects,
    runs: await clickhouse.rows('SELECT run_id, status, failed_task, bronze_rows, silver_new_rows, gold_hourly_rows FROM catalog.pipeline_runs FINAL ORDER BY run_id'),
    failedChecks: failed?.failed ?? -1,
  };
}

export interface ScenarioResult {
  outcomes: { runId: string; status: string; error?: string }[];
  dump: TargetsDump;
  stderr: string;
}

/**
 * Runs test/servers/scenario.ts in a child process (chDB holds one data directory per process, so the
 * embedded-only reference run and the servers run each get their own) and returns what it reports.
 */
export async function runScenario(env: Record<string, string>): Promise<ScenarioResult> {
  const home = await mkdtemp(path.join(os.tmpdir(), 'medallion-scenario-'));
  const out = path.join(home, 'result.json');
  try {
    const stderr = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', path.join(ROOT, 'test/servers/scenario.ts')],
        { cwd: ROOT, env: { ...baseEnv(), MEDALLION_HOME: path.join(home, 'home'), MEDALLION_EVENTS_PER_HOUR: EVENTS_PER_HOUR, SCENARIO_OUT: out, ...env }, maxBuffer: 64 * 1024 * 1024 },
        (error, _stdout, stderrText) => (error ? reject(new Error(`scenario failed: ${error.message}\n${stderrText}`)) : resolve(stderrText)),
      );
    });
    return { ...(JSON.parse(await readFile(out, 'utf8')) as Omit<ScenarioResult, 'stderr'>), stderr };
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

/** Copies every object below an S3 prefix into a directory, keys as paths (for readers without S3 support). */
export async function downloadPrefix(bucket: string, prefix: string, directory: string): Promise<string[]> {
  const s = servers();
  const client = new S3Client({ endpoint: s.s3Endpoint, forcePathStyle: true, region: process.env.AWS_REGION ?? 'us-east-1' });
  const keys: string[] = [];
  try {
    let token: string | undefined;
    do {
      const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${prefix}/`, ContinuationToken: token }));
      for (const object of page.Contents ?? []) keys.push(object.Key!);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    for (const key of keys) {
      const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const target = path.join(directory, ...key.slice(prefix.length + 1).split('/'));
      await mkdir(path.dirname(target), { recursive: true });
      await writeFile(target, await response.Body!.transformToByteArray());
    }
  } finally {
    client.destroy();
  }
  return keys.sort();
}

/** Captures what this process writes to stderr while `work` runs (the runner's log lines go there). */
export async function captureStderr<T>(work: () => Promise<T>): Promise<{ result: T; stderr: string }> {
  const original = process.stderr.write.bind(process.stderr);
  let captured = '';
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    captured += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return (original as (...args: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stderr.write;
  try {
    return { result: await work(), stderr: captured };
  } finally {
    process.stderr.write = original;
  }
}

/** Runs the CLI (the build, see builtCli in test/cli.ts) with exactly `env` added to a MEDALLION_-free environment. */
export function runCli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [builtCli(), ...args],
      { cwd: ROOT, env: { ...baseEnv(), ...env }, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

/** Every secret the servers session handed out: none may ever be printed. */
export function secrets(): string[] {
  const s = servers();
  return [s.postgresPassword, s.secretAccessKey, s.accessKeyId];
}
