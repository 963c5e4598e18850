import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { link, mkdir, readdir, readFile, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { waitForLock, type WaitListener } from './wait.js';
import { processExists } from './processes.js';

/**
 * chDB and PGlite each hold their data directory for the whole process, and two processes opening one
 * directory corrupt it. So a process first takes $MEDALLION_HOME, the way PostgreSQL's postmaster.pid
 * guards a data directory: the lock records who holds it, and it is free only when released or when that
 * process no longer exists. Never because it is old: a slow or paused (SIGSTOP) holder keeps it, and a
 * killed one (kill -9) frees it at once.
 *
 * Without flock (Node has none), the lock is a sequence of generations `lock/<n>.json`, each created
 * exclusively (written whole to a temporary file, then link()ed: it appears complete or not at all). The
 * highest generation is the state: held by a process, or free. A process takes the lock by creating
 * generation n+1 when generation n is free or its holder is gone; of any number of contenders (breakers of
 * the same stale lock included) exactly one creates n+1. Nothing is removed in order to take the lock, so
 * no one can remove a lock that another process has just taken. Releasing creates n+1 marked free.
 */

interface Holder {
  pid: number;
  /** Field 22 of /proc/<pid>/stat (start time since boot): a reused pid is not the holder. Linux only. */
  startTime?: string;
  /** The kernel's boot id: after a reboot no holder of before is alive, whatever its pid. Linux only. */
  bootId?: string;
  hostname: string;
  command: string;
  since: string;
}

type Generation = { state: 'held'; holder: Holder } | { state: 'free'; releasedBy: number; at: string };

export interface HomeLockOptions {
  timeoutMs: number;
  log(line: string): void;
  onWait?: WaitListener;
}

export async function lockHome(home: string, options: HomeLockOptions): Promise<() => Promise<void>> {
  const dir = path.join(home, 'lock');
  await mkdir(dir, { recursive: true });
  const { startTime, bootId } = procInfo(process.pid);
  const me: Holder = {
    pid: process.pid,
    ...(startTime ? { startTime } : {}),
    ...(bootId ? { bootId } : {}),
    hostname: os.hostname(),
    command: [path.basename(process.argv[1] ?? 'node'), ...process.argv.slice(2)].join(' '),
    since: new Date().toISOString(),
  };
  const started = performance.now();
  const taken = await waitForLock<{ number: number; takenFrom: string | undefined }>({
    what: `MEDALLION_HOME ${home}`,
    timeoutMs: options.timeoutMs,
    log: options.log,
    ...(options.onWait ? { onWait: options.onWait } : {}),
    advice: 'Wait for it to finish, or point MEDALLION_HOME elsewhere.',
    attempt: async () => {
      for (;;) {
        const { number, generation } = await currentGeneration(dir);
        let takenFrom: string | undefined;
        if (generation?.state === 'held') {
          const gone = goneBecause(generation.holder);
          if (!gone) return { heldBy: describe(generation.holder) };
          takenFrom = `${describe(generation.holder)}: ${gone}`;
        } else if (number > 0 && !generation) {
          takenFrom = `an unreadable ${generationFile(dir, number)}`;
        }
        // Another process created it first: look again.
        if (!(await createGeneration(dir, number + 1, { state: 'held', holder: me }))) continue;
        // A contender that read the state long ago (paused, say) may fill a gap below the current generation;
        // the highest one is never removed, so it sees that it is not the highest and backs out.
        if ((await highestGeneration(dir)) !== number + 1) {
          await unlink(generationFile(dir, number + 1)).catch(() => undefined);
          continue;
        }
        return { acquired: { number: number + 1, takenFrom } };
      }
    },
  });
  if (taken.takenFrom) options.log(`MEDALLION_HOME ${home}: lock taken over in ${Math.round(performance.now() - started)} ms from ${taken.takenFrom}`);
  await sweep(dir, taken.number);
  return async () => {
    await createGeneration(dir, taken.number + 1, { state: 'free', releasedBy: process.pid, at: new Date().toISOString() });
  };
}

const generationFile = (dir: string, number: number) => path.join(dir, `${number}.json`);
const GENERATION = /^(\d+)\.json$/;
const TEMPORARY = /^\.\d+\.(\d+)\.[0-9a-f]+\.tmp$/;

async function highestGeneration(dir: string): Promise<number> {
  let highest = 0;
  for (const name of await readdir(dir)) {
    const match = GENERATION.exec(name);
    if (match) highest = Math.max(highest, Number(match[1]));
  }
  return highest;
}

/** The highest generation and what it says; `generation` is undefined when there is none or it is unreadable. */
async function currentGeneration(dir: string): Promise<{ number: number; generation?: Generation }> {
  for (;;) {
    const number = await highestGeneration(dir);
    if (number === 0) return { number };
    try {
      return { number, generation: parseGeneration(await readFile(generationFile(dir, number), 'utf8')) };
    } catch (error) {
      // Swept by a newer holder between the listing and the read: look again.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
}

function parseGeneration(text: string): Generation | undefined {
  try {
    const value = JSON.parse(text) as Generation;
    if (value.state === 'free') return value;
    if (value.state === 'held' && Number.isInteger(value.holder?.pid) && typeof value.holder.hostname === 'string') return value;
  } catch {
    // Not written by this code, which links whole files only: it holds nothing.
  }
  return undefined;
}

/** Creates `<number>.json` whole, or returns false when it already exists. */
async function createGeneration(dir: string, number: number, generation: Generation): Promise<boolean> {
  const temporary = path.join(dir, `.${number}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  await writeFile(temporary, `${JSON.stringify(generation)}\n`);
  try {
    await link(temporary, generationFile(dir, number));
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await unlink(temporary).catch(() => undefined);
  }
}

/** Removes the generations below the holder's own, and temporary files of processes that died writing them. */
async function sweep(dir: string, current: number): Promise<void> {
  for (const name of await readdir(dir)) {
    const generation = GENERATION.exec(name);
    const temporary = TEMPORARY.exec(name);
    const stale = generation ? Number(generation[1]) < current : temporary ? !processExists(Number(temporary[1])) : false;
    if (stale) await unlink(path.join(dir, name)).catch(() => undefined);
  }
}

/** Why the holder can no longer hold the lock, or undefined while it may. */
function goneBecause(holder: Holder): string | undefined {
  // Another host's processes cannot be seen from here: its lock stands until it releases it.
  if (holder.hostname !== os.hostname()) return undefined;
  const boot = procInfo(process.pid).bootId;
  if (holder.bootId && boot && holder.bootId !== boot) return 'the machine has restarted since';
  if (!processExists(holder.pid)) return 'that process no longer exists';
  const now = procInfo(holder.pid);
  if (now.state === 'Z') return 'that process has exited';
  if (holder.startTime && now.startTime && now.startTime !== holder.startTime) return 'its pid now belongs to another process';
  return undefined;
}

/** Start time and state from /proc/<pid>/stat, and the boot id; empty where /proc does not exist. */
function procInfo(pid: number): { startTime?: string; bootId?: string; state?: string } {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after "(comm)", which may itself hold spaces: field 3 (state) is the first, field 22 (starttime) the 20th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    return { state: fields[0], startTime: fields[19], bootId };
  } catch {
    return {};
  }
}

function describe(holder: Holder): string {
  return `pid ${holder.pid} on ${holder.hostname} (${holder.command}), since ${holder.since}`;
}
