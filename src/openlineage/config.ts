import path from 'node:path';
import { validate as isUuid } from 'uuid';
// A namespace import lets the CLI's bundle keep only the parts of zod used (0.2 MB, not 0.75 MB with `{ z }`).
import * as z from 'zod';
import { displayUrl, holdsSecrets, parseUrl, SECRET_ENVIRONMENT_VARIABLES } from '../secrets.js';

/**
 * OpenLineage's configuration, read from the variables the official clients read (the Python client's
 * OpenLineageClient and the Airflow provider), so a deployment that sets them for Airflow needs nothing new:
 *
 * - OPENLINEAGE_DISABLED=true: nothing is emitted, whatever else is set;
 * - OPENLINEAGE__TRANSPORT__TYPE=http|file|console (and the OPENLINEAGE__TRANSPORT__* settings of that
 *   transport), else OPENLINEAGE_URL (+ OPENLINEAGE_ENDPOINT, OPENLINEAGE_API_KEY): the HTTP transport;
 * - neither: off. (The Python client falls back to printing events on the console; a pipeline that prints
 *   lineage nobody asked for would only add noise, so Medallion stays silent.)
 *
 * OPENLINEAGE_NAMESPACE names the jobs' namespace (default `medallion`); OPENLINEAGE_PARENT_ID and
 * OPENLINEAGE_ROOT_PARENT_ID (`namespace/job_name/run_id`, as the Airflow provider's lineage_parent_id and
 * lineage_root_parent_id macros and dbt-ol write them) name the run that started this one.
 */
export interface OpenLineageSettings {
  /** The namespace of Medallion's jobs. */
  namespace: string;
  transport: TransportSettings;
  /** The run that started this process's runs (an Airflow task instance), from OPENLINEAGE_PARENT_ID. */
  parent?: RunReference;
  /** The root of that hierarchy (the Airflow DAG run), from OPENLINEAGE_ROOT_PARENT_ID. */
  root?: RunReference;
}

export type TransportSettings =
  | {
      type: 'http';
      /** The server's base URL (as given: it may hold a login, never printed unmasked). */
      url: string;
      /** Resolved against `url` as the Python client does (urljoin): `api/v1/lineage` by default. */
      endpoint: string;
      timeoutMs: number;
      /** Sent as `Authorization: Bearer <key>`; a secret, registered for masking by src/secrets.ts. */
      apiKey?: string;
      /** Retries after a failed attempt (connection error, timeout, HTTP 5xx), as urllib3's Retry.total. */
      retries: number;
      /** The wait before retry n is backoffSeconds × 2^(n-1), as urllib3's backoff_factor. */
      backoffSeconds: number;
    }
  | {
      type: 'file';
      /** Absolute. With `append`, every event is a line of this file; otherwise each event is a file of its own, `<path>-<timestamp>.json`. */
      path: string;
      append: boolean;
    }
  | { type: 'console' };

/** A run, as the parent run facet names it. */
export interface RunReference {
  namespace: string;
  name: string;
  runId: string;
}

export const DEFAULT_NAMESPACE = 'medallion';
/** The Python client's defaults (HttpConfig and its DEFAULT_RETRY_CONFIG). */
export const DEFAULT_ENDPOINT = 'api/v1/lineage';
const DEFAULT_TIMEOUT_SECONDS = 5;
const DEFAULT_RETRIES = 5;
const DEFAULT_BACKOFF_SECONDS = 0.3;

/** What an invalid variable stops the program with: src/config.ts turns it into a ConfigError (exit 2). */
export type Refuse = (variable: string, problem: string) => never;

const TRANSPORT_TYPES = ['http', 'file', 'console', 'noop'] as const;

/** The clients compare OPENLINEAGE_DISABLED with "true"; anything but true or false is refused here rather than read as false. */
const flag = z
  .string()
  .transform((value) => value.trim().toLowerCase())
  .refine((value) => value === 'true' || value === 'false', 'must be true or false')
  .transform((value) => value === 'true');

const seconds = (max: number) =>
  z.coerce.number({ error: 'must be a number of seconds' }).positive('must be greater than 0').max(max, `must be at most ${max} seconds`);

const httpUrl = z
  .string()
  .refine((value) => ['http:', 'https:'].includes(parseUrl(value)?.protocol ?? ''), 'must be an http:// or https:// URL, with @ / : ? # % and spaces in a login or password percent-encoded');

const runReference = z.string().refine((value) => parseRunReference(value) !== undefined, 'must be namespace/job_name/run_id, the run id a UUID (what the Airflow provider\'s lineage_parent_id macro gives)');

/** Every variable read, as the Python client names it. */
const environmentSchema = z.object({
  OPENLINEAGE_DISABLED: flag.optional(),
  OPENLINEAGE_NAMESPACE: z.string().trim().min(1, 'must not be empty').optional(),
  OPENLINEAGE_URL: httpUrl.optional(),
  OPENLINEAGE_ENDPOINT: z.string().optional(),
  OPENLINEAGE_API_KEY: z.string().min(1).optional(),
  OPENLINEAGE_PARENT_ID: runReference.optional(),
  OPENLINEAGE_ROOT_PARENT_ID: runReference.optional(),
  OPENLINEAGE__TRANSPORT__TYPE: z
    .string()
    .transform((value) => value.trim().toLowerCase())
    .refine((value) => (TRANSPORT_TYPES as readonly string[]).includes(value), 'must be http, file or console (the transports Medallion implements), or noop')
    .optional(),
  OPENLINEAGE__TRANSPORT__URL: httpUrl.optional(),
  OPENLINEAGE__TRANSPORT__ENDPOINT: z.string().optional(),
  OPENLINEAGE__TRANSPORT__TIMEOUT: seconds(300).optional(),
  OPENLINEAGE__TRANSPORT__AUTH__TYPE: z.string().refine((value) => value.trim().toLowerCase() === 'api_key', 'must be api_key (the only authentication Medallion implements)').optional(),
  OPENLINEAGE__TRANSPORT__AUTH__API_KEY: z.string().min(1).optional(),
  OPENLINEAGE__TRANSPORT__AUTH__APIKEY: z.string().min(1).optional(),
  OPENLINEAGE__TRANSPORT__RETRY__TOTAL: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(0, 'must be 0 or more').max(10, 'must be at most 10').optional(),
  OPENLINEAGE__TRANSPORT__RETRY__BACKOFF_FACTOR: z.coerce.number({ error: 'must be a number' }).min(0, 'must be 0 or more').max(60, 'must be at most 60').optional(),
  OPENLINEAGE__TRANSPORT__LOG_FILE_PATH: z.string().min(1, 'must not be empty').optional(),
  OPENLINEAGE__TRANSPORT__APPEND: flag.optional(),
});

type Environment = z.output<typeof environmentSchema>;

/** The settings of an environment, or undefined when OpenLineage is off; an invalid variable is refused with its name. */
export function openLineageSettings(env: Record<string, string | undefined>, refuse: Refuse): OpenLineageSettings | undefined {
  const raw: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (key.startsWith('OPENLINEAGE_') && value !== undefined && value !== '') raw[key] = value;
  const parsed = environmentSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const variable = String(issue?.path[0] ?? 'OPENLINEAGE');
    const value = raw[variable] ?? '';
    // An API key is never shown (src/secrets.ts registers it for masking); a URL only parsed, its password masked.
    const shown = (SECRET_ENVIRONMENT_VARIABLES as readonly string[]).includes(variable) ? '' : ` (got ${JSON.stringify(holdsSecrets(variable) ? displayUrl(value) : value)})`;
    return refuse(variable, `${issue?.message ?? 'is invalid'}${shown}`);
  }
  const e = parsed.data;
  if (e.OPENLINEAGE_DISABLED) return undefined;
  const transport = transportOf(e, refuse);
  if (!transport) return undefined;
  return {
    namespace: e.OPENLINEAGE_NAMESPACE ?? DEFAULT_NAMESPACE,
    transport,
    ...(e.OPENLINEAGE_PARENT_ID ? { parent: parseRunReference(e.OPENLINEAGE_PARENT_ID)! } : {}),
    ...(e.OPENLINEAGE_ROOT_PARENT_ID ? { root: parseRunReference(e.OPENLINEAGE_ROOT_PARENT_ID)! } : {}),
  };
}

/** The Python client's order: an explicit transport type first, then OPENLINEAGE_URL; nothing else means off. */
function transportOf(e: Environment, refuse: Refuse): TransportSettings | undefined {
  const type = e.OPENLINEAGE__TRANSPORT__TYPE ?? (e.OPENLINEAGE_URL ? 'http' : undefined);
  switch (type) {
    case undefined:
    case 'noop':
      return undefined;
    case 'console':
      return { type: 'console' };
    case 'file': {
      const file = e.OPENLINEAGE__TRANSPORT__LOG_FILE_PATH;
      if (!file) return refuse('OPENLINEAGE__TRANSPORT__LOG_FILE_PATH', 'must be set for OPENLINEAGE__TRANSPORT__TYPE=file: the file (or, without APPEND=true, the prefix of the files) the events are written to');
      return { type: 'file', path: path.resolve(file), append: e.OPENLINEAGE__TRANSPORT__APPEND ?? false };
    }
    case 'http': {
      // The explicit transport's own settings win; the short variables fill in what it leaves out.
      const url = e.OPENLINEAGE__TRANSPORT__URL ?? e.OPENLINEAGE_URL;
      if (!url) return refuse('OPENLINEAGE__TRANSPORT__URL', 'must be set for OPENLINEAGE__TRANSPORT__TYPE=http (or OPENLINEAGE_URL): the base URL of the lineage server, e.g. http://marquez:5000');
      const apiKey = e.OPENLINEAGE__TRANSPORT__AUTH__API_KEY ?? e.OPENLINEAGE__TRANSPORT__AUTH__APIKEY ?? e.OPENLINEAGE_API_KEY;
      return {
        type: 'http',
        url,
        endpoint: e.OPENLINEAGE__TRANSPORT__ENDPOINT ?? e.OPENLINEAGE_ENDPOINT ?? DEFAULT_ENDPOINT,
        timeoutMs: Math.round((e.OPENLINEAGE__TRANSPORT__TIMEOUT ?? DEFAULT_TIMEOUT_SECONDS) * 1000),
        ...(apiKey ? { apiKey } : {}),
        retries: e.OPENLINEAGE__TRANSPORT__RETRY__TOTAL ?? DEFAULT_RETRIES,
        backoffSeconds: e.OPENLINEAGE__TRANSPORT__RETRY__BACKOFF_FACTOR ?? DEFAULT_BACKOFF_SECONDS,
      };
    }
    default:
      return undefined;
  }
}

/** `namespace/job_name/run_id`, split as dbt-ol splits it: exactly three parts, the last a UUID. */
export function parseRunReference(value: string): RunReference | undefined {
  const parts = value.trim().split('/');
  if (parts.length !== 3 || parts.some((part) => part === '')) return undefined;
  const [namespace, name, runId] = parts as [string, string, string];
  return isUuid(runId) ? { namespace, name, runId: runId.toLowerCase() } : undefined;
}
