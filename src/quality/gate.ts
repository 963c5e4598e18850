import type { Warehouse } from '../engines/index.js';
import type { Batch } from '../layers/batch.js';
import type { TouchedWindows } from '../layers/bronze/repository.js';
import type { ValidationRow } from '../layers/catalog/repository.js';
import * as gold from '../layers/gold/repository.js';
import { accountedRows, batchAccounting, fileAccounting, silverHourlyEvents, type Accounting } from './accounting.js';
import { compareTotals, sumByWindow } from './checks.js';

/**
 * The quality gate: every bronze row of the batch is accounted for, silver holds each of its event ids
 * once across the dedup horizon, and gold holds exactly the events of silver in every touched hour.
 */
export async function verifyBatch(clickhouse: Warehouse, batch: Batch, touched: TouchedWindows, horizonDays: number): Promise<{ accounting: Accounting; checks: ValidationRow[] }> {
  const { accounting, silverOnce } = await batchAccounting(clickhouse, batch, touched, horizonDays);
  const runId = batch.batchId;
  const accountingCheck = compareTotals(runId, 'accounting', 'batch', [runId], ['rows'], new Map([[runId, { rows: accounting.bronze_rows }]]), new Map([[runId, { rows: accountedRows(accounting) }]]));
  // Each event id of the batch is in silver once across the horizon, and registered where later batches look.
  const onceCheck = compareTotals(runId, 'silver_once', 'batch', [runId], ['held_more_than_once', 'unregistered'], new Map([[runId, { held_more_than_once: 0, unregistered: 0 }]]), new Map([[runId, { ...silverOnce }]]));

  const silverEvents = new Map([...(await silverHourlyEvents(clickhouse, touched))].map(([hour, events]) => [hour, { event_count: events }]));
  const goldEvents = sumByWindow(await gold.readHourly(clickhouse, touched), gold.hourOf, ['event_count']);
  const layerCheck = compareTotals(runId, 'gold_vs_silver', 'hour', touched.hours, ['event_count'], silverEvents, goldEvents);
  // Every record of every file the batch ingested is one bronze row.
  const files = await fileAccounting(clickhouse, batch);
  const fileCheck = compareTotals(runId, 'file_accounting', 'file', files.map((file) => file.location), ['rows'],
    new Map(files.map((file) => [file.location, { rows: file.records }])), new Map(files.map((file) => [file.location, { rows: file.bronze_rows }])));
  return { accounting, checks: [...accountingCheck, ...onceCheck, ...layerCheck, ...fileCheck] };
}

export function describeAccounting(accounting: Accounting): string {
  return `bronze ${accounting.bronze_rows} = quarantined ${accounting.quarantined_rows} + silver_new ${accounting.silver_new_rows} + duplicates ${accounting.duplicate_rows} + already_in_silver ${accounting.already_in_silver_rows}`;
}
