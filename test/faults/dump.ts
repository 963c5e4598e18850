/**
 * Prints, as JSON on stdout, a fingerprint of everything a MEDALLION_HOME holds: every ClickHouse table of
 * bronze, silver, gold and catalog (discovered from system.tables, not a hand list), both PostgreSQL
 * replicas, and the lake's file listing with each file's bytes digested. Audit timestamps, row versions
 * and per-attempt rows are left out: they record when and how often work was done, not what it produced.
 * Run as a child process (chDB holds one data directory per process): node --import tsx dump.ts <home>
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { loadConfig } from '../../src/config.js';
import { openEngines } from '../../src/engines/index.js';

/** Columns that say when (or in which attempt) a row was written, per table; `*` leaves the table out. */
const AUDIT_COLUMNS: Record<string, readonly string[]> = {
  'bronze.stg_events': ['_ingested_at'],
  'silver.quarantine_events': ['_quarantined_at'],
  'silver.dim_users': ['_version'],
  'gold.agg_events_hourly_history': ['_snapshot_at'],
  'gold.rpt_daily_summary_history': ['_snapshot_at'],
  'catalog.table_registry': ['registered_at'],
  'catalog.column_registry': ['registered_at'],
  'catalog.data_lineage': ['registered_at'],
  'catalog.pipeline_runs': ['started_at', 'finished_at', 'updated_at'],
  'catalog.validation_log': ['checked_at'],
  'catalog.source_files': ['updated_at'],
};

/** Tables whose rows are one per attempt: compared as the set of distinct rows (a rerun repeats a check). */
const PER_ATTEMPT = new Set(['catalog.validation_log']);

const home = process.argv[2]!;
const config = loadConfig({ MEDALLION_HOME: home });
const engines = await openEngines(config);
try {
  const clickhouse = await engines.clickhouse();
  const tables = await clickhouse.rows<{ name: string; engine: string }>(
    "SELECT concat(database, '.', name) AS name, engine FROM system.tables WHERE database IN ('bronze', 'silver', 'gold', 'catalog') ORDER BY name",
  );
  const fingerprint: Record<string, unknown> = {};
  for (const table of tables) {
    // One row per task attempt, killed ones absent: how the work went, not what it produced.
    if (table.name === 'catalog.benchmark_log') continue;
    const [database, name] = table.name.split('.') as [string, string];
    const columns = (await clickhouse.rows<{ name: string }>('SELECT name FROM system.columns WHERE database = {database:String} AND table = {table:String} ORDER BY position', { database, table: name }))
      .map((column) => column.name)
      .filter((column) => !(AUDIT_COLUMNS[table.name] ?? []).includes(column));
    const list = columns.map((column) => `\`${column}\``).join(', ');
    const final = table.engine.includes('Replacing') ? 'FINAL' : '';
    const source = PER_ATTEMPT.has(table.name) ? `(SELECT DISTINCT ${list} FROM ${table.name})` : `${table.name} ${final}`;
    const [row] = await clickhouse.rows<{ rows: number; hash: string }>(`SELECT count() AS rows, toString(sum(cityHash64(${list}))) AS hash FROM ${source}`);
    fingerprint[table.name] = row;
  }
  const postgres = await engines.postgres();
  for (const table of ['agg_events_hourly', 'rpt_daily_summary']) {
    const [row] = await postgres.query<{ rows: number; digest: string }>(
      `SELECT count(*)::int AS rows, md5(coalesce(string_agg(r::text, '|' ORDER BY r::text), '')) AS digest
       FROM (SELECT to_jsonb(t) - '_loaded_at' AS r FROM ${config.postgresSchema}.${table} t) s`,
    );
    fingerprint[`postgres.${table}`] = row;
  }
  const lakeRoot = path.join(home, 'lake');
  const files = (await readdir(lakeRoot, { recursive: true, withFileTypes: true }).catch(() => []))
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(lakeRoot, path.join(entry.parentPath, entry.name)))
    .sort();
  fingerprint.lake = await Promise.all(files.map(async (file) => `${file} ${createHash('sha256').update(await readFile(path.join(lakeRoot, file))).digest('hex').slice(0, 16)}`));
  process.stdout.write(JSON.stringify(fingerprint));
} finally {
  await engines.close();
}
