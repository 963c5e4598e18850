import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { openLake, type Lake } from '../../src/engines/lake.js';
import { NO_SERVERS, openPipeline, secrets, servers, serverTargets, windowAt } from './helpers.js';

/** The S3 lake as the product configures it, below a prefix of its own. */
async function withLake<T>(label: string, work: (lake: Lake) => Promise<T>): Promise<T> {
  const lake = await openLake(loadConfig(serverTargets(label)).lake);
  try {
    return await work(lake);
  } finally {
    await lake.close();
  }
}

const digest = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('S3 lake on an S3-compatible server', { skip: NO_SERVERS }, () => {
  it('writes, reads and lists objects below its prefix only, through pages of 1 000 keys', () =>
    withLake('listing', async (lake) => {
      assert.match(lake.location, new RegExp(`^s3://${servers().bucket}/listing_[0-9a-f]{8}/gold$`));
      assert.equal(await lake.read('agg_events_hourly/event_date=2026-11-20/event_hour=10/part-0.parquet'), undefined, 'a missing object is no object');
      const keys = Array.from({ length: 1_050 }, (_, index) => `agg_events_hourly/event_date=2026-11-20/event_hour=${String(index % 24).padStart(2, '0')}/part-${index}.parquet`);
      for (let start = 0; start < keys.length; start += 50) {
        await Promise.all(keys.slice(start, start + 50).map((key) => lake.write(key, Buffer.from(key))));
      }
      await withLake('listing_neighbour', (neighbour) => neighbour.write('agg_events_hourly/event_date=2026-11-20/event_hour=10/part-0.parquet', Buffer.from('not mine')));
      assert.deepEqual(await lake.list('agg_events_hourly'), [...keys].sort());
      assert.deepEqual(await lake.list('rpt_daily_summary'), []);
      assert.equal((await lake.read(keys[7]!))?.toString(), keys[7]);
    }));

  it('replaces a partition atomically: a reader during rewrites gets one whole version or the other', () =>
    withLake('atomic', async (lake) => {
      const key = 'agg_events_hourly/event_date=2026-11-20/event_hour=10/part-0.parquet';
      const versions = [randomBytes(3 * 1024 * 1024), randomBytes(3 * 1024 * 1024)];
      const known = new Set(versions.map(digest));
      await lake.write(key, versions[0]!);
      let writing = true;
      const writer = (async () => {
        for (let round = 1; round <= 8; round += 1) await lake.write(key, versions[round % 2]!);
        writing = false;
      })();
      const seen = new Set<string>();
      let reads = 0;
      while (writing) {
        const bytes = (await lake.read(key))!;
        assert.ok(known.has(digest(bytes)), `read ${bytes.length} bytes that are neither version`);
        seen.add(digest(bytes));
        reads += 1;
      }
      await writer;
      assert.ok(reads > 0);
      assert.equal(digest((await lake.read(key))!), digest(versions[0]!), 'the last write (an even round) wins');
      assert.deepEqual(await lake.list('agg_events_hourly'), [key], 'no staging object is left behind');
    }));

  it('delivery validation lists each touched partition prefix and fails naming a stray object; remove deletes it and the rerun passes', async () => {
    const pipeline = await openPipeline({ ...serverTargets('stray'), MEDALLION_TASK_RETRIES: '0' });
    try {
      const lake = await pipeline.engines.lake();
      const stray = 'rpt_daily_summary/event_date=2026-11-20/part-0.parquet.4194301.tmp';
      const foreign = 'agg_events_hourly/event_date=2026-11-20/event_hour=10/other.parquet';
      const outcome = await pipeline.run(windowAt(0), {
        onEvent: async (event) => {
          if (event.type === 'task-end' && event.task === 'export_gold_to_s3') {
            for (const key of [stray, foreign]) await lake.write(key, Buffer.from('not a partition'));
          }
        },
      });
      assert.equal(outcome.failedTask, 'validate_delivery');
      assert.ok(outcome.error!.includes(`lake_partition_files date 2026-11-20 stray_files ${stray}: expected 0, got 1`), outcome.error);
      assert.ok(outcome.error!.includes(`lake_partition_files hour 2026-11-20 10:00:00 stray_files ${foreign}: expected 0, got 1`), outcome.error);
      assert.doesNotMatch(outcome.error!, /clickhouse_vs_lake/, 'the part files themselves are right');

      // The rerun's export deletes the legacy staging object in the partition it touches, not the foreign one.
      const again = await pipeline.run(windowAt(0));
      assert.equal(again.failedTask, 'validate_delivery');
      assert.ok(!again.error!.includes(stray) && again.error!.includes(foreign), again.error);
      assert.deepEqual(await lake.sweepStaging(), [], 'S3 stages nothing');
      await lake.remove(foreign);
      await lake.remove(foreign);
      assert.equal((await pipeline.run(windowAt(0))).status, 'success');
      const keys = [...(await lake.list('agg_events_hourly/')), ...(await lake.list('rpt_daily_summary/'))];
      assert.ok(keys.length > 1 && keys.every((key) => key.endsWith('/part-0.parquet')), keys.join('\n'));
    } finally {
      await pipeline.close();
    }
  });

  it('takes credentials only from the AWS default chain, and says so when it finds none', async () => {
    const target = loadConfig(serverTargets('no_credentials')).lake;
    const known = secrets();
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
    delete process.env.AWS_ACCESS_KEY_ID;
    delete process.env.AWS_SECRET_ACCESS_KEY;
    const lake = await openLake(target);
    try {
      await assert.rejects(lake.write('probe', Buffer.from('x')), (error: Error) => {
        assert.match(error.message, /^S3 lake s3:\/\/\S+ at http:\/\/127\.0\.0\.1:\d+ failed while writing probe: .*credentials/i);
        for (const secret of known) assert.ok(!error.message.includes(secret));
        return true;
      });
    } finally {
      await lake.close();
      process.env.AWS_ACCESS_KEY_ID = saved.id;
      process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
    }
  });
});
