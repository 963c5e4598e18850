/**
 * The waiting part of every lock here (the embedded home, a window's claim): try, and while someone else
 * holds it, say who (when the wait starts and every ~10 s), then give up after MEDALLION_LOCK_TIMEOUT_MS
 * with an error naming the holder.
 */

export type Attempt<T> = { acquired: T } | { heldBy: string };

export interface WaitOptions<T> {
  /** What is being waited for, as the start of a sentence: "MEDALLION_HOME /x", "window 2026-…Z". */
  what: string;
  /** One try: the lock, or who holds it now. */
  attempt(): Promise<Attempt<T>>;
  timeoutMs: number;
  log(line: string): void;
  /** What the user can do when the wait times out. */
  advice: string;
  /** Told when a wait starts (someone else holds it) and when it ends, either way: a terminal shows it live. */
  onWait?: WaitListener;
  pollMs?: number;
}

const REPORT_EVERY_MS = 10_000;

export class LockTimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LockTimeoutError';
  }
}

/** Hears that a wait for `what` began (true) or ended (false). */
export type WaitListener = (waiting: boolean, what: string) => void;

export async function waitForLock<T>(options: WaitOptions<T>): Promise<T> {
  const started = performance.now();
  let reportedAt: number | undefined;
  try {
    for (;;) {
      const result = await options.attempt();
      const waited = performance.now() - started;
      if ('acquired' in result) {
        if (reportedAt !== undefined) options.log(`${options.what}: acquired after waiting ${seconds(waited)}`);
        return result.acquired;
      }
      if (waited >= options.timeoutMs) {
        throw new LockTimeoutError(
          `${options.what} is held by ${result.heldBy}; waited ${options.timeoutMs} ms (MEDALLION_LOCK_TIMEOUT_MS). ${options.advice}`,
        );
      }
      if (reportedAt === undefined) {
        options.log(`${options.what} is held by ${result.heldBy}; waiting up to ${seconds(options.timeoutMs)} (MEDALLION_LOCK_TIMEOUT_MS)`);
        reportedAt = waited;
        options.onWait?.(true, options.what);
      } else if (waited - reportedAt >= REPORT_EVERY_MS) {
        options.log(`${options.what} is still held by ${result.heldBy} (waited ${seconds(waited)})`);
        reportedAt = waited;
      }
      const pause = Math.min(options.pollMs ?? 100, Math.max(0, options.timeoutMs - waited));
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  } finally {
    if (reportedAt !== undefined) options.onWait?.(false, options.what);
  }
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
