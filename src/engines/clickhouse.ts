import os from 'node:os';
import { ClickHouseLogLevel, createClient, type ClickHouseClient, type ErrorLogParams, type Logger, type WarnLogParams } from '@clickhouse/client';
import { parse } from 'lossless-json';
import type { Config } from '../config.js';
import { displayUrl, maskSecrets } from '../secrets.js';
import { renderDeployment, sqlFile, type Deployment } from '../sql.js';
import { whenUnreachable } from './errors.js';
import { importOptional } from './optional.js';
import { removeReplacedParts } from './replaced-parts.js';
import type { ResultColumn, ResultSet } from './result-set.js';
import { finishRunningMerges, type RunningMerge } from './running-merges.js';

export type QueryParams = Record<string, unknown>;

/**
 * The narrow seam between the pipeline and ClickHouse. The pipeline asks to run SQL, read rows, read
 * bytes or insert rows; whether chDB runs in this process or a server answers over HTTP is decided
 * once, in {@link openClickHouse}.
 */
export interface Warehouse {
  /** Runs a statement that returns nothing (DDL, INSERT … SELECT). Values are bound, never spliced. */
  command(sql: string, params?: QueryParams): Promise<void>;
  /** Runs a query and returns its rows as objects (64-bit integers as numbers). */
  rows<T>(sql: string, params?: QueryParams): Promise<T[]>;
  /** Runs a query and returns its columns and exact values (see ResultSet): what a person asked for. */
  resultSet(sql: string, params?: QueryParams): Promise<ResultSet>;
  /** Runs a statement that carries its own FORMAT clause and returns its output as ClickHouse wrote it. */
  formatted(sql: string): Promise<Buffer>;
  /** Runs a query and returns its raw output in the given format, e.g. Parquet bytes. */
  bytes(sql: string, format: 'Parquet' | 'TabSeparated' | 'CSVWithNames' | 'PrettyCompactNoEscapes', params?: QueryParams): Promise<Buffer>;
  /** Inserts JS rows (small sets only: catalog and dimension rows; events never pass through JS). */
  insert(table: string, rows: readonly object[]): Promise<void>;
  close(): Promise<void>;
}

const settings = {
  // Counts and sums come back as JSON numbers on both engines.
  output_format_json_quote_64bit_integers: 0,
  // Windows are UTC whatever the machine's zone.
  session_timezone: 'UTC',
  // A DateTime parameter arrives as 'YYYY-MM-DD hh:mm:ss'.
  date_time_input_format: 'best_effort',
  // WHERE valid_to > … means the column even when the SELECT list formats it under the same name.
  prefer_column_name_to_alias: 1,
} as const;

/**
 * One SET for chDB's connection, which keeps it for every later statement. Given as the client's settings,
 * they would be sent as a SET before each statement (chdb/connection has no other way to pass them), about
 * 1.3 ms each time, some 90 statements a window. The names and values are this module's constants and the
 * validated memory budget, never a user's text.
 */
function sessionSettings(values: Record<string, string | number | undefined>): string {
  return `SET ${Object.entries(values)
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) => `${name} = ${typeof value === 'number' ? value : `'${value}'`}`)
    .join(', ')}`;
}

/** Numbers exactly as ClickHouse writes them (for {@link Warehouse.resultSet}): unquoted, decimals with their scale. */
const exactOutput = {
  output_format_json_quote_64bit_integers: 0,
  output_format_json_quote_decimals: 0,
  output_format_decimal_trailing_zeros: 1,
} as const;

/** Column types whose values are numbers. */
const NUMERIC_TYPE = /^(U?Int\d+|Float\d+|BFloat16|Decimal)/;

function resultColumn(meta: { name: string; type: string }): ResultColumn {
  const bare = meta.type.replace(/^(Nullable|LowCardinality)\(/, '').replace(/^(Nullable|LowCardinality)\(/, '');
  return { name: meta.name, type: meta.type, numeric: NUMERIC_TYPE.test(bare) };
}

/**
 * The client's own warnings and errors, one line each on stderr through maskSecrets (its default logger
 * prints whole request descriptions to the console, unredacted). Only with --verbose: otherwise the client
 * logs nothing, and what fails reaches the pipeline or the CLI as one error that names the server.
 */
class MaskedLogger implements Logger {
  trace() {}
  debug() {}
  info() {}
  warn({ module, message, err }: WarnLogParams) {
    process.stderr.write(`${maskSecrets(`@clickhouse/client ${module}: ${message}${err ? ` (${err.message})` : ''}`)}\n`);
  }
  error({ module, message, err }: ErrorLogParams) {
    this.warn({ module, message, err });
  }
}

export interface ClickHouseOptions {
  /** What an "unreachable" message advises doing once the server is back (default: rerun the window). */
  advice?: string;
  /** Let the client log its warnings and errors (masked) on stderr. */
  verbose?: boolean;
  /** Embedded: whether close waits for the running merges, up to mergeWaitSeconds (default true). */
  finishMerges?: boolean;
}

/** What the close could not do, on stderr: it costs time or disk, not data, so the close goes on. */
const reportCloseFailure = (what: string) => (error: unknown): undefined => {
  process.stderr.write(`chDB: ${what}: ${(error as Error).message}\n`);
  return undefined;
};
const reportMergeWaitFailure = reportCloseFailure('could not wait for its running merges to finish (the next process begins them again)');
const reportCleanupFailure = reportCloseFailure('the data parts its merges replaced were not all deleted (tried again at the next close)');

export async function openClickHouse(target: Config['clickhouse'], options: ClickHouseOptions = {}): Promise<Warehouse> {
  let client: ClickHouseClient;
  // Every statement is rendered for the deployment: DDL runs ON CLUSTER with replicated engines when a
  // cluster is configured, and as written on one node (see renderDeployment).
  const deployment: Deployment = target.mode === 'server' && target.cluster ? { cluster: target.cluster } : {};
  const render = (sql: string) => renderDeployment(sql, deployment);
  // A server that is down or unreachable is named (password masked); what a reachable server answers
  // (syntax, types, limits) passes unchanged. chDB runs in this process and is never "unreachable".
  const name = target.mode === 'server' ? `ClickHouse server ${displayUrl(target.url)}` : 'chDB';
  const attempt = async <R>(action: string, work: () => Promise<R>): Promise<R> => {
    try {
      return await work();
    } catch (error) {
      throw target.mode === 'server' ? whenUnreachable(name, action, error, options.advice) : error;
    }
  };
  // Bounded memory: past half of the budget, aggregations and sorts spill to disk instead of failing.
  const memory = target.memoryMb
    ? { max_memory_usage: String(target.memoryMb * 2 ** 20), max_bytes_before_external_group_by: String(target.memoryMb * 2 ** 19), max_bytes_before_external_sort: String(target.memoryMb * 2 ** 19) }
    : {};
  if (target.mode === 'server') {
    const log = { LoggerClass: MaskedLogger, level: options.verbose ? ClickHouseLogLevel.WARN : ClickHouseLogLevel.OFF };
    client = createClient({ url: target.url, clickhouse_settings: { ...settings, ...memory }, request_timeout: 600_000, log });
  } else {
    // Loaded only in embedded mode (an optional dependency), so a server deployment does not need chDB's native library.
    const { createChdbConnection } = await importOptional<{ createChdbConnection(options: { path: string }): unknown }>('chdb/connection', {
      what: 'chDB (embedded ClickHouse)',
      packageName: 'chdb',
      serverVariable: 'MEDALLION_CLICKHOUSE_URL',
    });
    // chDB implements @clickhouse/client-common's Connection; the client bundles its own copy of those
    // types, structurally the same but nominally distinct, hence the cast.
    const connection = createChdbConnection({ path: target.path }) as unknown as NonNullable<Parameters<typeof createClient>[0]>['connection'];
    client = createClient({ connection, log: { level: ClickHouseLogLevel.OFF } });
    // INSERT … SELECT writes with one thread unless told: on this process's machine, every core (the silver
    // insert of a 10 M-event batch takes half the time on 2). A server's profile decides for itself.
    await client.command({ query: sessionSettings({ ...settings, ...memory, max_insert_threads: os.availableParallelism() }) });
  }
  return {
    async command(sql, params) {
      await attempt('running a statement', () => client.command({ query: render(sql), query_params: params }));
    },
    async rows<T>(sql: string, params?: QueryParams) {
      return attempt('running a query', async () => {
        const result = await client.query({ query: render(sql), format: 'JSONEachRow', query_params: params });
        return result.json<T>();
      });
    },
    async resultSet(sql, params) {
      return attempt('running a query', async () => {
        const result = await client.query({ query: render(sql), format: 'JSONCompact', query_params: params, clickhouse_settings: exactOutput });
        // lossless-json keeps every number's digits (JSON.parse would round a UInt64 past 2^53).
        const { meta, data } = parse(await result.text()) as { meta: { name: string; type: string }[]; data: unknown[][] };
        return { columns: meta.map(resultColumn), rows: data };
      });
    },
    async formatted(sql) {
      return attempt('running a query', async () => {
        const result = await client.exec({ query: render(sql), clickhouse_settings: exactOutput });
        const chunks: Buffer[] = [];
        for await (const chunk of result.stream) chunks.push(Buffer.from(chunk as Uint8Array));
        return Buffer.concat(chunks);
      });
    },
    async bytes(sql, format, params) {
      return attempt(`reading ${format}`, async () => {
        const result = await client.exec({
          query: `${render(sql)}\nFORMAT ${format}`,
          query_params: params,
          clickhouse_settings: {
            // Snappy: the codec every lake reader (Athena, Spark, Trino, DuckDB) accepts.
            output_format_parquet_compression_method: 'snappy',
            // Strings as UTF-8 strings, whatever a server's own default: the lake's column types stay stable.
            output_format_parquet_string_as_string: 1,
          },
        });
        const chunks: Buffer[] = [];
        for await (const chunk of result.stream) chunks.push(Buffer.from(chunk as Uint8Array));
        return Buffer.concat(chunks);
      });
    },
    async insert(table, rows) {
      if (rows.length === 0) return;
      // Omitted columns take their DEFAULT expression (dim_users.user_key) on both engines.
      await attempt(`inserting into ${table}`, () =>
        client.insert({ table, values: rows as object[], format: 'JSONEachRow', clickhouse_settings: { input_format_defaults_for_omitted_fields: 1 } }),
      );
    },
    async close() {
      if (target.mode === 'server') return client.close();
      // Merges cut short here would be begun again by the next process (see running-merges.ts). Failing to
      // wait costs time, not data: reported, and the close goes on.
      await finishRunningMerges(
        () => client.query({ query: sqlFile(import.meta.url, 'running_merges'), format: 'JSONEachRow' }).then((result) => result.json<RunningMerge>()),
        options.finishMerges === false ? 0 : target.mergeWaitSeconds * 1000,
      ).catch(reportMergeWaitFailure);
      // What chDB leaves of its merges, removed once the session is closed (see replaced-parts.ts). A failure
      // to read or delete them costs disk, not data: it is reported, and the next close tries again.
      const replaced = await client
        .query({ query: sqlFile(import.meta.url, 'replaced_parts'), format: 'JSONEachRow', query_params: { lifetime_seconds: target.oldPartsLifetimeSeconds } })
        .then((result) => result.json<{ path: string }>())
        .catch(reportCleanupFailure);
      await client.close();
      if (replaced?.length) await removeReplacedParts(target.path, replaced.map((part) => part.path)).catch(reportCleanupFailure);
    },
  };
}
