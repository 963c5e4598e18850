import type { Warehouse } from './clickhouse.js';
import { connectionProblem } from './errors.js';
import type { Postgres } from './postgres.js';
import type { ResultSet } from './result-set.js';

/**
 * A statement typed by a person (`medallion query`): exactly one, checked by the engine's own parser, and
 * answered exactly. A ClickHouse statement may carry its own FORMAT clause: its output is then ClickHouse's,
 * byte for byte, as clickhouse-client prints it.
 */
export type AdHocAnswer = { kind: 'rows'; result: ResultSet } | { kind: 'formatted'; format: string; output: Buffer };

/** The statement cannot be run as asked (several statements, none, FORMAT twice). A usage problem. */
export class StatementError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StatementError';
  }
}

const SEVERAL = 'query takes one statement, and this SQL holds several (separated by ;): run them one at a time';

export async function askClickHouse(clickhouse: Warehouse, sql: string): Promise<AdHocAnswer> {
  const statement = await parseClickHouse(clickhouse, sql);
  if (statement.format) return { kind: 'formatted', format: statement.format, output: await clickhouse.formatted(statement.text) };
  return { kind: 'rows', result: await clickhouse.resultSet(statement.text) };
}

export async function askPostgres(postgres: Postgres, sql: string): Promise<AdHocAnswer> {
  try {
    return { kind: 'rows', result: await postgres.resultSet(sql) };
  } catch (error) {
    // PostgreSQL's own parser: a prepared statement (the extended protocol, both engines) holds one command.
    const { code, message } = error as { code?: string; message?: string };
    if (code === '42601' && /multiple commands/.test(message ?? '')) throw new StatementError(SEVERAL);
    throw error;
  }
}

/**
 * ClickHouse's parser says whether `sql` is one statement (formatQuery refuses several) and shows a
 * top-level FORMAT clause on a line of its own. The statement run is the formatted one: a trailing `;` or
 * comment can then not swallow the FORMAT the client appends. A statement that does not parse is run as
 * written, so that ClickHouse's own error about it is what the user reads.
 */
async function parseClickHouse(clickhouse: Warehouse, sql: string): Promise<{ text: string; format?: string }> {
  let formatted: string;
  try {
    [{ formatted }] = (await clickhouse.rows<{ formatted: string }>('SELECT formatQuery({sql:String}) AS formatted', { sql })) as [{ formatted: string }];
  } catch (error) {
    // A server that is not there is reported as such, once.
    if (connectionProblem(error)) throw error;
    const message = (error as Error).message ?? '';
    if (/Multi-statements are not allowed/.test(message)) throw new StatementError(SEVERAL);
    if (/Empty query/.test(message)) throw new StatementError('the SQL is empty: give one statement');
    return { text: sql };
  }
  const format = /(?:^|\n)FORMAT (\S+)/.exec(formatted)?.[1];
  return { text: formatted, ...(format ? { format } : {}) };
}
