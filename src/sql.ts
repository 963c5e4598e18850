import { readFileSync } from 'node:fs';

const cache = new Map<string, string>();

/**
 * Reads a statement from the `sql/` folder beside the repository that runs it.
 * `{{name}}` placeholders take identifiers from validated configuration only, rendered double-quoted; values are always bound
 * as query parameters ({name:Type} for ClickHouse, $n for PostgreSQL).
 */
export function sqlFile(moduleUrl: string, name: string, identifiers: Record<string, string> = {}): string {
  const url = new URL(`./sql/${name}.sql`, moduleUrl);
  let text = cache.get(url.href);
  if (text === undefined) {
    text = readFileSync(url, 'utf8');
    cache.set(url.href, text);
  }
  return text.replace(/\{\{(\w+)\}\}/g, (_, key: string) => {
    const value = identifiers[key];
    if (value === undefined || !/^[a-z_][a-z0-9_]*$/.test(value)) throw new Error(`SQL ${name}: no valid identifier for {{${key}}}`);
    // Quoted, so that a reserved word (a schema named "select" or "user") is still a name.
    return `"${value}"`;
  });
}

/** Splits a file of several DDL statements at `;` line ends (our DDL has no `;` inside literals). */
export function statements(text: string): string[] {
  return text
    .split(/;\s*\n/)
    .map((statement) => statement.trim().replace(/;$/, ''))
    .filter((statement) => statement.replace(/--.*$/gm, '').trim().length > 0);
}

/** Runs every statement of a DDL file in order (each is idempotent: IF NOT EXISTS). */
export async function runScript(execute: (statement: string) => Promise<unknown>, text: string): Promise<void> {
  for (const statement of statements(text)) await execute(statement);
}

/** Where ClickHouse DDL runs: one node, or every replica of a cluster. */
export interface Deployment {
  /** A cluster name from the server's remote_servers (or a macro such as {cluster}); absent on one node. */
  cluster?: string;
}

const ON_CLUSTER = /[ \t]*\/\*ON CLUSTER\*\//g;
const REPLICATED = /\/\*Replicated\*\//g;
const CLUSTER_NAME = /^(?:[A-Za-z_][A-Za-z0-9_.-]{0,127}|\{[A-Za-z_][A-Za-z0-9_]{0,62}\})$/;
const CREATES_OBJECT = /^\s*(?:--[^\n]*\n\s*)*(?:CREATE\s+(?:DATABASE|TABLE)|ALTER\s+TABLE)\b/i;
const MERGE_TREE_ENGINE = /\bENGINE\s*=\s*(?!\/\*Replicated\*\/)\w*MergeTree\b/i;

/**
 * ClickHouse DDL is written once for both deployments; two block-comment markers say where a cluster
 * differs: "ON CLUSTER" after the name of every database and table, and "Replicated" right before every
 * *MergeTree engine (see any create_tables.sql). On one node both vanish: the statement is the plain
 * single-node DDL. With a cluster they become `ON CLUSTER '<name>'` and `Replicated`, so each table exists
 * on every replica with a replicated engine whose Keeper path and replica name are the server's defaults
 * (default_replica_path, default_replica_name: /clickhouse/tables/{uuid}/{shard} and {replica}).
 * A cluster statement that lacks a marker is refused rather than created on one replica only.
 */
export function renderDeployment(sql: string, deployment: Deployment): string {
  if (!deployment.cluster) return sql.includes('/*') ? sql.replace(ON_CLUSTER, '').replace(REPLICATED, '') : sql;
  if (!CLUSTER_NAME.test(deployment.cluster)) throw new Error(`ClickHouse cluster name ${JSON.stringify(deployment.cluster)} is not a valid name`);
  if (CREATES_OBJECT.test(sql)) {
    if (!sql.includes('/*ON CLUSTER*/')) throw new Error(`DDL without an /*ON CLUSTER*/ marker would reach one replica only: ${sql.slice(0, 120)}`);
    if (MERGE_TREE_ENGINE.test(sql)) throw new Error(`DDL with a MergeTree engine but no /*Replicated*/ marker would not replicate: ${sql.slice(0, 120)}`);
  }
  return sql.replace(ON_CLUSTER, ` ON CLUSTER '${deployment.cluster}'`).replace(REPLICATED, 'Replicated');
}
