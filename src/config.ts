import path from 'node:path';
import { z } from 'zod';

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

const urlWithScheme = (schemes: string[]) =>
  z
    .string()
    .refine((value) => {
      try {
        return schemes.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    }, `must be a URL starting with ${schemes.map((s) => `${s}//`).join(' or ')}`);

/** Every variable the program reads, with its default. The README's configuration table mirrors this. */
const environmentSchema = z.object({
  MEDALLION_HOME: z.string().min(1).default('./.medallion'),
  MEDALLION_CLICKHOUSE_URL: urlWithScheme(['http:', 'https:']).optional(),
  MEDALLION_POSTGRES_URL: urlWithScheme(['postgres:', 'postgresql:']).optional(),
  MEDALLION_POSTGRES_SCHEMA: identifier.default('medallion_etl'),
  MEDALLION_LAKE_URL: z.string().min(1).optional(),
  MEDALLION_S3_ENDPOINT: urlWithScheme(['http:', 'https:']).optional(),
  MEDALLION_EVENTS_PER_HOUR: positiveInt(50_000_000).default(100_000),
  MEDALLION_SEED: nonNegativeInt(2 ** 31).default(42),
  MEDALLION_TASK_RETRIES: nonNegativeInt(10).default(2),
  MEDALLION_RETRY_DELAY_MS: nonNegativeInt(600_000).default(1_000),
  MEDALLION_LOCK_TIMEOUT_MS: nonNegativeInt(3_600_000).default(120_000),
  MEDALLION_FRAMEWORK: z.string().min(1).default('medallion-ts'),
  /** Fault injection for drills and tests: the named task fails on every attempt. */
  MEDALLION_FAIL_TASK: z.string().optional(),
});

export interface Config {
  home: string;
  clickhouse: { mode: 'embedded'; path: string } | { mode: 'server'; url: string };
  postgres: { mode: 'embedded'; path: string } | { mode: 'server'; url: string };
  postgresSchema: string;
  lake: { mode: 'directory'; path: string } | { mode: 's3'; bucket: string; prefix: string; endpoint?: string };
  source: { eventsPerHour: number; seed: number };
  retries: { attempts: number; delayMs: number };
  lockTimeoutMs: number;
  framework: string;
  failTask?: string;
}

export class ConfigError extends Error {
  constructor(readonly variable: string, problem: string) {
    super(`Invalid configuration: ${variable} ${problem}`);
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
  const parsed = environmentSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const variable = String(issue?.path[0] ?? 'configuration');
    throw new ConfigError(variable, `${issue?.message ?? 'is invalid'} (got ${JSON.stringify(maskSecrets(String(raw[variable] ?? '')))})`);
  }
  const e = parsed.data;
  const home = path.resolve(e.MEDALLION_HOME);
  return {
    home,
    clickhouse: e.MEDALLION_CLICKHOUSE_URL
      ? { mode: 'server', url: e.MEDALLION_CLICKHOUSE_URL }
      : { mode: 'embedded', path: path.join(home, 'clickhouse') },
    postgres: e.MEDALLION_POSTGRES_URL
      ? { mode: 'server', url: e.MEDALLION_POSTGRES_URL }
      : { mode: 'embedded', path: path.join(home, 'postgres') },
    postgresSchema: e.MEDALLION_POSTGRES_SCHEMA,
    lake: parseLake(e.MEDALLION_LAKE_URL, home, e.MEDALLION_S3_ENDPOINT),
    source: { eventsPerHour: e.MEDALLION_EVENTS_PER_HOUR, seed: e.MEDALLION_SEED },
    retries: { attempts: e.MEDALLION_TASK_RETRIES + 1, delayMs: e.MEDALLION_RETRY_DELAY_MS },
    lockTimeoutMs: e.MEDALLION_LOCK_TIMEOUT_MS,
    framework: e.MEDALLION_FRAMEWORK,
    ...(e.MEDALLION_FAIL_TASK ? { failTask: e.MEDALLION_FAIL_TASK } : {}),
  };
}

function pickDefined(values: Record<string, string | undefined>): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) {
    if (key.startsWith('MEDALLION_') && value !== undefined && value !== '') picked[key] = value;
  }
  return picked;
}

/** Replaces the password of every URL in a text by ***: for log lines and error messages. */
export function maskSecrets(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:)[^@/\s]+@/gi, '$1***@');
}

/** A one-line description of where each engine points, safe to print. */
export function describeTargets(config: Config): Record<string, string> {
  const lake = config.lake.mode === 's3' ? `s3://${config.lake.bucket}/${config.lake.prefix}` : config.lake.path;
  return {
    clickhouse: config.clickhouse.mode === 'server' ? maskSecrets(config.clickhouse.url) : `chDB (embedded) at ${config.clickhouse.path}`,
    postgres: config.postgres.mode === 'server' ? maskSecrets(config.postgres.url) : `PGlite (embedded) at ${config.postgres.path}`,
    lake: config.lake.mode === 's3' ? lake : `directory ${lake}`,
  };
}
