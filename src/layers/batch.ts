/** One run's batch: its id and hourly window, and the parameters every batch-scoped statement binds. */
export interface Batch {
  batchId: string;
  /** 'YYYY-MM-DD HH:00:00' UTC. */
  windowStart: string;
  windowEnd: string;
  params: { batch_id: string; window_start: string };
}

export function toBatch(batchId: string, windowStart: Date): Batch {
  const start = formatClickHouseTime(windowStart);
  return {
    batchId,
    windowStart: start,
    windowEnd: formatClickHouseTime(new Date(windowStart.getTime() + 3_600_000)),
    params: { batch_id: batchId, window_start: start },
  };
}

/** 'YYYY-MM-DD HH:MM:SS' in UTC, the form ClickHouse parses and prints. */
export function formatClickHouseTime(time: Date): string {
  return time.toISOString().slice(0, 19).replace('T', ' ');
}
