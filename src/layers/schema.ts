import { createHash } from 'node:crypto';
import type { Config } from '../config.js';
import type { Warehouse } from '../engines/index.js';
import { sqlFile } from '../sql.js';
import * as bronze from './bronze/repository.js';
import * as catalog from './catalog/repository.js';
import * as delivery from './delivery/repository.js';
import * as gold from './gold/repository.js';
import * as silver from './silver/repository.js';

/** The ClickHouse tables the layers' DDL creates, as database.table. */
export function declaredTables(): string[] {
  return [catalog.ddl(), bronze.ddl(), silver.ddl(), gold.ddl()].flatMap((ddl) => [...ddl.matchAll(/CREATE TABLE IF NOT EXISTS (\w+\.\w+)/g)].map((match) => match[1]!));
}

/**
 * What the tables and their registration are made from: every layer's DDL, the replicas' DDL in the
 * configured schema, and the cluster DDL runs on (the embedded engine: the cap on its merges). ensure_all_tables and register_catalog record it when they
 * succeed and skip their work while it is unchanged: an upgrade, a new rule or another schema changes it,
 * and the next run applies it. As a number below 2^53 (52 bits of SHA-256), so that it fits
 * catalog.benchmark_log's metrics.
 */
export function schemaFingerprint(config: Config): number {
  const hash = createHash('sha256');
  const engine = config.clickhouse.mode === 'server' ? (config.clickhouse.cluster ?? '') : `merges of at most ${config.clickhouse.mergeMaxMb} MB`;
  for (const part of [catalog.ddl(), bronze.ddl(), silver.ddl(), gold.ddl(), delivery.postgresDdl(config.postgresSchema), engine]) {
    hash.update(part).update('\0');
  }
  return Number.parseInt(hash.digest('hex').slice(0, 13), 16);
}

/**
 * chDB merges a home's parts only while a process has it open (one per window), and MergeTree's merges grow
 * with the data: without a cap, a month's partition is merged again and again into parts of gigabytes, each
 * merge longer than a window and its close, begun again by every window (see src/engines/running-merges.ts).
 * Measured on 10 M-event windows: a bronze merge of 149 M rows (3.3 GB), then 184 M. So the embedded engine's
 * tables merge parts up to MEDALLION_MERGE_MAX_MB only (max_bytes_to_merge_at_max_space_in_pool), set here
 * where it differs: every row is rewritten fewer times, a merge lasts seconds, and a partition holds more
 * parts (at 10 M events an hour and 512 MB, a few hundred a month per table). A server keeps its own setting.
 */
export async function capMerges(clickhouse: Warehouse, config: Config): Promise<void> {
  if (config.clickhouse.mode !== 'embedded') return;
  const bytes = config.clickhouse.mergeMaxMb * 2 ** 20;
  const declared = new Set(declaredTables());
  const tables = await clickhouse.rows<{ database: string; table: string; cap: number }>(sqlFile(import.meta.url, 'merge_caps'));
  const changed = tables.filter((table) => declared.has(`${table.database}.${table.table}`) && Number(table.cap) !== bytes);
  // The names are those of the layers' DDL (declaredTables), found in system.tables.
  for (const { database, table } of changed) await clickhouse.command(sqlFile(import.meta.url, 'cap_merges', { database, table }), { bytes });
}
