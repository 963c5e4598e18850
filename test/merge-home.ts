/**
 * Merges every MergeTree table of a MEDALLION_HOME's embedded ClickHouse into one part per partition
 * (OPTIMIZE … FINAL) and prints, as JSON on stdout, the directories of the parts those merges replaced, which
 * chDB leaves on disk (see src/engines/replaced-parts.ts). It closes the home keeping them (a lifetime of 30
 * days). Run as a child process (chDB holds one data directory per process): node --import tsx merge-home.ts <home>
 */
import { loadConfig } from '../src/config.js';
import { openEngines } from '../src/engines/index.js';

const home = process.argv[2]!;
const engines = await openEngines(loadConfig({ MEDALLION_HOME: home, MEDALLION_OLD_PARTS_LIFETIME_SECONDS: String(30 * 86_400) }));
try {
  const clickhouse = await engines.clickhouse();
  const tables = await clickhouse.rows<{ name: string }>(
    "SELECT concat(database, '.', name) AS name FROM system.tables WHERE database IN ('bronze', 'silver', 'gold', 'catalog') AND engine LIKE '%MergeTree' ORDER BY name",
  );
  // The names come from system.tables, not from input.
  for (const { name } of tables) await clickhouse.command(`OPTIMIZE TABLE ${name} FINAL`);
  const replaced = await clickhouse.rows<{ path: string }>("SELECT path FROM system.parts WHERE _state = 'Outdated' ORDER BY path");
  process.stdout.write(JSON.stringify(replaced.map((part) => part.path)));
} finally {
  await engines.close();
}
