import type { Config } from '../config.js';
import { datasetNames, resolveDataset, SOURCE, type DatasetId } from '../pipeline/datasets.js';
import { parseUrl } from '../secrets.js';

/**
 * A declared dataset as OpenLineage names it (its naming spec: the namespace is the data source,
 * `scheme://authority`, the name the dataset within it), and where the catalog registers its columns.
 * Namespaces are built from parsed URLs, host and port only: a login or password never reaches one.
 */
export interface OpenLineageDataset {
  namespace: string;
  name: string;
  /** The table's key in catalog.column_registry, when it is a registered table (the lake and the source are not). */
  registered?: { target: 'clickhouse' | 'postgres'; database: string; table: string };
}

/**
 * chDB is ClickHouse inside this process, with no address of its own, and PGlite is PostgreSQL inside it:
 * `clickhouse://localhost` and `postgres://localhost`, without a port, name "the embedded engine on this
 * machine". A server always has a port in its namespace, so the two never meet. The home directory is
 * left out on purpose: every process of a window (each Airflow task is one) names a table alike, and so
 * does a home moved to another path.
 */
export const EMBEDDED_CLICKHOUSE = 'clickhouse://localhost';
export const EMBEDDED_POSTGRES = 'postgres://localhost';
/** PGlite's one database. */
const EMBEDDED_POSTGRES_DATABASE = 'postgres';
/** The synthetic source generates its events inside ClickHouse: no place to point at, so a namespace of its own. */
export const SYNTHETIC_SOURCE = { namespace: 'synthetic', name: 'events' } as const;

/** Names the datasets of a configuration; the declared ids come from the graph (src/pipeline/graph.ts). */
export function datasetNaming(config: Config): (dataset: DatasetId) => OpenLineageDataset {
  const names = datasetNames(config);
  const clickhouse = clickhouseNamespace(config.clickhouse);
  const postgres = postgresLocation(config.postgres);
  return (dataset) => {
    const resolved = resolveDataset(dataset, names);
    if (dataset === SOURCE) return sourceDataset(config);
    if (dataset.startsWith('lake.')) return lakeDataset(config.lake, resolved.slice('lake.'.length));
    if (dataset.startsWith('postgres.')) {
      const [, schema = '', table = ''] = resolved.split('.');
      return { namespace: postgres.namespace, name: `${postgres.database}.${schema}.${table}`, registered: { target: 'postgres', database: schema, table } };
    }
    const [database = '', table = ''] = resolved.split('.');
    return { namespace: clickhouse, name: resolved, registered: { target: 'clickhouse', database, table } };
  };
}

/** `clickhouse://host:port`, the port defaulted from the scheme (8123 for HTTP, 8443 for HTTPS), as the server's HTTP interface listens. */
function clickhouseNamespace(target: Config['clickhouse']): string {
  if (target.mode === 'embedded') return EMBEDDED_CLICKHOUSE;
  const url = parseUrl(target.url);
  const port = url?.port || (url?.protocol === 'https:' ? '8443' : '8123');
  return `clickhouse://${url?.hostname || 'localhost'}:${port}`;
}

/** `postgres://host:port` and the database, as node-postgres reads the URL: no database means the login's name. */
function postgresLocation(target: Config['postgres']): { namespace: string; database: string } {
  if (target.mode === 'embedded') return { namespace: EMBEDDED_POSTGRES, database: EMBEDDED_POSTGRES_DATABASE };
  const url = parseUrl(target.url);
  const database = decode(url?.pathname.slice(1) ?? '') || decode(url?.username ?? '') || 'postgres';
  // No host in the URL means a local socket (or PGHOST): the server on this machine.
  const host = url?.hostname && url.hostname !== '___DUMMY___' ? url.hostname : 'localhost';
  return { namespace: `postgres://${host}:${url?.port || '5432'}`, database };
}

/** The lake's table directory: `file` and its absolute path, or `s3://bucket` and the key prefix. */
function lakeDataset(lake: Config['lake'], table: string): OpenLineageDataset {
  if (lake.mode === 's3') return { namespace: `s3://${lake.bucket}`, name: lake.prefix ? `${lake.prefix}/${table}` : table };
  return { namespace: 'file', name: `${lake.path}/${table}` };
}

/** A files source is its landing location (directory or S3 prefix); the synthetic source has its own namespace. */
function sourceDataset(config: Config): OpenLineageDataset {
  const landing = config.source.mapping?.landing;
  if (!landing) return { ...SYNTHETIC_SOURCE };
  const s3 = /^s3:\/\/([^/]+)\/?(.*)$/.exec(landing);
  if (s3) return { namespace: `s3://${s3[1]}`, name: s3[2] || '/' };
  return { namespace: 'file', name: landing };
}

function decode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
