import type { Postgres } from '../../engines/index.js';
import { faultPoint } from '../../faults.js';
import { sqlFile, statements } from '../../sql.js';
import type { TouchedWindows } from '../bronze/repository.js';
import type { DailyRow, HourlyRow } from '../gold/repository.js';

/** Totals of one window on one target, compared by delivery validation. */
export interface WindowTotals {
  window_key: string;
  [metric: string]: number | string;
}

const schemaSql = (name: string, schema: string) => sqlFile(import.meta.url, name, { schema });

/**
 * Creates the PostgreSQL schema and replicas. What exists already is left alone, so a loader without the
 * CREATE privilege works once an owner has created them; a missing privilege is reported as such.
 */
/** The replicas' DDL in the configured schema (create_tables.sql). */
export function postgresDdl(schema: string): string {
  return schemaSql('create_tables', schema);
}

/** Creates the schema and the replicas where missing; one query when they are all there. */
export async function createPostgresTables(postgres: Postgres, schema: string): Promise<void> {
  const [existing] = await postgres.query<{ user_name: string; database_name: string; schema_exists: boolean; tables: string[] }>(sqlFile(import.meta.url, 'existing_objects'), [schema]);
  const present = new Set(existing?.tables ?? []);
  const ddl = statements(postgresDdl(schema));
  const wanted = ddl.map((statement) => /^CREATE TABLE IF NOT EXISTS "?\w+"?\.(\w+)/m.exec(statement)?.[1]).filter((table): table is string => table !== undefined);
  if (existing?.schema_exists && wanted.every((table) => present.has(table))) return;
  try {
    for (const statement of ddl) {
      if (existing?.schema_exists && /^CREATE SCHEMA\b/m.test(statement)) continue;
      await postgres.query(statement);
    }
  } catch (error) {
    if ((error as { code?: string }).code === '42501') {
      const user = existing?.user_name ?? '…';
      const database = existing?.database_name ?? '…';
      throw new Error(
        `PostgreSQL refused to create schema "${schema}" or its tables: the user "${user}" lacks the CREATE privilege in database "${database}". ` +
          `Grant it (GRANT CREATE ON DATABASE "${database}" TO "${user}"), or have an owner create the schema and tables once ` +
          `(src/layers/delivery/sql/create_tables.sql) and grant USAGE on the schema and SELECT, INSERT, UPDATE on its tables. (${(error as Error).message})`,
        { cause: error },
      );
    }
    throw error;
  }
}

/**
 * Rows per upsert statement. Each statement binds one array per column, so its size is bounded whatever
 * a window holds; 100 k rows take about a second against a PostgreSQL server (test/servers/postgres.test.ts).
 */
export const UPSERT_BATCH_ROWS = 20_000;

/**
 * Upserts rows in batches of {@link UPSERT_BATCH_ROWS}, all in one transaction: readers see every touched
 * row of the table change at once, and a failure leaves the replica as it was.
 */
async function upsertInBatches<Row, Column extends keyof Row>(postgres: Postgres, sql: string, columns: readonly Column[], rows: readonly Row[]): Promise<void> {
  if (rows.length === 0) return;
  await postgres.transaction(async (tx) => {
    for (let start = 0; start < rows.length; start += UPSERT_BATCH_ROWS) {
      const batch = rows.slice(start, start + UPSERT_BATCH_ROWS);
      await tx.query(sql, columns.map((column) => batch.map((row) => row[column])));
      // Crash drill: rows sent, transaction not committed.
      faultPoint('mid:load_aurora');
    }
  });
}

/** Upserts the touched hours' gold rows in one transaction. */
export async function upsertHourly(postgres: Postgres, schema: string, rows: readonly HourlyRow[]): Promise<void> {
  const columns = ['event_date', 'event_hour', 'category', 'source', 'event_count', 'revenue_events', 'total_value', '_batch_id'] as const;
  await upsertInBatches(postgres, schemaSql('upsert_hourly', schema), columns, rows);
}

/** Upserts the touched dates' gold rows in one transaction. */
export async function upsertDaily(postgres: Postgres, schema: string, rows: readonly DailyRow[]): Promise<void> {
  const columns = ['event_date', 'total_events', 'unique_users', 'revenue_events', 'total_revenue', 'avg_value', '_batch_id'] as const;
  await upsertInBatches(postgres, schemaSql('upsert_daily', schema), columns, rows);
}

export function postgresHourlyTotals(postgres: Postgres, schema: string, touched: TouchedWindows): Promise<WindowTotals[]> {
  return postgres.query<WindowTotals>(schemaSql('hourly_totals', schema), [touched.hours]);
}

export function postgresDailyTotals(postgres: Postgres, schema: string, touched: TouchedWindows): Promise<WindowTotals[]> {
  return postgres.query<WindowTotals>(schemaSql('daily_totals', schema), [touched.dates]);
}

export interface PostgresTable {
  table_name: string;
  description: string;
  primary_key: string;
}

export interface PostgresColumn {
  table_name: string;
  column_name: string;
  position: number;
  data_type: string;
  description: string;
  in_primary_key: boolean;
}

export async function describePostgres(postgres: Postgres, schema: string): Promise<{ tables: PostgresTable[]; columns: PostgresColumn[] }> {
  const [tables, columns] = await Promise.all([
    postgres.query<PostgresTable>(sqlFile(import.meta.url, 'describe_tables'), [schema]),
    postgres.query<PostgresColumn>(sqlFile(import.meta.url, 'describe_columns'), [schema]),
  ]);
  return { tables, columns };
}
