import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import lockfile from 'proper-lockfile';

/**
 * chDB and PGlite each hold their data directory for the whole process. A second process (a parallel
 * Airflow task, a `query` from a shell) waits here a bounded time, then fails saying who holds it.
 */
export async function lockHome(home: string, timeoutMs: number): Promise<() => Promise<void>> {
  await mkdir(home, { recursive: true });
  const holderFile = path.join(home, 'lock-holder.json');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const release = await lockfile.lock(home, { lockfilePath: path.join(home, '.lock'), stale: 30_000, update: 10_000 });
      await writeFile(holderFile, JSON.stringify({ pid: process.pid, command: process.argv.slice(2).join(' '), since: new Date().toISOString() }));
      return release;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw error;
      if (Date.now() >= deadline) {
        const holder = await readFile(holderFile, 'utf8').catch(() => 'unknown');
        throw new Error(
          `The embedded engines' directory ${home} is held by another process (${holder}); waited ${timeoutMs} ms ` +
            '(MEDALLION_LOCK_TIMEOUT_MS). Wait for it to finish or point MEDALLION_HOME elsewhere.',
          { cause: error },
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}
