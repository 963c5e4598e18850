/**
 * Gives a MEDALLION_HOME's silver.fact_events the projections of the release before hourly_batch_totals
 * (hourly_totals and batch_hours, built for every part), as that release left it, and forgets that the current
 * schema was applied (an earlier release recorded another fingerprint): the next ensure_all_tables upgrades it.
 * With `--list` it changes nothing. Prints the table's projections as JSON.
 * Run as a child process (chDB holds one data directory per process): node --import tsx earlier-projections.ts <home> [--list]
 */
import { loadConfig } from '../src/config.js';
import { openEngines } from '../src/engines/index.js';
import { EARLIER_PROJECTIONS } from './earlier-release.js';

const [home, flag] = process.argv.slice(2);
const engines = await openEngines(loadConfig({ MEDALLION_HOME: home! }));
try {
  const clickhouse = await engines.clickhouse();
  if (flag !== '--list') {
    for (const statement of [...EARLIER_PROJECTIONS, "ALTER TABLE catalog.benchmark_log DELETE WHERE task_name = 'ensure_all_tables' SETTINGS mutations_sync = 2"]) {
      await clickhouse.command(statement);
    }
  }
  const projections = await clickhouse.rows<{ name: string }>("SELECT name FROM system.projections WHERE database = 'silver' AND table = 'fact_events' ORDER BY name");
  process.stdout.write(JSON.stringify(projections.map((projection) => projection.name)));
} finally {
  await engines.close();
}
