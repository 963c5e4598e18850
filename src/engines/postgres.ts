import type { Config } from '../config.js';

/** The narrow seam to PostgreSQL: PGlite in this process or a server, the same SQL for both. */
export interface Postgres {
  query<T>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** Runs `work` inside one transaction: committed when it resolves, rolled back when it throws. */
  transaction<R>(work: (tx: Pick<Postgres, 'query'>) => Promise<R>): Promise<R>;
  close(): Promise<void>;
}

export async function openPostgres(target: Config['postgres']): Promise<Postgres> {
  return target.mode === 'server' ? openServer(target.url) : openEmbedded(target.path);
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

async function openServer(url: string): Promise<Postgres> {
  const { default: pg } = await import('pg');
  // DATE stays a 'YYYY-MM-DD' string and BIGINT a number, as PGlite returns them.
  pg.types.setTypeParser(pg.types.builtins.DATE, (value) => value);
  pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  const query = async <T>(sql: string, params: readonly unknown[] = []) =>
    (await pool.query(sql, params as unknown[])).rows as T[];
  return {
    query,
    async transaction(work) {
      const connection = await pool.connect();
      try {
        await connection.query('BEGIN');
        const result = await work({ query: async <T>(sql: string, params: readonly unknown[] = []) => (await connection.query(sql, params as unknown[])).rows as T[] });
        await connection.query('COMMIT');
        return result;
      } catch (error) {
        await connection.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        connection.release();
      }
    },
    close: () => pool.end(),
  };
}
