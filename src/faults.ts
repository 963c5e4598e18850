/**
 * Crash drills: `MEDALLION_KILL_AT=<point>[#<n>]` makes the process SIGKILL itself the n-th time (default
 * the first) it reaches the named point, with no cleanup of any kind, exactly as `kill -9` would. The
 * fault-injection suite (test/faults/) uses it to crash a real `medallion run` at every task boundary and
 * in the middle of every write, then checks that a rerun repairs everything.
 *
 * Points: `before:<task>` and `after:<task>` (set by the runner around every task attempt), and the
 * `mid:<task>` points the writes declare with {@link faultPoint} / {@link killWhileRunning}.
 */

import { TASK_IDS } from './task-ids.js';

/** The points inside writes; the runner adds before:/after: for every task. */
export const MID_POINTS = ['mid:load_bronze', 'mid:transform_silver', 'mid:update_dim_users', 'mid:snapshot_gold_history', 'mid:export_gold_to_s3', 'mid:load_aurora'] as const;

interface Armed {
  point: string;
  occurrence: number;
  seen: number;
}

let armed: Armed | undefined;

/** Inside `medallion report`: the page is written beside its name, not yet renamed over it. */
export const REPORT_POINT = 'mid:report';

/** Inside register_catalog, when flows registered before are no longer declared: the lineage emptied, not yet written again. */
export const LINEAGE_REPLACE_POINT = 'mid:register_catalog';

/** When a home's embedded PostgreSQL is first opened: its data directory written, not yet known to be whole. */
export const NEW_POSTGRES_HOME_POINT = 'mid:new_postgres_home';

/** When the embedded ClickHouse closes: a part a merge replaced renamed for deletion, not yet deleted. */
export const REPLACED_PARTS_POINT = 'mid:remove_replaced_parts';

/** When the embedded ClickHouse closes: waiting for a merge it has running to finish. */
export const MERGE_WAIT_POINT = 'mid:finish_merges';

/** Inside ensure_all_tables, upgrading silver of an earlier release: a projection it replaced being dropped, the new one being built. */
export const UPGRADE_POINT = 'mid:ensure_all_tables';

/** Every point a drill can name. */
export const KILL_POINTS: readonly string[] = [...TASK_IDS.flatMap((task) => [`before:${task}`, `after:${task}`]), ...MID_POINTS, REPORT_POINT, LINEAGE_REPLACE_POINT, NEW_POSTGRES_HOME_POINT, REPLACED_PARTS_POINT, MERGE_WAIT_POINT, UPGRADE_POINT];

/** Parses `<point>[#<n>]`; undefined when the text is not of that form or names no known point. */
export function parseKillAt(spec: string): { point: string; occurrence: number } | undefined {
  const match = /^([a-z_]+:[a-z0-9_]+)(?:#([1-9]\d{0,3}))?$/.exec(spec);
  if (!match || !KILL_POINTS.includes(match[1]!)) return undefined;
  return { point: match[1]!, occurrence: match[2] ? Number(match[2]) : 1 };
}

/** Arms the drill for this process (the CLI does it from validated configuration). */
export function armKillAt(spec: { point: string; occurrence: number } | undefined): void {
  armed = spec ? { ...spec, seen: 0 } : undefined;
}

function due(point: string): boolean {
  if (!armed || armed.point !== point) return false;
  armed.seen += 1;
  return armed.seen === armed.occurrence;
}

function killNow(point: string): never {
  process.stderr.write(`MEDALLION_KILL_AT: SIGKILL at ${point}\n`);
  process.kill(process.pid, 'SIGKILL');
  // SIGKILL cannot be caught; the process never gets here.
  throw new Error('unreachable');
}

/** Dies here when the drill is armed for this point. */
export function faultPoint(point: string): void {
  if (due(point)) killNow(point);
}

/**
 * Runs `work` and, when the drill is armed for this point, dies while it is in flight (the statement was
 * sent; whether the engine committed any of it is what the rerun must cope with).
 */
export async function killWhileRunning<T>(point: string, work: () => Promise<T>): Promise<T> {
  if (!due(point)) return work();
  const running = work();
  await new Promise((resolve) => setTimeout(resolve, 2));
  killNow(point);
  return running;
}
