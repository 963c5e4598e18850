import type { Warehouse } from '../engines/index.js';
import { killWhileRunning } from '../faults.js';
import { sqlFile } from '../sql.js';

export interface SourceBatch {
  batchId: string;
  windowStart: string;
  eventsPerHour: number;
  seed: number;
}

/** Rows the synthetic source delivers for a window: its own events plus duplicates, late events and re-deliveries. */
export function expectedRows(eventsPerHour: number): number {
  return eventsPerHour + 2 * Math.floor(eventsPerHour / 100) + Math.floor(eventsPerHour / 200);
}

/** Generates the window's events straight into bronze: no event passes through JavaScript. */
export async function generateInto(clickhouse: Warehouse, batch: SourceBatch): Promise<void> {
  await killWhileRunning('mid:load_bronze', () => clickhouse.command(sqlFile(import.meta.url, 'generate_events'), {
    events_per_hour: batch.eventsPerHour,
    seed: batch.seed,
    batch_id: batch.batchId,
    window_start: batch.windowStart,
  }));
}
