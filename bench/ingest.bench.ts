/**
 * `npm run bench` (second part): ingesting one landed NDJSON file of BENCH_INGEST_LINES lines (10 M by
 * default), plain and gzip-compressed, into bronze through the files source — read once to count and
 * checksum it, then loaded with provenance and the original text of every line — against the bare
 * reference measured in the same run: `INSERT INTO t SELECT * FROM file(…, JSONEachRow)` of the same file
 * into a MergeTree table of the same columns.
 *
 *   BENCH_INGEST_LINES=10000000
 */
import { link, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { formatTable } from '../src/cli/format.js';
import { loadConfig } from '../src/config.js';
import { openEngines } from '../src/engines/index.js';
import { toBatch } from '../src/layers/batch.js';
import * as bronze from '../src/layers/bronze/repository.js';
import * as catalog from '../src/layers/catalog/repository.js';
import { sourceOf } from '../src/sources/index.js';

const lines = Number(process.env.BENCH_INGEST_LINES ?? 10_000_000);
const dir = await mkdtemp(path.join(os.tmpdir(), 'medallion-ingest-bench-'));
const landing = path.join(dir, 'landing');
await mkdir(landing);
const mappingFile = path.join(dir, 'mapping.yaml');
await writeFile(
  mappingFile,
  [
    'name: bench',
    'landing: ./landing',
    'columns: [event_id, user_id, event_type, price, event_time]',
    'fields:',
    "  user_name: concat('user_', user_id)",
    '  category: event_type',
    '  value: toFloat64OrNull(price)',
    "  event_time: parseDateTimeBestEffortOrNull(event_time, 'UTC')",
    'constants:',
    '  source: web',
  ].join('\n'),
);

const config = loadConfig({ MEDALLION_HOME: path.join(dir, 'home'), MEDALLION_SOURCE: mappingFile });
const engines = await openEngines(config);
const results: Record<string, string | number>[] = [];
try {
  const clickhouse = await engines.clickhouse();
  for (const layer of [catalog, bronze]) await layer.createTables(clickhouse);
  const plain = path.join(dir, 'events.ndjson');
  process.stderr.write(`writing ${lines} lines of NDJSON (and a gzip copy)…\n`);
  const generate = `SELECT concat('e-', toString(number)) AS event_id, number % 100000 AS user_id, ['view', 'cart', 'purchase'][1 + number % 3] AS event_type,
                    toString(round((number % 50000) / 100, 2)) AS price, formatDateTime(toDateTime('2026-11-20 10:00:00', 'UTC') + number % 3600, '%Y-%m-%d %H:%i:%S UTC') AS event_time
                    FROM numbers({lines:UInt64})`;
  await clickhouse.command(`INSERT INTO FUNCTION file({file:String}, 'JSONEachRow') ${generate}`, { file: plain, lines });
  await clickhouse.command(`INSERT INTO FUNCTION file({file:String}, 'JSONEachRow') ${generate}`, { file: `${plain}.gz`, lines });
  await clickhouse.command('CREATE TABLE IF NOT EXISTS default.bare (event_id String, user_id UInt64, event_type String, price String, event_time String) ENGINE = MergeTree ORDER BY tuple()');

  for (const [label, file] of [['ndjson', plain], ['ndjson.gz', `${plain}.gz`]] as const) {
    const bytes = (await stat(file)).size;
    await clickhouse.command('TRUNCATE TABLE default.bare');
    let started = performance.now();
    await clickhouse.command("INSERT INTO default.bare SELECT * FROM file({file:String}, 'JSONEachRow')", { file });
    const bareMs = performance.now() - started;

    // The files source takes what is in the landing directory: only this file, for a window of its own.
    await rm(landing, { recursive: true, force: true });
    await mkdir(landing);
    await link(file, path.join(landing, path.basename(file)));
    const batch = toBatch(`bench__${label}`, new Date(label === 'ndjson' ? '2026-11-20T10:00:00Z' : '2026-11-20T11:00:00Z'));
    started = performance.now();
    const loaded = await sourceOf(config).load(clickhouse, batch);
    const sourceMs = performance.now() - started;
    if (loaded.rows !== lines) throw new Error(`bronze holds ${loaded.rows} rows of ${lines}: ${loaded.summary}`);
    results.push(
      { file: label, MB: Math.round(bytes / 1e6), reference: 'bare INSERT … SELECT FROM file()', seconds: Math.round(bareMs) / 1000, lines_per_second: Math.round((lines * 1000) / bareMs), ratio: 1 },
      { file: label, MB: Math.round(bytes / 1e6), reference: 'files source → bronze', seconds: Math.round(sourceMs) / 1000, lines_per_second: Math.round((lines * 1000) / sourceMs), ratio: Math.round((bareMs / sourceMs) * 100) / 100 },
    );
  }
} finally {
  await engines.close();
  await rm(dir, { recursive: true, force: true });
}

console.log(`\nmedallion ingest bench: one NDJSON file of ${lines} lines, embedded chDB, ${os.cpus().length} cores (ratio = bare time / files-source time; 1 = as fast as the bare insert)\n`);
console.log(formatTable(results));
console.log(`peak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MB`);
