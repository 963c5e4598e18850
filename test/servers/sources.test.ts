import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, it } from 'node:test';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DuckDBInstance } from '@duckdb/node-api';
import { chRows } from '../helpers.js';
import { NO_SERVERS, openPipeline, servers, serverTargets, uniqueName, windowAt } from './helpers.js';

const MAPPING = (landing: string) => `
name: orders
landing: ${landing}
columns: [id, customer, kind, amount, at]
fields:
  event_id: id
  user_name: customer
  category: kind
  value: toFloat64OrNull(amount)
  event_time: parseDateTimeBestEffortOrNull(at, 'UTC')
constants:
  source: s3
`;

const ndjson = (prefix: string, count: number) =>
  Array.from({ length: count }, (_, i) => JSON.stringify({ id: `${prefix}-${i}`, customer: `c${i % 17}`, kind: i % 3 === 0 ? 'purchase' : 'view', amount: (i % 50) + 0.5, at: `2026-11-20T10:${String(i % 60).padStart(2, '0')}:00Z` })).join('\n') + '\n';

const COLUMNS = ['id', 'customer', 'kind', 'amount', 'at'];
const csv = (prefix: string, count: number) =>
  [COLUMNS.join(','), ...ndjson(prefix, count).trim().split('\n').map((line) => COLUMNS.map((column) => String((JSON.parse(line) as Record<string, unknown>)[column])).join(','))].join('\n') + '\n';

/** A Parquet file of `csv(prefix, count)`, written by DuckDB (an independent writer). */
async function parquet(dir: string, prefix: string, count: number): Promise<Buffer> {
  const source = path.join(dir, `${prefix}.csv`);
  const target = path.join(dir, `${prefix}.parquet`);
  await writeFile(source, csv(prefix, count));
  const duck = await DuckDBInstance.create(':memory:');
  const connection = await duck.connect();
  try {
    await connection.run(`COPY (SELECT * FROM read_csv('${source}', header = true, all_varchar = true)) TO '${target}' (FORMAT parquet)`);
  } finally {
    connection.closeSync();
    duck.closeSync();
  }
  return readFile(target);
}

describe('the files source on an s3:// landing prefix', { skip: NO_SERVERS }, () => {
  it('ingests each object exactly once across windows and reruns, with its s3:// location as provenance', async () => {
    const s = servers();
    const prefix = uniqueName('landing');
    const client = new S3Client({ endpoint: s.s3Endpoint, forcePathStyle: true, region: process.env.AWS_REGION ?? 'us-east-1' });
    const put = (key: string, body: string | Buffer) => client.send(new PutObjectCommand({ Bucket: s.bucket, Key: `${prefix}/${key}`, Body: body }));
    const dir = await mkdtemp(path.join(os.tmpdir(), 'medallion-s3-source-'));
    const mapping = path.join(dir, 'mapping.yaml');
    await writeFile(mapping, MAPPING(`s3://${s.bucket}/${prefix}`));
    await put('2026/11/20/a.ndjson', ndjson('a', 300) + 'broken line\n');
    await put('2026/11/20/b.ndjson.gz', gzipSync(ndjson('b', 200)));
    await put('_incoming/c.ndjson', ndjson('c', 5));
    const pipeline = await openPipeline({ ...serverTargets('s3source'), MEDALLION_SOURCE: mapping });
    try {
      assert.equal((await pipeline.run(windowAt(0))).status, 'success');
      await put('2026/11/20/d.ndjson', ndjson('d', 50));
      assert.equal((await pipeline.run(windowAt(0))).status, 'success', 'rerun: takes the same objects');
      assert.equal((await pipeline.run(windowAt(1))).status, 'success');
      assert.equal((await pipeline.run(windowAt(1))).status, 'success', 'rerun');

      const files = await chRows<{ location: string; status: string; rows: number; batch_id: string; etag: string }>(
        pipeline,
        'SELECT location, status, rows, batch_id, etag FROM catalog.source_files FINAL ORDER BY location',
      );
      const at = (key: string) => `s3://${s.bucket}/${prefix}/2026/11/20/${key}`;
      assert.deepEqual(
        files.map(({ location, status, rows, batch_id }) => ({ location, status, rows, batch_id })),
        [
          { location: at('a.ndjson'), status: 'ingested', rows: 301, batch_id: 'scheduled__2026-11-20T10:00:00+00:00' },
          { location: at('b.ndjson.gz'), status: 'ingested', rows: 200, batch_id: 'scheduled__2026-11-20T10:00:00+00:00' },
          { location: at('d.ndjson'), status: 'ingested', rows: 50, batch_id: 'scheduled__2026-11-20T11:00:00+00:00' },
        ],
        'the object under _incoming/ is never taken',
      );
      assert.ok(files.every((file) => file.etag !== ''), 'the ledger keeps each object\'s ETag');
      const bronze = await chRows<{ file: string; rows: number; distinct_rows: number }>(
        pipeline,
        'SELECT _source_file AS file, count() AS rows, uniqExact(_batch_id, _row) AS distinct_rows FROM bronze.stg_events GROUP BY file ORDER BY file',
      );
      assert.deepEqual(bronze, files.map((file) => ({ file: file.location, rows: file.rows, distinct_rows: file.rows })));
      const [broken] = await chRows<{ file: string; line: number; record: string; reason: string }>(
        pipeline,
        `SELECT b._source_file AS file, b._source_line AS line, b._source_record AS record, q.rejection_reason AS reason
         FROM silver.quarantine_events AS q FINAL INNER JOIN bronze.stg_events AS b ON b._batch_id = q._batch_id AND b._row = q._row AND b._window_start = q._window_start`,
      );
      assert.deepEqual(broken, { file: at('a.ndjson'), line: 301, record: 'broken line', reason: 'unparsable_line,empty_event_id,empty_user_name,invalid_event_time' });
      const [silver] = await chRows<{ events: number }>(pipeline, 'SELECT count() AS events FROM silver.fact_events');
      assert.equal(silver!.events, 550);
    } finally {
      await pipeline.close();
      client.destroy();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('ingests CSV and Parquet objects, records a truncated object as failed, and reports an object changed after ingestion', async () => {
    const s = servers();
    const prefix = uniqueName('landing');
    const client = new S3Client({ endpoint: s.s3Endpoint, forcePathStyle: true, region: process.env.AWS_REGION ?? 'us-east-1' });
    const put = (key: string, body: string | Buffer) => client.send(new PutObjectCommand({ Bucket: s.bucket, Key: `${prefix}/${key}`, Body: body }));
    const at = (key: string) => `s3://${s.bucket}/${prefix}/${key}`;
    const dir = await mkdtemp(path.join(os.tmpdir(), 'medallion-s3-formats-'));
    const mapping = path.join(dir, 'mapping.yaml');
    await writeFile(mapping, MAPPING(`s3://${s.bucket}/${prefix}`));
    const whole = await parquet(dir, 'g', 90);
    await put('e.csv', csv('e', 120));
    await put('f.parquet', await parquet(dir, 'f', 80));
    await put('g.parquet', whole.subarray(0, Math.floor(whole.length / 2)));
    const pipeline = await openPipeline({ ...serverTargets('s3formats'), MEDALLION_SOURCE: mapping });
    const ledger = async () =>
      (await chRows<{ location: string; status: string; rows: number; batch_id: string; error: string }>(pipeline, 'SELECT location, status, rows, batch_id, error FROM catalog.source_files FINAL ORDER BY location'))
        .map(({ location, status, rows, batch_id, error }) => ({ location, status, rows, batch: batch_id.slice('scheduled__2026-11-'.length, -12), error: error !== '' }));
    try {
      const first = await pipeline.run(windowAt(0));
      assert.equal(first.status, 'success', first.error);
      assert.match(first.tasks.find((task) => task.id === 'load_bronze')!.result!.summary, new RegExp(`^200 rows in bronze from 2 files .*; 1 failed: ${at('g.parquet').replace(/[.]/g, '\\.')}: `));
      assert.deepEqual(await ledger(), [
        { location: at('e.csv'), status: 'ingested', rows: 120, batch: '20T10', error: false },
        { location: at('f.parquet'), status: 'ingested', rows: 80, batch: '20T10', error: false },
        { location: at('g.parquet'), status: 'failed', rows: 0, batch: '20T10', error: true },
      ]);

      // The CSV object is overwritten with other content (a new ETag); the Parquet one is re-landed whole under a new name.
      await put('e.csv', csv('e', 150));
      await put('g-fixed.parquet', whole);
      const second = await pipeline.run(windowAt(1));
      assert.equal(second.status, 'success', second.error);
      assert.match(second.tasks.find((task) => task.id === 'load_bronze')!.result!.summary, new RegExp(`1 changed after ingestion, not ingested again .*${at('e.csv').replace(/[.]/g, '\\.')}`));
      assert.equal((await pipeline.run(windowAt(1))).status, 'success', 'rerun');
      assert.deepEqual(await ledger(), [
        { location: at('e.csv'), status: 'changed', rows: 120, batch: '20T10', error: true },
        { location: at('f.parquet'), status: 'ingested', rows: 80, batch: '20T10', error: false },
        { location: at('g-fixed.parquet'), status: 'ingested', rows: 90, batch: '20T11', error: false },
        { location: at('g.parquet'), status: 'failed', rows: 0, batch: '20T10', error: true },
      ]);
      const [changed] = await chRows<{ error: string }>(pipeline, 'SELECT error FROM catalog.source_files FINAL WHERE location = {location:String}', { location: at('e.csv') });
      assert.match(changed!.error, /changed after run scheduled__2026-11-20T10:00:00\+00:00 ingested it: ETag /);
      const bronze = await chRows<{ file: string; rows: number; batches: number }>(
        pipeline,
        'SELECT _source_file AS file, count() AS rows, uniqExact(_batch_id) AS batches FROM bronze.stg_events GROUP BY file ORDER BY file',
      );
      assert.deepEqual(bronze, [
        { file: at('e.csv'), rows: 120, batches: 1 },
        { file: at('f.parquet'), rows: 80, batches: 1 },
        { file: at('g-fixed.parquet'), rows: 90, batches: 1 },
      ], 'nothing of the truncated object, nothing of the changed one twice');
      const [silver] = await chRows<{ events: number }>(pipeline, 'SELECT count() AS events FROM silver.fact_events');
      assert.equal(silver!.events, 290);
    } finally {
      await pipeline.close();
      client.destroy();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
