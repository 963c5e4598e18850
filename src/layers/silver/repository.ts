import type { Warehouse } from '../../engines/index.js';
import { killWhileRunning, UPGRADE_POINT } from '../../faults.js';
import { runScript, sqlFile, statements } from '../../sql.js';
import type { Batch } from '../batch.js';
import type { TouchedWindows } from '../bronze/repository.js';

export async function createTables(clickhouse: Warehouse): Promise<void> {
  await runScript((statement) => clickhouse.command(statement), ddl());
}

/**
 * Brings tables created by an earlier release to the current layout, after createTables; true when it changed
 * something. dim_users keyed by (user_name, valid_from) is copied into silver.dim_users_next, created by the
 * current DDL, and the two are exchanged (atomic), then the earlier one is dropped: a step cut short by a crash
 * is repeated by the next ensure_all_tables. Parts of silver.fact_events written before one of its projections
 * (PROJECTIONS_ADDED_LATER) get it built (a background mutation; reads are exact meanwhile), and the
 * projections those replaced are dropped where system.projections still lists them (a DROP PROJECTION IF EXISTS
 * that finds nothing still waits on the table's parts: 1.4-2.3 s each on a home with 30 days of history).
 * Otherwise it costs a query on system tables for dim_users' layout, one per projection added later and one
 * for the replaced projections.
 */
export async function upgradeTables(clickhouse: Warehouse): Promise<boolean> {
  const tables = new Map((await clickhouse.rows<{ name: string; sorting_key: string }>(sqlFile(import.meta.url, 'dim_users_layouts'))).map((table) => [table.name, table.sorting_key]));
  const migrate = tables.has('dim_users') && tables.get('dim_users') !== DIM_USERS_KEY;
  if (tables.has('dim_users_next')) await clickhouse.command(sqlFile(import.meta.url, 'dim_users_drop_next'));
  if (migrate) {
    const create = statements(ddl()).find((statement) => statement.includes(DIM_USERS_DDL));
    if (!create) throw new Error('silver create_tables.sql: no statement creates silver.dim_users');
    await clickhouse.command(create.replace(DIM_USERS_DDL, DIM_USERS_DDL.replace('silver.dim_users', 'silver.dim_users_next')));
    await clickhouse.command(sqlFile(import.meta.url, 'dim_users_copy'));
    await clickhouse.command(sqlFile(import.meta.url, 'dim_users_exchange'));
    await clickhouse.command(sqlFile(import.meta.url, 'dim_users_drop_next'));
  }
  let materialized = false;
  for (const projection of PROJECTIONS_ADDED_LATER) {
    const [parts] = await clickhouse.rows<{ without: number }>(sqlFile(import.meta.url, 'parts_without_projection'), { projection });
    if (!parts?.without) continue;
    await clickhouse.command(sqlFile(import.meta.url, 'materialize_projection', { projection }));
    materialized = true;
  }
  const replaced = await clickhouse.rows<{ name: string }>(sqlFile(import.meta.url, 'replaced_projections'), { names: PROJECTIONS_REPLACED });
  for (const { name } of replaced) await killWhileRunning(UPGRADE_POINT, () => clickhouse.command(sqlFile(import.meta.url, 'drop_projection', { projection: name })));
  return migrate || materialized || replaced.length > 0;
}

/** Projections of silver.fact_events added by ALTER, which parts written before them are given (create_tables.sql). */
const PROJECTIONS_ADDED_LATER = ['user_totals', 'daily_totals', 'hourly_batch_totals'] as const;

/** Projections of earlier releases that those replaced: user_daily_totals by daily_totals, the other two by hourly_batch_totals. */
const PROJECTIONS_REPLACED = ['user_daily_totals', 'hourly_totals', 'batch_hours'] as const;

/** silver.dim_users' sorting key, as system.tables shows it, and the head of the statement that creates it. */
const DIM_USERS_KEY = 'valid_to, user_name';
const DIM_USERS_DDL = 'CREATE TABLE IF NOT EXISTS silver.dim_users /*ON CLUSTER*/';

/** The layer's DDL (create_tables.sql). */
export function ddl(): string {
  return sqlFile(import.meta.url, 'create_tables');
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

/** How long each step of {@link insertNewEvents} took (the lookup across the horizon is in `registerMs`), in how many slices. */
export interface NewEventsTiming {
  registerMs: number;
  insertMs: number;
  slices: number;
}

/**
 * Inserts the batch's new events into silver, each event id once across the dedup horizon (days of
 * delivery): first registers the batch's distinct ids in silver.event_ids (first, or delivered before), then
 * inserts the events it registered first. Both steps skip what they find done, so a rerun after a crash at
 * any point completes them; silver is read only where it must be (see silverCheckHours and the recheck).
 * A batch of more than `sliceRows` bronze rows is done in slices of its ids (by hash), each registered then
 * inserted: the sets and hash tables of a statement are bounded by the slice, whatever the batch.
 */
export async function insertNewEvents(clickhouse: Warehouse, batch: Batch, touched: TouchedWindows, options: { bronzeRows: number; horizonDays: number; sliceRows: number }): Promise<NewEventsTiming> {
  const { horizonDays } = options;
  const [registry] = await clickhouse.rows<{ latest: string }>(sqlFile(import.meta.url, 'latest_delivery_date'));
  const silverCheck = silverCheckHours(batch, touched, horizonDays, registry?.latest);
  const slices = Math.max(1, Math.ceil(options.bronzeRows / options.sliceRows));
  // Rows of the batch in silver already mean an earlier attempt died mid-insert: only then is silver read
  // for the ids it holds (a projection answers the question itself from a few rows).
  const [held] = await clickhouse.rows<{ rows: number }>(sqlFile(import.meta.url, 'batch_rows_in_silver'), { ...batch.params, ...touched.params });
  const recheck = (held?.rows ?? 0) > 0 ? touched.hours : [];
  const timing: NewEventsTiming = { registerMs: 0, insertMs: 0, slices };
  for (let slice = 0; slice < slices; slice += 1) {
    const params = { ...batch.params, ...touched.params, horizon_days: horizonDays, silver_check_hours: silverCheck, recheck_hours: recheck, slices, slice };
    const started = performance.now();
    await killWhileRunning('mid:transform_silver', () => clickhouse.command(sqlFile(import.meta.url, 'register_new_event_ids'), params));
    const registered = performance.now();
    await killWhileRunning('mid:transform_silver', () => clickhouse.command(sqlFile(import.meta.url, 'insert_new_events'), params));
    timing.registerMs += registered - started;
    timing.insertMs += performance.now() - registered;
  }
  return timing;
}

/** The events silver holds for the batch (its new events): a few rows of the hourly_batch_totals projection, no scan. */
export async function batchEventsInSilver(clickhouse: Warehouse, batch: Batch, touched: TouchedWindows): Promise<number> {
  const [held] = await clickhouse.rows<{ rows: number }>(sqlFile(import.meta.url, 'batch_rows_in_silver'), { ...batch.params, ...touched.params });
  return Number(held?.rows ?? 0);
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

/**
 * Applies the batch to the SCD2 dimension: idempotent, and the same whatever order windows arrive in. One
 * INSERT … SELECT rebuilds the batch's users' chains from its window on in ClickHouse (the rule of scd2.ts)
 * and writes only what differs, as one part; then one query reads what the table holds at the window.
 */
export async function updateDimUsers(clickhouse: Warehouse, batch: Batch): Promise<DimUsersChange> {
  // Microseconds: a later application's rows replace an earlier one's.
  const params = { ...batch.params, version: Date.now() * 1000 };
  await killWhileRunning('mid:update_dim_users', () => clickhouse.command(sqlFile(import.meta.url, 'apply_dim_users'), params));
  const [change] = await clickhouse.rows<DimUsersChange>(sqlFile(import.meta.url, 'dim_users_change'), params);
  return change ?? { users: 0, opened: 0, closed: 0, written: 0 };
}
