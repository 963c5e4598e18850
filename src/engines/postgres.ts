import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { maskSecrets, type Config, type PostgresTls } from '../config.js';
import { whenUnreachable } from './errors.js';

/** The narrow seam to PostgreSQL: PGlite in this process or a server, the same SQL for both. */
export interface Postgres {
  query<T>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** Runs `work` inside one transaction: committed when it resolves, rolled back when it throws. */
  transaction<R>(work: (tx: Pick<Postgres, 'query'>) => Promise<R>): Promise<R>;
  close(): Promise<void>;
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
  const server = `PostgreSQL server ${maskSecrets(url)}`;
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
    close: () => pool.end(),
  };
}
