/**
 * ClickHouse server and cluster mode. No ClickHouse server can be installed on this machine, so these tests
 * cover what can be checked without one: the DDL rendered for one node and for a cluster (the cluster DDL
 * parsed by ClickHouse's own parser through chDB), the configuration, and the HTTP requests the server mode
 * sends (captured by a listener that answers like an empty ClickHouse; no query is executed by it).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConfigError, describeTargets, loadConfig } from '../../src/config.js';
import { openClickHouse, type Warehouse } from '../../src/engines/clickhouse.js';
import * as bronze from '../../src/layers/bronze/repository.js';
import * as catalog from '../../src/layers/catalog/repository.js';
import * as gold from '../../src/layers/gold/repository.js';
import * as silver from '../../src/layers/silver/repository.js';
import { renderDeployment, statements } from '../../src/sql.js';

const LAYERS = { catalog, bronze, silver, gold } as const;
// Bronze's DDL takes its quality rules from a file of their own (rejection_rules.sql).
const ddlFile = (layer: string) => (layer === 'bronze' ? bronze.ddl() : readFileSync(new URL(`../../src/layers/${layer}/sql/create_tables.sql`, import.meta.url), 'utf8'));
const allStatements = () => Object.keys(LAYERS).flatMap((layer) => statements(ddlFile(layer)));
const objectName = (statement: string) => /(?:CREATE (?:DATABASE|TABLE) IF NOT EXISTS|ALTER TABLE) ([\w.]+)/.exec(statement)?.[1];

describe('ClickHouse DDL, one definition for a single node and a cluster', () => {
  let home: string;
  let chdb: Warehouse;
  before(async () => {
    home = await mkdtemp(path.join(os.tmpdir(), 'medallion-ddl-'));
    chdb = await openClickHouse({ mode: 'embedded', path: home, oldPartsLifetimeSeconds: 480, mergeWaitSeconds: 60, mergeMaxMb: 512 });
  });
  after(async () => {
    await chdb.close();
    await rm(home, { recursive: true, force: true });
  });

  it('marks every database and table for ON CLUSTER and every MergeTree engine for replication', () => {
    const ddl = allStatements();
    const creates = ddl.filter(objectName);
    assert.equal(creates.length, ddl.length, 'every statement creates a database or a table, or alters a table (the bronze quality rules)');
    assert.equal(creates.filter((statement) => /CREATE TABLE/.test(statement)).length, 16);
    for (const statement of ddl) {
      assert.equal(statement.match(/\/\*ON CLUSTER\*\//g)?.length, 1, objectName(statement));
      const engines = statement.match(/ENGINE = (\S*)MergeTree/g) ?? [];
      assert.deepEqual(engines.filter((engine) => !engine.includes('/*Replicated*/')), [], objectName(statement));
    }
  });

  it('renders the single-node DDL as written, without markers, and chDB creates it with plain MergeTree engines', async () => {
    for (const statement of allStatements()) {
      const rendered = renderDeployment(statement, {});
      assert.doesNotMatch(rendered, /ON CLUSTER|Replicated|\/\*(ON CLUSTER|Replicated)\*\//, objectName(statement));
      assert.equal(rendered, statement.replace(' /*ON CLUSTER*/', '').replace('/*Replicated*/', ''));
    }
    for (const layer of Object.values(LAYERS)) await layer.createTables(chdb);
    const tables = await chdb.rows<{ name: string; engine: string }>(
      "SELECT database || '.' || name AS name, engine FROM system.tables WHERE database IN ('catalog', 'bronze', 'silver', 'gold') ORDER BY name",
    );
    assert.equal(tables.length, 16);
    for (const table of tables) assert.match(table.engine, /^(Replacing)?MergeTree$/, table.name);
  });

  it('renders the cluster DDL with ON CLUSTER and Replicated engines, and ClickHouse parses every statement', async () => {
    for (const statement of allStatements()) {
      const name = objectName(statement)!;
      const rendered = renderDeployment(statement, { cluster: 'analytics' });
      assert.match(rendered, new RegExp(`(IF NOT EXISTS|ALTER TABLE) ${name.replace('.', '\\.')} ON CLUSTER 'analytics'`));
      assert.doesNotMatch(rendered, /\/\*(ON CLUSTER|Replicated)\*\//);
      // Nothing else differs from the single-node statement.
      assert.equal(rendered.replace(" ON CLUSTER 'analytics'", '').replace('Replicated', ''), renderDeployment(statement, {}));
      const [parsed] = await chdb.rows<{ formatted: string }>('SELECT formatQuery({statement:String}) AS formatted', { statement: rendered });
      assert.match(parsed!.formatted, new RegExp(`ON CLUSTER analytics`), name);
      if (/CREATE TABLE/.test(statement)) assert.match(parsed!.formatted, /ENGINE = Replicated(Replacing)?MergeTree\b/, name);
    }
    const dimUsers = allStatements().find((statement) => objectName(statement) === 'silver.dim_users')!;
    assert.match(renderDeployment(dimUsers, { cluster: 'analytics' }), /ENGINE = ReplicatedReplacingMergeTree\(_version, _is_deleted\)/);
    // The {cluster} macro of a self-managed cluster's configuration works as a name too.
    const [macro] = await chdb.rows<{ formatted: string }>('SELECT formatQuery({statement:String}) AS formatted', { statement: renderDeployment(dimUsers, { cluster: '{cluster}' }) });
    assert.match(macro!.formatted, /ON CLUSTER `\{cluster\}`|ON CLUSTER '\{cluster\}'/);
  });

  it('refuses a cluster statement that would reach one replica only, and a name that could break out of its quotes', () => {
    assert.throws(() => renderDeployment('CREATE TABLE IF NOT EXISTS gold.t (x UInt8) ENGINE = /*Replicated*/MergeTree ORDER BY x', { cluster: 'analytics' }), /without an \/\*ON CLUSTER\*\/ marker/);
    assert.throws(() => renderDeployment('CREATE TABLE IF NOT EXISTS gold.t /*ON CLUSTER*/ (x UInt8) ENGINE = MergeTree ORDER BY x', { cluster: 'analytics' }), /no \/\*Replicated\*\/ marker/);
    assert.throws(() => renderDeployment('CREATE DATABASE IF NOT EXISTS gold /*ON CLUSTER*/', { cluster: "x' SETTINGS a=1 --" }), /not a valid name/);
    assert.equal(renderDeployment('SELECT 1', { cluster: 'analytics' }), 'SELECT 1', 'queries pass unchanged');
  });
});

describe('ClickHouse server mode configuration', () => {
  it('takes a cluster name only with a server URL, validated, and shows it without the password', () => {
    const config = loadConfig({ MEDALLION_CLICKHOUSE_URL: 'https://etl:s3cret@ch.example.com:8443', MEDALLION_CLICKHOUSE_CLUSTER: 'default' });
    assert.deepEqual(config.clickhouse, { mode: 'server', url: 'https://etl:s3cret@ch.example.com:8443', cluster: 'default' });
    assert.equal(describeTargets(config).clickhouse, 'https://etl:***@ch.example.com:8443 (cluster default, replicated tables)');
    assert.equal(loadConfig({ MEDALLION_CLICKHOUSE_URL: 'http://ch:8123', MEDALLION_CLICKHOUSE_CLUSTER: '{cluster}' }).clickhouse.mode, 'server');
    const invalid = (env: Record<string, string>, problem: RegExp) =>
      assert.throws(() => loadConfig(env), (error: unknown) => error instanceof ConfigError && error.variable === 'MEDALLION_CLICKHOUSE_CLUSTER' && problem.test(error.message));
    invalid({ MEDALLION_CLICKHOUSE_CLUSTER: 'analytics' }, /needs MEDALLION_CLICKHOUSE_URL/);
    invalid({ MEDALLION_CLICKHOUSE_URL: 'http://ch:8123', MEDALLION_CLICKHOUSE_CLUSTER: "a' --" }, /must be a cluster name/);
  });
});

describe('ClickHouse server mode over HTTP (requests captured, no ClickHouse behind them)', () => {
  const requests: { url: URL; headers: IncomingMessage['headers']; body: string }[] = [];
  const listener = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      requests.push({ url: new URL(request.url!, 'http://127.0.0.1'), headers: request.headers, body });
      response.writeHead(200, { 'Content-Type': 'text/plain', 'X-ClickHouse-Summary': '{}' });
      response.end('');
    });
  });
  let url: string;
  before(async () => {
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    url = `http://etl:ch-password@127.0.0.1:${(listener.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => listener.close(() => resolve())));

  it('sends every layer\'s DDL rendered for the cluster, with the session settings, the password only in a header', async () => {
    const warehouse = await openClickHouse(loadConfig({ MEDALLION_CLICKHOUSE_URL: url, MEDALLION_CLICKHOUSE_CLUSTER: 'analytics' }).clickhouse);
    try {
      requests.length = 0;
      for (const layer of Object.values(LAYERS)) await layer.createTables(warehouse);
    } finally {
      await warehouse.close();
    }
    assert.equal(requests.length, allStatements().length, 'one request per statement');
    for (const request of requests) {
      const sql = request.url.searchParams.get('query') ?? request.body;
      assert.match(sql, /^[\s\S]*(CREATE (DATABASE|TABLE) IF NOT EXISTS|ALTER TABLE) [\w.]+ ON CLUSTER 'analytics'/);
      if (/CREATE TABLE/.test(sql)) assert.match(sql, /ENGINE = Replicated(Replacing)?MergeTree/);
      assert.equal(request.url.searchParams.get('session_timezone'), 'UTC');
      assert.ok(!request.url.href.includes('ch-password'), 'no password in the request URL');
      const auth = request.headers.authorization ?? '';
      const basic = auth.startsWith('Basic ') ? Buffer.from(auth.slice(6), 'base64').toString('utf8') : `${request.headers['x-clickhouse-user']}:${request.headers['x-clickhouse-key']}`;
      assert.equal(basic, 'etl:ch-password');
    }
  });

  it('binds query values as parameters, never in the SQL text', async () => {
    const warehouse = await openClickHouse(loadConfig({ MEDALLION_CLICKHOUSE_URL: url }).clickhouse);
    try {
      requests.length = 0;
      await warehouse.command('INSERT INTO t SELECT {batch_id:String}', { batch_id: "run'; DROP TABLE x --" });
    } finally {
      await warehouse.close();
    }
    const [request] = requests;
    assert.equal(request!.url.searchParams.get('param_batch_id'), "run\\'; DROP TABLE x --");
    assert.match(request!.url.searchParams.get('query') ?? request!.body, /^INSERT INTO t SELECT \{batch_id:String\}$/);
  });

  it('passes ClickHouse settings given in the URL (ch_<setting>=…) along with its own', async () => {
    const warehouse = await openClickHouse(loadConfig({ MEDALLION_CLICKHOUSE_URL: `${url}?ch_select_sequential_consistency=1&ch_insert_quorum=auto` }).clickhouse);
    try {
      requests.length = 0;
      await warehouse.rows('SELECT 1');
      await warehouse.insert('catalog.data_lineage', [{ source_table: 'a' }]);
    } finally {
      await warehouse.close();
    }
    assert.equal(requests.length, 2);
    for (const request of requests) {
      assert.equal(request.url.searchParams.get('select_sequential_consistency'), '1');
      assert.equal(request.url.searchParams.get('insert_quorum'), 'auto');
      assert.equal(request.url.searchParams.get('session_timezone'), 'UTC');
    }
  });

  it('names an unreachable server with its password masked', async () => {
    const warehouse = await openClickHouse(loadConfig({ MEDALLION_CLICKHOUSE_URL: 'http://etl:ch-password@127.0.0.1:9' }).clickhouse);
    try {
      await assert.rejects(warehouse.rows('SELECT 1'), /^Error: ClickHouse server http:\/\/etl:\*\*\*@127\.0\.0\.1:9 is unreachable while running a query \(.*ECONNREFUSED/);
    } finally {
      await warehouse.close();
    }
  });
});
