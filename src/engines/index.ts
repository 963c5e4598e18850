import type { Config } from '../config.js';
import { openClickHouse, type Warehouse } from './clickhouse.js';
import { lockHome } from './home-lock.js';
import { openLake, type Lake } from './lake.js';
import { openPostgres, type Postgres } from './postgres.js';

export type { Warehouse, QueryParams } from './clickhouse.js';
export type { Postgres } from './postgres.js';
export type { Lake } from './lake.js';

/** The three targets. Each opens on first use, so a task that needs only ClickHouse starts only it. */
export interface Engines {
  clickhouse(): Promise<Warehouse>;
  postgres(): Promise<Postgres>;
  lake(): Promise<Lake>;
  close(): Promise<void>;
}

export async function openEngines(config: Config): Promise<Engines> {
  const embedded = config.clickhouse.mode === 'embedded' || config.postgres.mode === 'embedded';
  const releaseHome = embedded ? await lockHome(config.home, config.lockTimeoutMs) : undefined;
  const opened: { clickhouse?: Promise<Warehouse>; postgres?: Promise<Postgres>; lake?: Promise<Lake> } = {};
  return {
    clickhouse: () => (opened.clickhouse ??= openClickHouse(config.clickhouse)),
    postgres: () => (opened.postgres ??= openPostgres(config.postgres)),
    lake: () => (opened.lake ??= openLake(config.lake)),
    async close() {
      const closing = [opened.clickhouse, opened.postgres, opened.lake].map(async (engine) => (await engine)?.close());
      await Promise.allSettled(closing);
      await releaseHome?.();
    },
  };
}
