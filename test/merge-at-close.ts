/**
 * A merge running when the embedded ClickHouse closes (src/engines/running-merges.ts), on a scratch table of a
 * MEDALLION_HOME. Run as a child process (chDB holds one data directory per process), with the MEDALLION_
 * variables it is given (MEDALLION_MERGE_WAIT_SECONDS, MEDALLION_KILL_AT):
 *   node --import tsx merge-at-close.ts <home> merge    six inserts of 3 M rows, merges held until all are in;
 *                                                        closes once a merge of them is running and prints
 *                                                        that merge's part and the parts inserted
 *   node --import tsx merge-at-close.ts <home> inspect  prints the table's active parts and its rows' checksum,
 *                                                        read as soon as the home is open, and closes at once
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../src/config.js';
import { openEngines } from '../src/engines/index.js';
import { armKillAt } from '../src/faults.js';

const [home, mode] = process.argv.slice(2) as [string, 'merge' | 'inspect'];
const variables = Object.fromEntries(Object.entries(process.env).filter(([name]) => name.startsWith('MEDALLION_'))) as Record<string, string>;
const config = loadConfig({ ...variables, MEDALLION_HOME: home, ...(mode === 'inspect' ? { MEDALLION_MERGE_WAIT_SECONDS: '0' } : {}) });
armKillAt(config.killAt);
const engines = await openEngines(config);
try {
  const clickhouse = await engines.clickhouse();
  if (mode === 'merge') {
    await clickhouse.command('CREATE DATABASE IF NOT EXISTS scratch');
    await clickhouse.command('CREATE TABLE scratch.events (id String, n UInt64) ENGINE = MergeTree ORDER BY id');
    await clickhouse.command('SYSTEM STOP MERGES scratch.events');
    for (let part = 1; part <= 6; part += 1) {
      await clickhouse.command('INSERT INTO scratch.events SELECT toString(cityHash64(number, {part:UInt8})), number FROM numbers(3000000)', { part });
    }
    const [inserted] = await clickhouse.rows<{ parts: number }>("SELECT count() AS parts FROM system.parts WHERE database = 'scratch' AND active");
    await clickhouse.command('SYSTEM START MERGES scratch.events');
    for (let polls = 0; polls < 600; polls += 1) {
      const [running] = await clickhouse.rows<{ part: string; progress: number }>("SELECT result_part_name AS part, progress FROM system.merges WHERE database = 'scratch'");
      if (running) {
        process.stdout.write(JSON.stringify({ ...running, parts: inserted?.parts }));
        break;
      }
      await sleep(50);
    }
  } else {
    const parts = await clickhouse.rows<{ name: string }>("SELECT name FROM system.parts WHERE database = 'scratch' AND active ORDER BY name");
    const [rows] = await clickhouse.rows<{ rows: number; checksum: string }>('SELECT count() AS rows, toString(sum(cityHash64(id, n))) AS checksum FROM scratch.events');
    process.stdout.write(JSON.stringify({ parts: parts.map((part) => part.name), ...rows }));
  }
} finally {
  await engines.close();
}
