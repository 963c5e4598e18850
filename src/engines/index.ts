import { existsSync } from 'node:fs';
import type { Config } from '../config.js';
import { openClickHouse, type Warehouse } from './clickhouse.js';
import { lockHome } from './home-lock.js';
import { openLake, type Lake } from './lake.js';
import { openPostgres, type Postgres } from './postgres.js';
import type { WaitListener } from './wait.js';
import { claimWindow } from './window-claim.js';

export type { Warehouse, QueryParams } from './clickhouse.js';
export type { ResultSet, ResultColumn } from './result-set.js';
export { MissingEngineError } from './optional.js';
export type { Postgres } from './postgres.js';
export type { Lake } from './lake.js';
export { LockTimeoutError } from './wait.js';

/** The three targets. Each opens on first use, so a task that needs only ClickHouse starts only it. */
export interface Engines {
  clickhouse(): Promise<Warehouse>;
  postgres(): Promise<Postgres>;
  lake(): Promise<Lake>;
  /**
   * Claims the hourly window starting at `windowStart` for this process (a PostgreSQL advisory lock, see
   * window-claim.ts), waiting while another process holds it; resolves to the release.
   */
  claimWindow(windowStart: Date): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export interface EngineOptions {
  /** Where waits for a lock are reported (who holds it); stderr by default. */
  log?: (line: string) => void;
  /** What a message about an unreachable server advises doing once it is back (default: rerun the window). */
  advice?: string;
  /** Let the ClickHouse client log its own warnings (masked) on stderr. */
  verbose?: boolean;
  /** Hears when a wait for a lock (the home, a window) begins and ends: a terminal shows it live. */
  onWait?: WaitListener;
  /**
   * Whether closing the embedded ClickHouse waits for the merges it has running (MEDALLION_MERGE_WAIT_SECONDS;
   * default true): false for a command that only asks, which should not outlast its answer.
   */
  finishMerges?: boolean;
}

/**
 * Whether the configuration's embedded ClickHouse has never been opened: nothing ran in this home. Asked
 * before opening it, which would create its directory.
 */
export function hasNoEmbeddedData(config: Config): boolean {
  return config.clickhouse.mode === 'embedded' && !existsSync(config.clickhouse.path);
}

export async function openEngines(config: Config, options: EngineOptions = {}): Promise<Engines> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const embedded = config.clickhouse.mode === 'embedded' || config.postgres.mode === 'embedded';
  const waits = options.onWait ? { onWait: options.onWait } : {};
  const releaseHome = embedded ? await lockHome(config.home, { timeoutMs: config.lockTimeoutMs, log, ...waits }) : undefined;
  const opened: { clickhouse?: Promise<Warehouse>; postgres?: Promise<Postgres>; lake?: Promise<Lake> } = {};
  const postgres = () => (opened.postgres ??= openPostgres(config.postgres, { advice: options.advice }));
  return {
    clickhouse: () => (opened.clickhouse ??= openClickHouse(config.clickhouse, { advice: options.advice, verbose: options.verbose, finishMerges: options.finishMerges })),
    postgres,
    lake: () => (opened.lake ??= openLake(config.lake)),
    // An embedded PostgreSQL lives in the home, which this process holds locked: no other process can run any
    // window against it (nor claim one in it), so the claim would only delay the run by opening it first.
    claimWindow: async (windowStart) =>
      config.postgres.mode === 'embedded'
        ? async () => {}
        : claimWindow(await postgres(), windowStart, { schema: config.postgresSchema, timeoutMs: config.lockTimeoutMs, log, ...waits }),
    async close() {
      const closing = [opened.clickhouse, opened.postgres, opened.lake].map(async (engine) => (await engine)?.close());
      await Promise.allSettled(closing);
      await releaseHome?.();
    },
  };
}
