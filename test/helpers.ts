import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../src/config.js';
import { openEngines, type Engines } from '../src/engines/index.js';
import { runRange, runWindow, type RunOptions, type RunOutcome } from '../src/pipeline/runner.js';

export const HOUR = 3_600_000;
export const FIRST_WINDOW = new Date('2026-11-20T10:00:00Z');

export const windowAt = (index: number) => new Date(FIRST_WINDOW.getTime() + index * HOUR);

/** A pipeline on embedded engines in a fresh temporary MEDALLION_HOME. */
export interface TestPipeline {
  home: string;
  config: Config;
  engines: Engines;
  run(windowStart: Date, options?: Partial<RunOptions>): Promise<RunOutcome>;
  runRange(from: Date, to: Date, options?: { redo?: boolean }): Promise<RunOutcome[]>;
  close(): Promise<void>;
}

export async function openTestPipeline(env: Record<string, string> = {}): Promise<TestPipeline> {
  const home = await mkdtemp(path.join(os.tmpdir(), 'medallion-test-'));
  const config = loadConfig({ MEDALLION_HOME: home, MEDALLION_EVENTS_PER_HOUR: '4000', MEDALLION_RETRY_DELAY_MS: '1', MEDALLION_TASK_RETRIES: '1', ...env });
  const engines = await openEngines(config);
  return {
    home,
    config,
    engines,
    run: (windowStart, options = {}) => runWindow({ config, engines, windowStart, ...options }),
    runRange: (from, to, options = {}) => runRange({ config, engines, from, to, ...options }),
    async close() {
      await engines.close();
      await rm(home, { recursive: true, force: true });
    },
  };
}

export async function chRows<T = Record<string, unknown>>(pipeline: TestPipeline, sql: string, params?: Record<string, unknown>): Promise<T[]> {
  return (await pipeline.engines.clickhouse()).rows<T>(sql, params);
}

export async function pgRows<T = Record<string, unknown>>(pipeline: TestPipeline, sql: string, params: unknown[] = []): Promise<T[]> {
  return (await pipeline.engines.postgres()).query<T>(sql, params);
}

/** Rounds money so that float sums from different engines compare exactly. */
export const cents = (value: unknown) => Math.round(Number(value) * 100) / 100;
