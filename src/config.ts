import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
// A namespace import lets the CLI's bundle keep only the parts of zod used (0.2 MB, not 0.75 MB with `{ z }`).
import * as z from 'zod';
import { parseKillAt } from './faults.js';
import { openLineageSettings, type OpenLineageSettings } from './openlineage/config.js';
import { displayUrl, holdsSecrets, maskSecrets, parseUrl, registerSecrets, secretsOfEnvironment } from './secrets.js';
import { isTaskId, TASK_IDS } from './task-ids.js';
import { loadMapping, MappingError, type Mapping } from './source-mapping.js';

/** A SQL identifier that may be placed into DDL: validated here, never taken from data. */
const identifier = z
  .string()
  .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case SQL identifier ([a-z_][a-z0-9_]*)');

const positiveInt = (max: number) =>
  z.coerce
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .positive('must be greater than 0')
    .max(max, `must be at most ${max}`);

const nonNegativeInt = (max: number) =>
  z.coerce
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .min(0, 'must be 0 or more')
    .max(max, `must be at most ${max}`);

/** Parsed as the clients parse it (src/secrets.ts): a login or password with `@ / : ? #` unencoded is refused. */
const urlWithScheme = (schemes: string[]) =>
  z
    .string()
    .refine(
      (value) => schemes.includes(parseUrl(value)?.protocol ?? ''),
      `must be a URL starting with ${schemes.map((s) => `${s}//`).join(' or ')}, with @ / : ? # % and spaces in the login and password percent-encoded`,
    );

/**
 * A ClickHouse cluster name from the server's remote_servers, or a macro such as {cluster}: rendered into
 * DDL as a quoted literal (ON CLUSTER '…'), so it can never close the quote.
 */
const clusterName = z
  .string()
  .regex(/^(?:[A-Za-z_][A-Za-z0-9_.-]{0,127}|\{[A-Za-z_][A-Za-z0-9_]{0,62}\})$/, 'must be a cluster name ([A-Za-z_][A-Za-z0-9_.-]*) or a macro such as {cluster}');

/** libpq's sslmode values that mean something to a client ("allow" and "prefer" fall back to plain text). */
export const POSTGRES_SSL_MODES = ['disable', 'require', 'verify-ca', 'verify-full'] as const;
export type PostgresSslMode = (typeof POSTGRES_SSL_MODES)[number];

/** Every variable the program reads, with its default. The README's configuration table mirrors this. */
const environmentSchema = z.object({
  MEDALLION_HOME: z.string().min(1).default('./.medallion'),
  MEDALLION_CLICKHOUSE_URL: urlWithScheme(['http:', 'https:']).optional(),
  MEDALLION_CLICKHOUSE_CLUSTER: clusterName.optional(),
  /**
   * Memory one ClickHouse statement may use, in MB: past half of it, GROUP BY and ORDER BY spill to disk; at
   * all of it the statement fails (max_memory_usage). Defaults to 3072 for chDB, which shares this process;
   * unset, a server's own profile applies.
   */
  MEDALLION_CLICKHOUSE_MEMORY_MB: positiveInt(1_048_576).optional(),
  /**
   * Bronze rows transform_silver handles per statement: a bigger batch is registered and inserted in slices of
   * its ids. Defaults to what MEDALLION_CLICKHOUSE_MEMORY_MB holds (about 300 bytes a row), 10 M without it.
   */
  MEDALLION_SILVER_SLICE_ROWS: positiveInt(1_000_000_000).optional(),
  /**
   * Seconds after a merge before the embedded ClickHouse deletes the parts it replaced (at a process's close:
   * chDB never does; see src/engines/replaced-parts.ts). A server applies its own old_parts_lifetime.
   */
  MEDALLION_OLD_PARTS_LIFETIME_SECONDS: nonNegativeInt(30 * 86_400).default(480),
  /**
   * At most how long a process waits, when it closes the embedded ClickHouse, for the merges it has running
   * to finish: closing throws a running merge away, and the next process begins it again from nothing (see
   * src/engines/running-merges.ts). 0: close at once. A server merges in its own time.
   */
  MEDALLION_MERGE_WAIT_SECONDS: nonNegativeInt(3_600).default(60),
  /**
   * The largest merge the embedded ClickHouse makes, in MB of parts: parts that big are merged no further, so a
   * merge stays short enough to finish within a window and its close (see src/layers/schema.ts, capMerges).
   * A server keeps its own setting.
   */
  MEDALLION_MERGE_MAX_MB: positiveInt(1_048_576).default(512),
  MEDALLION_POSTGRES_URL: urlWithScheme(['postgres:', 'postgresql:']).optional(),
  MEDALLION_POSTGRES_SSLMODE: z.enum(POSTGRES_SSL_MODES, { error: `must be one of ${POSTGRES_SSL_MODES.join(', ')}` }).optional(),
  MEDALLION_POSTGRES_SSLROOTCERT: z.string().min(1).optional(),
  MEDALLION_POSTGRES_SCHEMA: identifier.refine((name) => !name.startsWith('pg_'), 'must not start with pg_ (reserved by PostgreSQL)').default('medallion_etl'),
  MEDALLION_LAKE_URL: z.string().min(1).optional(),
  MEDALLION_S3_ENDPOINT: urlWithScheme(['http:', 'https:']).optional(),
  /** A files source's mapping file (YAML or JSON); unset, the synthetic source generates the events. */
  MEDALLION_SOURCE: z.string().min(1).optional(),
  MEDALLION_EVENTS_PER_HOUR: positiveInt(50_000_000).default(100_000),
  MEDALLION_SEED: nonNegativeInt(2 ** 31).default(42),
  MEDALLION_TASK_RETRIES: nonNegativeInt(10).default(2),
  MEDALLION_RETRY_DELAY_MS: nonNegativeInt(600_000).default(1_000),
  MEDALLION_LOCK_TIMEOUT_MS: nonNegativeInt(3_600_000).default(120_000),
  MEDALLION_FRAMEWORK: z.string().min(1).default('medallion-ts'),
  /**
   * How far apart, in days of delivery, two deliveries of one event id are still one event: silver holds an
   * id once across this horizon (the source contract asks for at least 30 days). 3650 is ten years.
   */
  MEDALLION_DEDUP_HORIZON_DAYS: z.coerce
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .min(30, 'must be at least 30 (the source contract: an event id is new only once across at least 30 days)')
    .max(3650, 'must be at most 3650')
    .default(30),
  /** Fault injection for drills and tests: the named task fails on every attempt. */
  MEDALLION_FAIL_TASK: z.string().refine(isTaskId, `must be a task id: ${TASK_IDS.join(', ')}`).optional(),
  /** Crash drill: the process SIGKILLs itself at <point>[#n] (see src/faults.ts). */
  MEDALLION_KILL_AT: z.string().refine((spec) => parseKillAt(spec) !== undefined, 'must be <point>[#n] with a point before:<task>, after:<task> or mid:<task> (see src/faults.ts), e.g. after:transform_silver#2').optional(),
});

export interface Config {
  home: string;
  /**
   * `cluster`: DDL runs ON CLUSTER with Replicated*MergeTree engines (one shard, any number of replicas).
   * `memoryMb`: what one statement may use before it spills (half) and fails (all); see MEDALLION_CLICKHOUSE_MEMORY_MB.
   * `oldPartsLifetimeSeconds`: how long after a merge the embedded engine keeps the parts it replaced.
   * `mergeWaitSeconds`: how long the embedded engine's close waits for its running merges to finish.
   * `mergeMaxMb`: the largest merge the embedded engine makes (MB of parts).
   */
  clickhouse: ({ mode: 'embedded'; path: string; oldPartsLifetimeSeconds: number; mergeWaitSeconds: number; mergeMaxMb: number } | { mode: 'server'; url: string; cluster?: string }) & { memoryMb?: number };
  /** `tls`: from MEDALLION_POSTGRES_SSLMODE / _SSLROOTCERT; absent, the URL's own sslmode applies. */
  postgres: { mode: 'embedded'; path: string } | { mode: 'server'; url: string; tls?: PostgresTls };
  postgresSchema: string;
  lake: { mode: 'directory'; path: string } | { mode: 's3'; bucket: string; prefix: string; endpoint?: string };
  /** The synthetic source's settings; `mapping`: a files source replaces it (MEDALLION_SOURCE). */
  source: { eventsPerHour: number; seed: number; mapping?: Mapping; s3Endpoint?: string };
  retries: { attempts: number; delayMs: number };
  lockTimeoutMs: number;
  framework: string;
  /** Days of delivery across which silver holds an event id once (MEDALLION_DEDUP_HORIZON_DAYS). */
  dedupHorizonDays: number;
  /** Bronze rows per slice of transform_silver (MEDALLION_SILVER_SLICE_ROWS). */
  silverSliceRows: number;
  failTask?: string;
  /** Crash drill (tests): where the process kills itself. */
  killAt?: { point: string; occurrence: number };
  /** OpenLineage events of every task attempt and window run (src/openlineage/); absent when off, the default. */
  openlineage?: OpenLineageSettings;
}

/** chDB's default memory per statement: the 10 M-event window stays within 4 GB of peak RSS (see README). */
export const EMBEDDED_MEMORY_MB = 3072;

export interface PostgresTls {
  mode: PostgresSslMode;
  /** CA bundle (PEM file) that signs the server's certificate, e.g. AWS RDS's global-bundle.pem. */
  rootCertFile?: string;
}

export class ConfigError extends Error {
  constructor(readonly variable: string, problem: string) {
    super(maskSecrets(`Invalid configuration: ${variable} ${problem}`));
    this.name = 'ConfigError';
  }
}

function parseLake(value: string | undefined, home: string, endpoint: string | undefined): Config['lake'] {
  if (!value) return { mode: 'directory', path: path.join(home, 'lake') };
  if (value.startsWith('s3://')) {
    const match = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(value);
    if (!match?.[1]) throw new ConfigError('MEDALLION_LAKE_URL', 'must look like s3://bucket/prefix');
    const prefix = (match[2] ?? '').replace(/\/+$/, '');
    return { mode: 's3', bucket: match[1], prefix, ...(endpoint ? { endpoint } : {}) };
  }
  if (value.includes('://') && !value.startsWith('file://')) {
    throw new ConfigError('MEDALLION_LAKE_URL', 'must be a directory, file:// or s3:// URL');
  }
  return { mode: 'directory', path: path.resolve(value.replace(/^file:\/\//, '')) };
}

/** Reads and validates the configuration; the first invalid variable stops with its name. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Record<keyof z.input<typeof environmentSchema>, string>> = {}): Config {
  const raw = { ...pickDefined(env), ...pickDefined(overrides) };
  // Known before anything can fail, so that every message from here on is redacted (see src/secrets.ts).
  registerSecrets([...secretsOfEnvironment(process.env), ...secretsOfEnvironment(env), ...secretsOfEnvironment(raw)]);
  const parsed = environmentSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const variable = String(issue?.path[0] ?? 'configuration');
    const value = String(raw[variable] ?? '');
    // A URL is shown parsed, its password masked (or not at all when it does not parse), never as given.
    throw new ConfigError(variable, `${issue?.message ?? 'is invalid'} (got ${JSON.stringify(holdsSecrets(variable) ? displayUrl(value) : value)})`);
  }
  const e = parsed.data;
  const home = path.resolve(e.MEDALLION_HOME);
  checkHomeIsDirectory(home);
  if (e.MEDALLION_CLICKHOUSE_CLUSTER && !e.MEDALLION_CLICKHOUSE_URL) {
    throw new ConfigError('MEDALLION_CLICKHOUSE_CLUSTER', 'needs MEDALLION_CLICKHOUSE_URL (the embedded engine is a single node)');
  }
  const tls = parsePostgresTls(e.MEDALLION_POSTGRES_URL, e.MEDALLION_POSTGRES_SSLMODE, e.MEDALLION_POSTGRES_SSLROOTCERT);
  return {
    home,
    clickhouse: e.MEDALLION_CLICKHOUSE_URL
      ? { mode: 'server', url: e.MEDALLION_CLICKHOUSE_URL, ...(e.MEDALLION_CLICKHOUSE_CLUSTER ? { cluster: e.MEDALLION_CLICKHOUSE_CLUSTER } : {}), ...(e.MEDALLION_CLICKHOUSE_MEMORY_MB ? { memoryMb: e.MEDALLION_CLICKHOUSE_MEMORY_MB } : {}) }
      : { mode: 'embedded', path: path.join(home, 'clickhouse'), oldPartsLifetimeSeconds: e.MEDALLION_OLD_PARTS_LIFETIME_SECONDS, mergeWaitSeconds: e.MEDALLION_MERGE_WAIT_SECONDS, mergeMaxMb: e.MEDALLION_MERGE_MAX_MB, memoryMb: e.MEDALLION_CLICKHOUSE_MEMORY_MB ?? EMBEDDED_MEMORY_MB },
    postgres: e.MEDALLION_POSTGRES_URL
      ? { mode: 'server', url: e.MEDALLION_POSTGRES_URL, ...(tls ? { tls } : {}) }
      : { mode: 'embedded', path: path.join(home, 'postgres') },
    postgresSchema: e.MEDALLION_POSTGRES_SCHEMA,
    lake: parseLake(e.MEDALLION_LAKE_URL, home, e.MEDALLION_S3_ENDPOINT),
    source: { eventsPerHour: e.MEDALLION_EVENTS_PER_HOUR, seed: e.MEDALLION_SEED, ...(e.MEDALLION_SOURCE ? { mapping: sourceMapping(e.MEDALLION_SOURCE) } : {}), ...(e.MEDALLION_S3_ENDPOINT ? { s3Endpoint: e.MEDALLION_S3_ENDPOINT } : {}) },
    retries: { attempts: e.MEDALLION_TASK_RETRIES + 1, delayMs: e.MEDALLION_RETRY_DELAY_MS },
    lockTimeoutMs: e.MEDALLION_LOCK_TIMEOUT_MS,
    framework: e.MEDALLION_FRAMEWORK,
    dedupHorizonDays: e.MEDALLION_DEDUP_HORIZON_DAYS,
    silverSliceRows: e.MEDALLION_SILVER_SLICE_ROWS ?? silverSliceRows(e.MEDALLION_CLICKHOUSE_URL ? e.MEDALLION_CLICKHOUSE_MEMORY_MB : (e.MEDALLION_CLICKHOUSE_MEMORY_MB ?? EMBEDDED_MEMORY_MB)),
    ...(e.MEDALLION_FAIL_TASK ? { failTask: e.MEDALLION_FAIL_TASK } : {}),
    ...(e.MEDALLION_KILL_AT ? { killAt: parseKillAt(e.MEDALLION_KILL_AT) } : {}),
    ...optionalOpenLineage(env),
  };
}

/** OPENLINEAGE_* as the OpenLineage clients read them (src/openlineage/config.ts): an invalid one stops the program with its name. */
function optionalOpenLineage(env: Record<string, string | undefined>): { openlineage?: OpenLineageSettings } {
  const settings = openLineageSettings(env, (variable, problem) => {
    throw new ConfigError(variable, problem);
  });
  return settings ? { openlineage: settings } : {};
}

/** The bronze rows one slice of transform_silver holds within a statement's memory (about 300 bytes a row at the peak: the id sets, the grouping by fingerprint, the in-order read); 10 M without a budget. */
function silverSliceRows(memoryMb: number | undefined): number {
  return memoryMb ? Math.max(100_000, Math.floor((memoryMb * 2 ** 20) / 300)) : 10_000_000;
}

/** The mapping file, validated now: a problem stops the program naming the variable and the field. */
function sourceMapping(file: string): Mapping {
  try {
    return loadMapping(file);
  } catch (error) {
    if (error instanceof MappingError) throw new ConfigError('MEDALLION_SOURCE', `names a mapping with a problem: ${error.message}`);
    throw error;
  }
}

/** MEDALLION_HOME must be a directory, or creatable as one: its nearest existing ancestor is a directory. */
function checkHomeIsDirectory(home: string): void {
  for (let candidate = home; ; candidate = path.dirname(candidate)) {
    let stats;
    try {
      stats = statSync(candidate);
    } catch {
      if (path.dirname(candidate) === candidate) return;
      continue;
    }
    if (stats.isDirectory()) return;
    const where = candidate === home ? 'is' : `is inside ${JSON.stringify(candidate)}, which is`;
    throw new ConfigError('MEDALLION_HOME', `must be a directory, but ${JSON.stringify(home)} ${where} a file`);
  }
}

/** TLS set by variables: one place only, so the URL's sslmode can never silently override it (pg lets it). */
function parsePostgresTls(url: string | undefined, mode: PostgresSslMode | undefined, rootCertFile: string | undefined): PostgresTls | undefined {
  if (!mode && !rootCertFile) return undefined;
  const variable = mode ? 'MEDALLION_POSTGRES_SSLMODE' : 'MEDALLION_POSTGRES_SSLROOTCERT';
  if (!url) throw new ConfigError(variable, 'needs MEDALLION_POSTGRES_URL (the embedded PostgreSQL has no network connection)');
  const inUrl = [...(parseUrl(url)?.searchParams.keys() ?? [])].filter((key) => /^(ssl|sslmode|sslrootcert|sslcert|sslkey|uselibpqcompat)$/.test(key));
  if (inUrl.length > 0) throw new ConfigError(variable, `conflicts with ${inUrl.join(', ')} in MEDALLION_POSTGRES_URL: set TLS in one place`);
  if (rootCertFile && !existsSync(rootCertFile)) throw new ConfigError('MEDALLION_POSTGRES_SSLROOTCERT', `names a file that does not exist (got ${JSON.stringify(rootCertFile)})`);
  if (rootCertFile && mode === 'disable') throw new ConfigError('MEDALLION_POSTGRES_SSLROOTCERT', 'is set while MEDALLION_POSTGRES_SSLMODE=disable');
  // A CA file alone means "verify the server fully", as libpq does with sslrootcert and verify-full.
  return { mode: mode ?? 'verify-full', ...(rootCertFile ? { rootCertFile: path.resolve(rootCertFile) } : {}) };
}

function pickDefined(values: Record<string, string | undefined>): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) {
    if (key.startsWith('MEDALLION_') && value !== undefined && value !== '') picked[key] = value;
  }
  return picked;
}

/** Redacts the configuration's secrets from a text (kept here for the modules that import it from config). */
export { maskSecrets };

/** A one-line description of where each engine points, safe to print. */
export function describeTargets(config: Config): Record<string, string> {
  const { clickhouse, postgres, lake } = config;
  return {
    clickhouse: clickhouse.mode === 'server'
      ? `${displayUrl(clickhouse.url)}${clickhouse.cluster ? ` (cluster ${clickhouse.cluster}, replicated tables)` : ''}`
      : `chDB (embedded) at ${clickhouse.path}`,
    postgres: postgres.mode === 'server'
      ? `${displayUrl(postgres.url)}${postgres.tls ? ` (sslmode ${postgres.tls.mode}${postgres.tls.rootCertFile ? `, CA ${postgres.tls.rootCertFile}` : ''})` : ''}`
      : `PGlite (embedded) at ${postgres.path}`,
    lake: lake.mode === 's3'
      ? `s3://${lake.bucket}/${lake.prefix}${lake.endpoint ? ` at ${displayUrl(lake.endpoint)}` : ''}`
      : `directory ${lake.path}`,
  };
}
