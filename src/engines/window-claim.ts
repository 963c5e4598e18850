import os from 'node:os';
import type { AdvisoryKey, Postgres } from './postgres.js';
import { waitForLock, type WaitListener } from './wait.js';

export interface WindowClaimOptions {
  /** The PostgreSQL schema of the deployment: pipelines delivering to different schemas never wait for each other. */
  schema: string;
  timeoutMs: number;
  log(line: string): void;
  onWait?: WaitListener;
}

/**
 * Claims one hourly window for this process, so two processes never work on the same window at once —
 * in server mode nothing else stops them (the home lock guards embedded engines only). The claim is a
 * PostgreSQL session-level advisory lock on a connection of its own, held for the window's whole run and
 * released at its end; when the process dies, however it dies, the server drops the connection and the
 * lock with it. A second process waits, saying who holds the window, then fails after
 * MEDALLION_LOCK_TIMEOUT_MS. Resolves to the release, which never throws.
 */
export async function claimWindow(postgres: Postgres, windowStart: Date, options: WindowClaimOptions): Promise<() => Promise<void>> {
  const what = `window ${windowStart.toISOString()}`;
  const key = windowKey(options.schema, windowStart);
  // pg_stat_activity shows who holds the window (application_name is at most 63 bytes).
  const name = `medallion pid ${process.pid} on ${os.hostname()}`.slice(0, 63);
  let lost = false;
  const session = await postgres.lockSession(name, (error) => {
    lost = true;
    options.log(`${what}: the claim's connection to PostgreSQL dropped (${error.message}); another process may take the window before this run ends`);
  });
  try {
    await waitForLock({
      what,
      timeoutMs: options.timeoutMs,
      log: options.log,
      ...(options.onWait ? { onWait: options.onWait } : {}),
      pollMs: 250,
      advice: 'Another run is working on this window: let it finish, then rerun the window if needed.',
      attempt: async () => ((await session.tryLock(key)) ? { acquired: true } : { heldBy: (await session.holder(key)) ?? 'another session, which has just let it go' }),
    });
  } catch (error) {
    await session.close().catch(() => undefined);
    throw error;
  }
  return async () => {
    try {
      // A dropped connection took the lock with it: nothing left to release.
      if (!lost) await session.unlock(key);
    } catch (error) {
      options.log(`${what}: could not release the claim (${(error as Error).message}); the server frees it with the connection`);
    } finally {
      await session.close().catch(() => undefined);
    }
  };
}

/** (a namespace per schema, hours since the epoch): the two int4 keys of the window's advisory lock. */
export function windowKey(schema: string, windowStart: Date): AdvisoryKey {
  return [fnv1a31(`medallion window claim ${schema}`), Math.floor(windowStart.getTime() / 3_600_000)];
}

/** FNV-1a, folded to 31 bits: a stable positive int4 (pg_locks shows the keys as unsigned oids). */
function fnv1a31(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  return hash & 0x7fffffff;
}
