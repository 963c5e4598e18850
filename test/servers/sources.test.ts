import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, it } from 'node:test';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
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
});
