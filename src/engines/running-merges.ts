import { setTimeout as sleep } from 'node:timers/promises';
import { faultPoint, MERGE_WAIT_POINT } from '../faults.js';

/**
 * chDB merges a home's data parts only while a process has the home open, and closing it cancels the merges
 * running: their work is thrown away, and the next process begins them again from nothing. With one process
 * per window, a merge longer than what is left of a window is begun again by every window and never finishes:
 * a core spent on nothing for as long as the window lasts, and parts that pile up. Measured (2026-12-06, 2
 * cores): consecutive 1 M-event windows on one home, from the 29th on, each cut short a merge of all of
 * silver (9 parts, 470 MB, a quarter done) and of the registry (335 MB, half done) and took 9–10 s instead of
 * 5; 10 M-event windows each cut short a bronze merge of 149 M rows (3.3 GB) at 46 % then 57 %.
 *
 * So before it closes, the embedded warehouse waits for the merges running at that moment to finish, for at
 * most MEDALLION_MERGE_WAIT_SECONDS; merges begun meanwhile are not waited for. A merge still running at the
 * deadline is cancelled as before. A server merges in the background whatever its clients do.
 */
export interface RunningMerge {
  /** `<database>.<table>/<the part it writes>`. */
  merge: string;
}

const POLL_MS = 50;

export async function finishRunningMerges(running: () => Promise<RunningMerge[]>, waitMs: number): Promise<void> {
  if (waitMs <= 0) return;
  const deadline = performance.now() + waitMs;
  const awaited = new Set((await running()).map((merge) => merge.merge));
  if (awaited.size === 0) return;
  faultPoint(MERGE_WAIT_POINT);
  let unfinished = awaited.size;
  while (unfinished > 0 && performance.now() < deadline) {
    await sleep(Math.min(POLL_MS, Math.max(0, deadline - performance.now())));
    unfinished = (await running()).filter((merge) => awaited.has(merge.merge)).length;
  }
}
