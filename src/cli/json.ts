import { stringify } from 'lossless-json';

/**
 * Every `--json` output speaks one convention, the catalog's: snake_case keys (run_id, duration_ms,
 * rows_in), whatever the TypeScript names inside. Numbers read exactly (LosslessNumber) are written with
 * all their digits, so a UInt64 such as 3648653518185401188 reaches jq or Python intact.
 */
export function jsonText(value: unknown, indent = 2): string {
  // indent 0: one line (what an orchestrator reads as the last line of stdout).
  return stringify(snakeCaseKeys(value), null, indent || undefined) ?? 'null';
}

/** `durationMs` → `duration_ms`; keys already in snake_case (metrics, catalog columns) are unchanged. */
export function snakeCase(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/([A-Z])([A-Z][a-z])/g, '$1_$2').toLowerCase();
}

function snakeCaseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(snakeCaseKeys);
  // Plain objects only: a LosslessNumber or a Date is a value, not a record.
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [snakeCase(key), snakeCaseKeys(inner)]));
  }
  return value;
}
