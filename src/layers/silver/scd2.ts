/**
 * SCD Type 2 for dim_users as a pure function, so that its invariants can be reasoned about and tested
 * apart from the database.
 *
 * A user's history is the sequence of windows in which the user appeared, each with its type-2
 * attributes. The versions are that sequence compressed: a new version starts where the attributes
 * change. Applying a batch for window W rebuilds only the part of the chain from W on: the version
 * containing W stands for everything before W (all of it had that version's attributes), and the
 * profiles of W and of every later loaded window follow. The result depends only on the set of windows
 * applied, never on their order, and applying a window twice rebuilds the same chain.
 *
 * The pipeline applies a batch in ClickHouse, in one statement (sql/apply_dim_users.sql): this module is
 * the rule that statement implements, stated in TypeScript, and the model the tests compare it with.
 */

/** The open end of the current version: ClickHouse's DateTime cannot hold 9999-12-31, so its maximum stands in. */
export const OPEN_END = '2106-02-07 06:28:15';

export interface Attributes {
  primary_category: string;
  primary_source: string;
}

export interface Profile extends Attributes {
  user_name: string;
  window_start: string;
}

export interface TypeOneAttributes {
  last_seen_date: string;
  total_events: number;
  total_value: number;
  is_revenue_user: number;
}

export interface Version extends Attributes, TypeOneAttributes {
  user_name: string;
  valid_from: string;
  valid_to: string;
  is_current: number;
}

/** Type-1 attributes live on the current version; closed versions carry these neutral values. */
const CLOSED_TYPE_ONE: TypeOneAttributes = { last_seen_date: '1970-01-01', total_events: 0, total_value: 0, is_revenue_user: 0 };

/**
 * Rebuilds one user's chain from `window` on.
 * @param existing the user's versions with valid_to > window, ascending
 * @param profiles the user's profiles for windows >= window, ascending (the batch's own included)
 */
export function rebuildChain(window: string, existing: readonly Version[], profiles: readonly Profile[], totals: TypeOneAttributes): Version[] {
  const containing = existing.find((version) => version.valid_from <= window && window < version.valid_to);
  const points: { at: string; attributes: Attributes }[] = [];
  if (containing && containing.valid_from < window) points.push({ at: containing.valid_from, attributes: containing });
  for (const profile of profiles) points.push({ at: profile.window_start, attributes: profile });

  const starts = points.filter((point, index) => index === 0 || !sameAttributes(point.attributes, points[index - 1]!.attributes));
  const userName = profiles[0]?.user_name ?? existing[0]?.user_name ?? '';
  return starts.map((start, index) => {
    const next = starts[index + 1];
    return {
      user_name: userName,
      primary_category: start.attributes.primary_category,
      primary_source: start.attributes.primary_source,
      valid_from: start.at,
      valid_to: next ? next.at : OPEN_END,
      is_current: next ? 0 : 1,
      ...(next ? CLOSED_TYPE_ONE : totals),
    };
  });
}

export interface ChainChange {
  /** Rows to write: new and rewritten versions, and removed ones marked deleted. */
  writes: (Version & { _is_deleted: number })[];
  opened: number;
  updated: number;
}

/**
 * The writes that turn the stored chain into the rebuilt one; nothing when they are equal. silver.dim_users
 * is keyed by (valid_to, user_name) — a user's versions never overlap, so each ends at its own point — and
 * so is the diff: a rebuilt version is written unless a stored one with its end is equal to it, and a stored
 * version after the window whose end no rebuilt version has is removed.
 * @param stored the user's versions with valid_to >= window (those that end at the window included)
 */
export function diffChain(window: string, stored: readonly Version[], rebuilt: readonly Version[]): ChainChange {
  const before = new Map(stored.map((version) => [version.valid_to, version]));
  const after = new Set(rebuilt.map((version) => version.valid_to));
  const change: ChainChange = { writes: [], opened: 0, updated: 0 };
  for (const version of rebuilt) {
    const existing = before.get(version.valid_to);
    if (!existing) {
      change.writes.push({ ...version, _is_deleted: 0 });
      change.opened += 1;
    } else if (!sameVersion(existing, version)) {
      change.writes.push({ ...version, _is_deleted: 0 });
      change.updated += 1;
    }
  }
  for (const existing of stored) {
    if (existing.valid_to > window && !after.has(existing.valid_to)) {
      change.writes.push({ ...existing, _is_deleted: 1 });
      change.updated += 1;
    }
  }
  return change;
}

function sameAttributes(a: Attributes, b: Attributes): boolean {
  return a.primary_category === b.primary_category && a.primary_source === b.primary_source;
}

function sameVersion(a: Version, b: Version): boolean {
  return (
    sameAttributes(a, b) &&
    a.valid_from === b.valid_from &&
    a.valid_to === b.valid_to &&
    a.is_current === b.is_current &&
    a.last_seen_date === b.last_seen_date &&
    a.total_events === b.total_events &&
    a.total_value === b.total_value &&
    a.is_revenue_user === b.is_revenue_user
  );
}
