import { realpath, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { faultPoint, REPLACED_PARTS_POINT } from '../faults.js';

/**
 * chDB never deletes the data parts a merge (or a mutation) replaced: a ClickHouse server's cleanup thread
 * removes them `old_parts_lifetime` after the merge, chDB's does not run (chdb-io/chdb#107; with chDB 3.4 a
 * replaced part was still on disk after a minute in an open session, and after any number of reopenings).
 * So every merge of every window kept its inputs forever: a 30-day benchmark home held 363 replaced parts
 * beside 86 active ones (6.2 GB on disk for 3.5 GB of data, 18 773 files for 3 526), and every process loaded
 * them all again when it opened the home (in the background, on the window's cores): the embedded engine's
 * open took 0.24–0.31 s instead of 0.17 s, and the cost grew with the history.
 *
 * The embedded warehouse therefore removes them itself when it closes: ClickHouse names them (system.parts,
 * state Outdated, which it decided when it merged or when it loaded the home and found a covering part whole),
 * they are read before the session closes and deleted after. Only parts replaced at least
 * MEDALLION_OLD_PARTS_LIFETIME_SECONDS ago (480 s, as a server's `old_parts_lifetime`): until the page cache
 * has written the merged part to disk, its inputs are the copy a power loss would not take.
 *
 * A part's directory is renamed `delete_tmp_<part>` first (atomic), then deleted: a crash meanwhile leaves
 * a directory the engine's loader skips, and deletes when it next opens (as it does its own `delete_tmp_`).
 */

/** A MergeTree part directory: `<partition id>_<min block>_<max block>_<level>[_<mutation>]`. */
const PART_NAME = /^[A-Za-z0-9-]+_\d+_\d+_\d+(?:_\d+)?$/;

/**
 * Deletes the given part directories (system.parts paths) that lie in `clickhouseDir`'s store. A path of any
 * other shape is left alone: nothing outside the home's parts is touched.
 */
export async function removeReplacedParts(clickhouseDir: string, partPaths: readonly string[]): Promise<void> {
  const store = path.join(await realpath(clickhouseDir), 'store') + path.sep;
  for (const partPath of partPaths) {
    const resolved = path.resolve(partPath);
    const name = path.basename(resolved);
    if (!resolved.startsWith(store) || !PART_NAME.test(name)) continue;
    const doomed = path.join(path.dirname(resolved), `delete_tmp_${name}`);
    try {
      await rename(resolved, doomed);
    } catch (error) {
      // Gone already (another cleanup got there first): nothing to do.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw error;
    }
    faultPoint(REPLACED_PARTS_POINT);
    await rm(doomed, { recursive: true, force: true });
  }
}
