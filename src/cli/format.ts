import { stringify } from 'lossless-json';
import { isLosslessNumber, resultRecords, type ResultSet } from '../engines/result-set.js';

/**
 * Plain-text tables and CSV for the terminal: the CLI is the only code that prints. A number is printed at
 * its own precision — every digit of a UInt64, a Decimal(18, 2) with its two decimals, a float as its
 * shortest exact form — never rounded for display.
 */
export function formatTable(records: readonly object[] | ResultSet, columns?: readonly string[]): string {
  if (isResultSet(records)) return formatResultTable(records);
  const rows = records as readonly Record<string, unknown>[];
  if (rows.length === 0) return '(no rows)';
  const names = columns ?? Object.keys(rows[0]!);
  const numeric = names.map((name) => rows.every((row) => isNumber(row[name]) || row[name] === null || row[name] === undefined) && rows.some((row) => isNumber(row[name])));
  return renderTable(names, numeric, rows.map((row) => names.map((name) => row[name])));
}

function formatResultTable(result: ResultSet): string {
  if (result.rows.length === 0) return result.columns.length === 0 ? '(no rows)' : `${result.columns.map((column) => column.name).join('  ')}\n(no rows)`;
  return renderTable(result.columns.map((column) => column.name), result.columns.map((column) => column.numeric), result.rows);
}

function renderTable(names: readonly string[], numeric: readonly boolean[], values: readonly (readonly unknown[])[]): string {
  const cells = values.map((row) => names.map((_, index) => formatCell(row[index])));
  const widths = names.map((name, index) => Math.max(name.length, ...cells.map((line) => line[index]!.length)));
  const line = (texts: readonly string[]) => texts.map((text, index) => (numeric[index] ? text.padStart(widths[index]!) : text.padEnd(widths[index]!))).join('  ').trimEnd();
  return [line(names), line(widths.map((width) => '-'.repeat(width))), ...cells.map(line)].join('\n');
}

function isResultSet(value: unknown): value is ResultSet {
  return !Array.isArray(value) && typeof value === 'object' && value !== null && 'columns' in value && 'rows' in value;
}

function isNumber(value: unknown): boolean {
  return typeof value === 'number' || typeof value === 'bigint' || isLosslessNumber(value);
}

/** A value as text: numbers with all their digits, nested values as JSON. */
function formatCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (isLosslessNumber(value)) return value.toString();
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') return stringify(value) ?? '';
  return String(value);
}

export function formatDuration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

/** RFC 4180 CSV with a header line; numbers with all their digits. */
export function toCsv(records: readonly Record<string, unknown>[] | ResultSet): string {
  const result = isResultSet(records) ? records : undefined;
  const names = result ? result.columns.map((column) => column.name) : Object.keys((records as readonly Record<string, unknown>[])[0] ?? {});
  const rows = result ? result.rows : (records as readonly Record<string, unknown>[]).map((row) => names.map((name) => row[name]));
  if (names.length === 0) return '';
  const escape = (value: unknown) => {
    const text = formatCell(value);
    return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  return [names.map(escape).join(','), ...rows.map((row) => names.map((_, index) => escape(row[index])).join(','))].join('\n');
}

export { resultRecords };
