import { createHash } from 'node:crypto';
import type { Config } from '../config.js';
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
 * configured schema, and the cluster DDL runs on. ensure_all_tables and register_catalog record it when they
 * succeed and skip their work while it is unchanged: an upgrade, a new rule or another schema changes it,
 * and the next run applies it. As a number below 2^53 (52 bits of SHA-256), so that it fits
 * catalog.benchmark_log's metrics.
 */
export function schemaFingerprint(config: Config): number {
  const hash = createHash('sha256');
  const cluster = config.clickhouse.mode === 'server' ? (config.clickhouse.cluster ?? '') : '';
  for (const part of [catalog.ddl(), bronze.ddl(), silver.ddl(), gold.ddl(), delivery.postgresDdl(config.postgresSchema), cluster]) {
    hash.update(part).update('\0');
  }
  return Number.parseInt(hash.digest('hex').slice(0, 13), 16);
}
