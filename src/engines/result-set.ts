import { isLosslessNumber, LosslessNumber } from 'lossless-json';

/**
 * A query's answer as a person or another program should see it: every column with the engine's own type,
 * and every number exactly as the engine wrote it (a LosslessNumber: 64-bit integers, decimals with their
 * scale, floats at their own precision), dates as the engine prints them. Ad hoc queries and `status` read
 * this way; the pipeline reads plain rows ({@link Warehouse.rows}), whose counts fit a JS number.
 */
export interface ResultSet {
  columns: readonly ResultColumn[];
  /** One array per row, in column order (two columns may share a name). */
  rows: readonly (readonly unknown[])[];
}

export interface ResultColumn {
  name: string;
  /** The engine's type name, e.g. UInt64, Nullable(Decimal(18, 2)), int8, numeric. */
  type: string;
  /** Whether values are numbers (right-aligned in a table, unquoted in JSON and CSV). */
  numeric: boolean;
}

/** A number as its text, exactly; text that is not a JSON number (NaN, Infinity) stays text. */
export function exactNumber(text: string): LosslessNumber | string {
  try {
    return new LosslessNumber(text);
  } catch {
    return text;
  }
}

export { isLosslessNumber };

/** The rows as objects keyed by column name (a later column wins over an earlier one of the same name). */
export function resultRecords(result: ResultSet): Record<string, unknown>[] {
  return result.rows.map((row) => Object.fromEntries(result.columns.map((column, index) => [column.name, row[index]])));
}
