import type { Warehouse } from '../engines/index.js';
import { killWhileRunning } from '../faults.js';
import * as bronze from '../layers/bronze/repository.js';
import type { Batch } from '../layers/batch.js';
import { sqlFile } from '../sql.js';
import type { LoadReport, Source } from './index.js';

/** Rows the synthetic source delivers for a window: its own events plus duplicates, late events and re-deliveries. */
export function expectedRows(eventsPerHour: number): number {
  return eventsPerHour + 2 * Math.floor(eventsPerHour / 100) + Math.floor(eventsPerHour / 200);
}

/** The deterministic generator of the seed's events, inside ClickHouse: no event passes through JavaScript. */
export function openSyntheticSource(settings: { eventsPerHour: number; seed: number }): Source {
  return {
    name: 'synthetic',
    dataset: 'source.synthetic',
    deliversRowsForSure: settings.eventsPerHour > 0,
    async load(clickhouse: Warehouse, batch: Batch): Promise<LoadReport> {
      const before = await bronze.countBatchRows(clickhouse, batch);
      await killWhileRunning('mid:load_bronze', () =>
        clickhouse.command(sqlFile(import.meta.url, 'generate_events'), {
          events_per_hour: settings.eventsPerHour,
          seed: settings.seed,
          batch_id: batch.batchId,
          window_start: batch.windowStart,
        }),
      );
      const rows = await bronze.countBatchRows(clickhouse, batch);
      const note = before === 0 ? '' : ` (${before} were already loaded)`;
      return { rows, added: rows - before, delivered: expectedRows(settings.eventsPerHour), summary: `${rows} rows in bronze for the batch${note}`, metrics: { bronze_rows: rows } };
    },
  };
}
