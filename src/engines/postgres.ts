import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import type { Config, PostgresTls } from '../config.js';
import { displayUrl } from '../secrets.js';
import { sqlFile } from '../sql.js';
import { whenUnreachable } from './errors.js';

/** The narrow seam to PostgreSQL: PGlite in this process or a server, the same SQL for both. */
export interface Postgres {
  query<T>(sql: string, params?: readonly unknown[]): Promise<T[]>;
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

export async function openPostgres(target: Config['postgres']): Promise<Postgres> {
  return target.mode === 'server' ? openServer(target.url, target.tls) : openEmbedded(target.path);
}

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
  const { PGlite } = await import('@electric-sql/pglite');
  const db = await PGlite.create({ dataDir });
  const query = async <T>(sql: string, params: readonly unknown[] = []) =>
    (await db.query<T>(sql, params as unknown[])).rows;
  return {
    query,
    transaction: (work) => db.transaction((tx) => work({ query: async <T>(sql: string, params: readonly unknown[] = []) => (await tx.query<T>(sql, params as unknown[])).rows })),
    // PGlite has one session, this process's: its locks keep out nobody else (the home lock does that).
    lockSession: async () => advisoryLocks(query, async () => undefined),
    close: () => db.close(),
  };
}

async function openServer(url: string, tls: PostgresTls | undefined): Promise<Postgres> {
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
      throw whenUnreachable(server, action, error);
    }
  };
  const query = <T>(sql: string, params: readonly unknown[] = []) =>
    attempt('running a query', async () => (await pool.query(sql, params as unknown[])).rows as T[]);
  return {
    query,
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
