import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { loadConfig } from '../../src/config.js';
import { openEngines } from '../../src/engines/index.js';
import { openPostgres } from '../../src/engines/postgres.js';
import { medallion } from '../cli.js';
import { catalogStrings, leaksIn, type SecretCase } from '../secrets-corpus.js';
import { NO_SERVERS, serverTargets, servers, uniqueName } from './helpers.js';

/** Every object below a prefix of the test bucket, as text (a Parquet file's strings are stored plain). */
async function lakeObjects(prefix: string): Promise<{ key: string; text: string }[]> {
  const s3 = new S3Client({ endpoint: servers().s3Endpoint, forcePathStyle: true, region: process.env.AWS_REGION ?? 'us-east-1' });
  try {
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: servers().bucket, Prefix: prefix }));
    return Promise.all(
      (listed.Contents ?? []).map(async ({ Key }) => {
        const object = await s3.send(new GetObjectCommand({ Bucket: servers().bucket, Key: Key! }));
        return { key: Key!, text: Buffer.from(await object.Body!.transformToByteArray()).toString('latin1') };
      }),
    );
  } finally {
    s3.destroy();
  }
}

describe('secrets against the PostgreSQL server', { skip: NO_SERVERS }, () => {
  it('a user@server login with @ / : % # ? and a space in its password runs the pipeline; no form of it, or of a wrong one, is printed or stored', async () => {
    const role = `etl@${uniqueName('srv')}`;
    const password = `Tr0ub@dor/:%#? ${randomBytes(4).toString('hex')}-Zq98`;
    const wrong = `Wr0ng@pw/:%#? ${randomBytes(4).toString('hex')}-Zq99`;
    const { port } = new URL(servers().postgresUrl);
    const admin = await openPostgres(loadConfig({ MEDALLION_POSTGRES_URL: servers().postgresUrl }).postgres);
    const home = await mkdtemp(path.join(os.tmpdir(), 'medallion-secrets-server-'));
    try {
      // A role name and password cannot be bound parameters in DDL; both are made here, quote-free.
      await admin.query(`CREATE ROLE "${role}" LOGIN PASSWORD '${password}'`);
      await admin.query(`GRANT CREATE ON DATABASE postgres TO "${role}"`);
      const urlWith = (secret: string) => `postgres://${encodeURIComponent(role)}:${encodeURIComponent(secret)}@127.0.0.1:${port}/postgres`;
      const targets = serverTargets('secrets');
      const env = { ...targets, MEDALLION_HOME: home, MEDALLION_EVENTS_PER_HOUR: '300', MEDALLION_TASK_RETRIES: '0' };

      const good = await medallion(['run', '--from', '2026-11-20T10:00Z'], { ...env, MEDALLION_POSTGRES_URL: urlWith(password) });
      assert.equal(good.code, 0, good.stderr);
      assert.ok(good.stderr.includes(`postgres://${encodeURIComponent(role)}:***@127.0.0.1:${port}/postgres`), good.stderr);
      assert.match(good.stderr, /validate_delivery .* checks passed/);

      const bad = await medallion(['run', '--from', '2026-11-20T11:00Z'], { ...env, MEDALLION_POSTGRES_URL: urlWith(wrong) });
      assert.equal(bad.code, 1, bad.stderr);
      assert.ok(bad.stderr.includes(`password authentication failed for user "${role}"`), bad.stderr);

      const cases: SecretCase[] = [password, wrong].map((secret) => ({ name: secret, env: {}, secrets: [secret], accepted: true, target: 'postgres' }));
      const engines = await openEngines(loadConfig({ MEDALLION_HOME: home }));
      const catalog = await catalogStrings(await engines.clickhouse()).finally(() => engines.close());
      const lake = await lakeObjects(`${new URL(targets.MEDALLION_LAKE_URL!).pathname.slice(1)}/`);
      assert.ok(lake.length >= 2, `${lake.length} lake objects`);
      for (const testCase of cases) {
        assert.deepEqual(leaksIn(good.stdout + good.stderr + bad.stdout + bad.stderr, testCase), []);
        for (const { column, value } of catalog.values) assert.deepEqual(leaksIn(value, testCase), [], column);
        for (const { key, text } of lake) assert.deepEqual(leaksIn(text, testCase), [], key);
      }
    } finally {
      await admin.query(`DROP OWNED BY "${role}"`).catch(() => undefined);
      await admin.query(`DROP ROLE IF EXISTS "${role}"`).catch(() => undefined);
      await admin.close();
      await rm(home, { recursive: true, force: true });
    }
  });
});
