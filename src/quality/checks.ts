import type { ValidationRow } from '../layers/catalog/repository.js';

/** Money may differ by rounding in transit; counts may not differ at all. */
const MONEY_TOLERANCE = 0.01;
const MONEY_METRICS = new Set(['total_value', 'total_revenue', 'avg_value']);

export type Totals = Map<string, Record<string, number>>;

/**
 * Compares every metric of every window between the reference (ClickHouse) and a target.
 * A window missing on the target counts as zero rows.
 */
export function compareTotals(
  runId: string,
  checkName: string,
  grain: ValidationRow['grain'],
  windows: readonly string[],
  metrics: readonly string[],
  reference: Totals,
  target: Totals,
): ValidationRow[] {
  const rows: ValidationRow[] = [];
  for (const window of windows) {
    for (const metric of metrics) {
      const expected = reference.get(window)?.[metric] ?? 0;
      const actual = target.get(window)?.[metric] ?? 0;
      const tolerance = MONEY_METRICS.has(metric) ? MONEY_TOLERANCE : 0;
      rows.push({ run_id: runId, check_name: checkName, grain, window_key: window, metric, expected, actual, passed: Math.abs(expected - actual) <= tolerance + 1e-9 ? 1 : 0 });
    }
  }
  return rows;
}

/** One line per failed check: which comparison, which window, which metric, both values. */
export function describeFailures(rows: readonly ValidationRow[]): string[] {
  return rows
    .filter((row) => !row.passed)
    .map((row) => `${row.check_name} ${row.grain} ${row.window_key} ${row.metric}: expected ${round(row.expected)}, got ${round(row.actual)}`);
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

export function totalsByWindow<T extends { window_key: string }>(rows: readonly T[], metrics: readonly string[]): Totals {
  return new Map(rows.map((row) => [row.window_key, Object.fromEntries(metrics.map((metric) => [metric, Number((row as Record<string, unknown>)[metric] ?? 0)]))]));
}

/** Sums the metrics of rows per window; `rows` counts them. */
export function sumByWindow<T>(rows: readonly T[], windowOf: (row: T) => string, metrics: readonly (keyof T & string)[]): Totals {
  const totals: Totals = new Map();
  for (const row of rows) {
    const key = windowOf(row);
    const sums = totals.get(key) ?? Object.fromEntries([['rows', 0], ...metrics.map((metric) => [metric, 0])]);
    sums.rows = (sums.rows ?? 0) + 1;
    for (const metric of metrics) sums[metric] = (sums[metric] ?? 0) + Number(row[metric]);
    totals.set(key, sums);
  }
  return totals;
}
