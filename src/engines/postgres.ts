import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import type { Config, PostgresTls } from '../config.js';
import { displayUrl } from '../secrets.js';
import { sqlFile } from '../sql.js';
import { whenUnreachable } from './errors.js';
import { openPglite } from './pglite.js';
import { exactNumber, type ResultSet } from './result-set.js';

/** The narrow seam to PostgreSQL: PGlite in this process or a server, the same SQL for both. */
export interface Postgres {
  query<T>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /**
   * Runs one statement and returns its columns and exact values (see ResultSet): bigint and numeric as
   * their digits, dates and timestamps as PostgreSQL prints them. What a person asked for.
   */
  resultSet(sql: string): Promise<ResultSet>;
  /** Runs `work` inside one transaction: committed when it resolves, rolled back when it throws. */
  transaction<R>(work: (tx: Pick<Postgres, 'query'>) => Promise<R>): Promise<R>;
  /**
   * A session of its own for advisory locks, shown as `applicationName` in pg_stat_activity. Its locks are
   * held until unlocked or the session ends; a server ends the session when the connection drops, so they
   * are freed when the process dies, however it dies. `onLost` hears of a session the server dropped.
   */
  lockSession(applicationName: string, onLost: (error: Error) => void): Promise<AdvisoryLocks>;
  close(): Promise<void>;
}

/** The two int4 keys of pg_advisory_lock(int4, int4). */
export type AdvisoryKey = readonly [number, number];

export interface AdvisoryLocks {
  /** Takes the lock unless another session holds it; true when this session now holds it. */
  tryLock(key: AdvisoryKey): Promise<boolean>;
  /** Who holds the lock (from pg_locks and pg_stat_activity), or undefined when nobody does. */
  holder(key: AdvisoryKey): Promise<string | undefined>;
  unlock(key: AdvisoryKey): Promise<void>;
  close(): Promise<void>;
}

function advisoryLocks(query: Postgres['query'], close: () => Promise<void>): AdvisoryLocks {
  return {
    async tryLock(key) {
      const [row] = await query<{ acquired: boolean }>(sqlFile(import.meta.url, 'advisory_try_lock'), key);
      return row?.acquired === true;
    },
    async holder(key) {
      const [row] = await query<{ pid: number; application_name: string | null; backend_start: Date | string | null; client_addr: string | null }>(sqlFile(import.meta.url, 'advisory_holder'), key);
      if (!row) return undefined;
      const since = row.backend_start ? ` connected since ${new Date(row.backend_start).toISOString()}` : '';
      const from = row.client_addr ? ` from ${row.client_addr}` : '';
      return `${row.application_name || 'a session'} (PostgreSQL backend pid ${row.pid}${from}${since})`;
    },
    async unlock(key) {
      await query(sqlFile(import.meta.url, 'advisory_unlock'), key);
    },
    close,
  };
}

export interface PostgresOptions {
  /** What an "unreachable" message advises doing once the server is back (default: rerun the window). */
  advice?: string;
}

export async function openPostgres(target: Config['postgres'], options: PostgresOptions = {}): Promise<Postgres> {
  return target.mode === 'server' ? openServer(target.url, target.tls, options) : openEmbedded(target.path);
}

/** Type oids (pg_type) of numbers, and of dates and times, which a result set keeps as PostgreSQL's text. */
const NUMERIC_TYPES = new Set([20, 21, 23, 26, 700, 701, 1700]);
const TEXT_KEPT_TYPES = [1082, 1083, 1114, 1184, 1266];

/** Per-query parsers for a result set: numbers exact, dates and times as printed; every other type as usual. */
const exactParsers: Record<number, (value: string) => unknown> = Object.fromEntries([
  ...[...NUMERIC_TYPES].map((oid) => [oid, exactNumber]),
  ...TEXT_KEPT_TYPES.map((oid) => [oid, (value: string) => value]),
]);

function toResultSet(fields: readonly { name: string; dataTypeID: number }[], rows: readonly unknown[][], typeName: (oid: number) => string): ResultSet {
  return {
    columns: fields.map((field) => ({ name: field.name, type: typeName(field.dataTypeID), numeric: NUMERIC_TYPES.has(field.dataTypeID) })),
    rows,
  };
}

/** PostgreSQL's names of the common types, for the column list (others show their oid). */
const TYPE_NAMES: Record<number, string> = {
  16: 'bool', 20: 'int8', 21: 'int2', 23: 'int4', 25: 'text', 26: 'oid', 114: 'json', 700: 'float4', 701: 'float8', 1043: 'varchar',
  1082: 'date', 1083: 'time', 1114: 'timestamp', 1184: 'timestamptz', 1266: 'timetz', 1700: 'numeric', 2950: 'uuid', 3802: 'jsonb',
};
const typeName = (oid: number) => TYPE_NAMES[oid] ?? `oid ${oid}`;

/**
 * libpq's sslmode semantics for node-postgres: require encrypts without checking the certificate,
 * verify-ca checks it against the CA, verify-full also checks the host name (what Aurora should use,
 * with AWS's RDS CA bundle as the root certificate).
 */
export function tlsOptions(tls: PostgresTls): false | ConnectionOptions {
  if (tls.mode === 'disable') return false;
  const ca = tls.rootCertFile ? readFileSync(tls.rootCertFile, 'utf8') : undefined;
  const trust = ca ? { ca } : {};
  switch (tls.mode) {
    case 'require':
      // As libpq: with a root certificate, require checks the chain like verify-ca.
      return ca ? { ca, rejectUnauthorized: true, checkServerIdentity: () => undefined } : { rejectUnauthorized: false };
    case 'verify-ca':
      return { ...trust, rejectUnauthorized: true, checkServerIdentity: () => undefined };
    case 'verify-full':
      return { ...trust, rejectUnauthorized: true };
  }
}

async function openEmbedded(dataDir: string): Promise<Postgres> {
  const db = await openPglite(dataDir);
  const query = async <T>(sql: string, params: readonly unknown[] = []) =>
    (await db.query<T>(sql, params as unknown[])).rows;
  return {
    query,
    async resultSet(sql) {
      const result = await db.query<unknown[]>(sql, [], { rowMode: 'array', parsers: exactParsers });
      return toResultSet(result.fields, result.rows, typeName);
    },
    transaction: (work) => db.transaction((tx) => work({ query: async <T>(sql: string, params: readonly unknown[] = []) => (await tx.query<T>(sql, params as unknown[])).rows })),
    // PGlite has one session, this process's: its locks keep out nobody else (the home lock does that).
    lockSession: async () => advisoryLocks(query, async () => undefined),
    close: () => db.close(),
  };
}

async function openServer(url: string, tls: PostgresTls | undefined, options: PostgresOptions): Promise<Postgres> {
  const { default: pg } = await import('pg');
  // DATE stays a 'YYYY-MM-DD' string and BIGINT a number, as PGlite returns them.
  pg.types.setTypeParser(pg.types.builtins.DATE, (value) => value);
  pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));
  const pool = new pg.Pool({
    connectionString: url,
    max: 4,
    ...(tls ? { ssl: tlsOptions(tls) } : {}),
    // A server that does not answer fails the task (which the runner retries) instead of hanging it.
    connectionTimeoutMillis: 30_000,
    keepAlive: true,
    application_name: 'medallion',
  });
  // An idle pooled connection dropped by the server (restart, failover, network) is discarded by the
  // pool; without a listener its 'error' event would end the process. The next query reconnects.
  pool.on('error', () => undefined);
  const server = `PostgreSQL server ${displayUrl(url)}`;
  const attempt = async <R>(action: string, work: () => Promise<R>): Promise<R> => {
    try {
      return await work();
    } catch (error) {
      throw whenUnreachable(server, action, error, options.advice);
    }
  };
  const query = <T>(sql: string, params: readonly unknown[] = []) =>
    attempt('running a query', async () => (await pool.query(sql, params as unknown[])).rows as T[]);
  // A result set's numbers exact and dates as printed (this query only: the pipeline's parsers stay as above).
  const exactTypes = { getTypeParser: ((oid: number, format?: 'text' | 'binary') => exactParsers[oid] ?? pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser };
  return {
    query,
    async resultSet(sql) {
      // The extended protocol, as PGlite's: one statement only (the simple protocol would run several and answer the last).
      const config = { text: sql, rowMode: 'array' as const, types: exactTypes, queryMode: 'extended' };
      const result = await attempt('running a query', () => pool.query<unknown[]>(config));
      return toResultSet(result.fields, result.rows, typeName);
    },
    async transaction(work) {
      const connection = await attempt('connecting', () => pool.connect());
      let broken: Error | undefined;
      // The server may drop the connection between two statements; a checked-out client then emits
      // 'error' (which would end the process unheard). The next statement fails and says why.
      const onError = (error: Error) => (broken = error);
      connection.on('error', onError);
      try {
        await connection.query('BEGIN');
        const result = await work({ query: async <T>(sql: string, params: readonly unknown[] = []) => (await connection.query(sql, params as unknown[])).rows as T[] });
        await connection.query('COMMIT');
        return result;
      } catch (error) {
        await connection.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
        throw whenUnreachable(server, 'in a transaction (rolled back)', error);
      } finally {
        connection.off('error', onError);
        // A connection that broke or could not even roll back is closed, not returned to the pool.
        connection.release(broken);
      }
    },
    async lockSession(applicationName, onLost) {
      // Not from the pool: the lock belongs to this one connection, for as long as it lives.
      const client = new pg.Client({
        connectionString: url,
        ...(tls ? { ssl: tlsOptions(tls) } : {}),
        connectionTimeoutMillis: 30_000,
        keepAlive: true,
        application_name: applicationName,
      });
      client.on('error', onLost);
      await attempt('opening a session for a lock', () => client.connect());
      const sessionQuery = <T>(sql: string, params: readonly unknown[] = []) =>
        attempt('running a query of a lock session', async () => (await client.query(sql, params as unknown[])).rows as T[]);
      // A server that ends idle sessions (idle_session_timeout, PostgreSQL 14+) would free the lock mid-run.
      await sessionQuery(sqlFile(import.meta.url, 'keep_idle_session')).catch(() => undefined);
      return advisoryLocks(sessionQuery, () => client.end());
    },
    close: () => pool.end(),
  };
}
