import type { Warehouse } from '../../engines/index.js';
import { killWhileRunning } from '../../faults.js';
import { runScript, sqlFile } from '../../sql.js';
import type { Batch } from '../batch.js';
import type { TouchedWindows } from '../bronze/repository.js';
import { diffChain, rebuildChain, type Profile, type TypeOneAttributes, type Version } from './scd2.js';

export async function createTables(clickhouse: Warehouse): Promise<void> {
  await runScript((statement) => clickhouse.command(statement), sqlFile(import.meta.url, 'create_tables'));
}

/**
 * Registers in silver.event_ids the events silver held before the registry existed (a deployment upgraded
 * from an earlier release), so that their re-deliveries are found; true when it did. Otherwise it costs
 * two counts from part metadata.
 */
export async function registerEarlierEvents(clickhouse: Warehouse): Promise<boolean> {
  const [registry] = await clickhouse.rows<{ behind: number }>(sqlFile(import.meta.url, 'event_ids_behind'));
  if (!registry?.behind) return false;
  await clickhouse.command(sqlFile(import.meta.url, 'backfill_event_ids'));
  return true;
}

export async function quarantineInvalidRows(clickhouse: Warehouse, batch: Batch): Promise<Record<string, number>> {
  await clickhouse.command(sqlFile(import.meta.url, 'quarantine_invalid_rows'), batch.params);
  const reasons = await clickhouse.rows<{ rejection_reason: string; rows: number }>(sqlFile(import.meta.url, 'quarantine_reasons'), batch.params);
  return Object.fromEntries(reasons.map((reason) => [reason.rejection_reason, reason.rows]));
}

export function quarantineReasonsOfRuns(clickhouse: Warehouse, runIds: readonly string[]): Promise<{ rejection_reason: string; rows: number }[]> {
  return clickhouse.rows(sqlFile(import.meta.url, 'quarantine_reasons_of_runs'), { run_ids: runIds });
}

/** How long each step of {@link insertNewEvents} took: the lookup across the horizon is in `registerMs`. */
export interface NewEventsTiming {
  registerMs: number;
  insertMs: number;
}

/**
 * Inserts the batch's new events into silver, each event id once across the dedup horizon (days of
 * delivery): first registers the batch's distinct ids in silver.event_ids (first, or delivered before), then
 * inserts the events it registered first. Both steps skip what they find done, so a rerun after a crash at
 * any point completes them; silver is read only where it must be (see silverCheckHours and the recheck).
 */
export async function insertNewEvents(clickhouse: Warehouse, batch: Batch, touched: TouchedWindows, horizonDays: number): Promise<NewEventsTiming> {
  const [registry] = await clickhouse.rows<{ latest: string }>(sqlFile(import.meta.url, 'latest_delivery_date'));
  const silverCheck = silverCheckHours(batch, touched, horizonDays, registry?.latest);
  const params = { ...batch.params, ...touched.params, horizon_days: horizonDays, silver_check_hours: silverCheck };
  const started = performance.now();
  await killWhileRunning('mid:transform_silver', () => clickhouse.command(sqlFile(import.meta.url, 'register_new_event_ids'), params));
  const registered = performance.now();
  // Rows of the batch in silver already mean an earlier attempt died mid-insert: only then is silver read
  // for the ids it holds (a projection answers the question itself from a few rows).
  const [held] = await clickhouse.rows<{ rows: number }>(sqlFile(import.meta.url, 'batch_rows_in_silver'), params);
  const recheck = (held?.rows ?? 0) > 0 ? touched.hours : [];
  await killWhileRunning('mid:transform_silver', () => clickhouse.command(sqlFile(import.meta.url, 'insert_new_events'), { ...params, recheck_hours: recheck }));
  return { registerMs: registered - started, insertMs: performance.now() - registered };
}

const DAY_MS = 86_400_000;

/**
 * The touched hours where silver may hold one of the batch's ids from a delivery the registry lookup does
 * not see (beyond the horizon) with the same event hour, which silver's key could not hold twice. A valid
 * row lies at most 25 hours past its window (the future_event_time rule), so the other delivery's day is at
 * most 2 days before its event's. Hence:
 *   * an hour within horizonDays − 2 days before the batch's day was delivered, by anyone, no earlier than
 *     horizonDays before it: inside the lookup. Older hours (events that late) are checked in silver;
 *   * a later delivery is beyond the lookup only when the registry holds a delivery day more than
 *     horizonDays after the batch's (a backfill that far back): then every touched hour is checked.
 * Usually none: the registration reads nothing of silver.
 */
export function silverCheckHours(batch: Batch, touched: TouchedWindows, horizonDays: number, latestDelivery: string | undefined): string[] {
  const day = Date.parse(`${batch.windowStart.slice(0, 10)}T00:00:00Z`);
  if (latestDelivery && Date.parse(`${latestDelivery}T00:00:00Z`) > day + horizonDays * DAY_MS) return touched.hours;
  const seenFrom = day - (horizonDays - 2) * DAY_MS;
  return touched.hours.filter((hour) => Date.parse(`${hour.slice(0, 10)}T00:00:00Z`) < seenFrom);
}

export interface DimUsersChange {
  users: number;
  /** Versions that begin at the batch's window (new users and type-2 changes): a property of the table. */
  opened: number;
  /** Versions that end at the batch's window (closed by a type-2 change): a property of the table. */
  closed: number;
  /** Rows this call wrote: 0 when the batch was already applied. */
  written: number;
}

/** Applies the batch to the SCD2 dimension: idempotent, and the same whatever order windows arrive in. */
export async function updateDimUsers(clickhouse: Warehouse, batch: Batch): Promise<DimUsersChange> {
  const [profiles, versions, totals] = await Promise.all([
    clickhouse.rows<Profile>(sqlFile(import.meta.url, 'user_profiles'), batch.params),
    clickhouse.rows<Version>(sqlFile(import.meta.url, 'dim_versions_from'), batch.params),
    clickhouse.rows<TypeOneAttributes & { user_name: string }>(sqlFile(import.meta.url, 'user_totals'), batch.params),
  ]);
  const profilesByUser = groupBy(profiles, (profile) => profile.user_name);
  const versionsByUser = groupBy(versions, (version) => version.user_name);
  const totalsByUser = new Map(totals.map((total) => [total.user_name, total]));

  const version = Date.now() * 1000;
  const writes: object[] = [];
  // The counts describe the rebuilt chains, not this call's writes: a rerun after a crash that had already
  // written them reports what a clean run reports.
  const change: DimUsersChange = { users: profilesByUser.size, opened: 0, closed: 0, written: 0 };
  for (const [userName, userProfiles] of profilesByUser) {
    const stored = versionsByUser.get(userName) ?? [];
    const existing = stored.filter((candidate) => candidate.valid_to > batch.windowStart);
    const userTotals = totalsByUser.get(userName);
    if (!userTotals) throw new Error(`update_dim_users: user ${userName} of batch ${batch.batchId} has no events in silver (run transform_silver first)`);
    const { user_name: _, ...typeOne } = userTotals;
    const rebuilt = rebuildChain(batch.windowStart, existing, userProfiles, typeOne);
    change.opened += rebuilt.filter((candidate) => candidate.valid_from === batch.windowStart).length;
    // A version closed at this window is in the rebuilt chain the first time, and stored the next.
    change.closed += new Set([...stored, ...rebuilt].filter((candidate) => candidate.valid_to === batch.windowStart).map((candidate) => candidate.valid_from)).size;
    for (const row of diffChain(existing, rebuilt).writes) writes.push({ ...row, _version: version });
  }
  await clickhouse.insert('silver.dim_users', writes);
  return { ...change, written: writes.length };
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const name = key(item);
    const group = groups.get(name);
    if (group) group.push(item);
    else groups.set(name, [item]);
  }
  return groups;
}
