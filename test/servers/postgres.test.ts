import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.js';
import { openPostgres, type Postgres } from '../../src/engines/postgres.js';
import { createPostgresTables, postgresHourlyTotals, UPSERT_BATCH_ROWS, upsertHourly } from '../../src/layers/delivery/repository.js';
import type { HourlyRow } from '../../src/layers/gold/repository.js';
import { NO_SERVERS, servers, uniqueName } from './helpers.js';

/** The PostgreSQL target as the product configures it from these variables. */
const connect = (env: Record<string, string>) => openPostgres(loadConfig({ MEDALLION_POSTGRES_URL: servers().postgresUrl, ...env }).postgres);

async function withPostgres<T>(env: Record<string, string>, work: (postgres: Postgres) => Promise<T>): Promise<T> {
  const postgres = await connect(env);
  try {
    return await work(postgres);
  } finally {
    await postgres.close();
  }
}

/** `count` gold rows of one day, each its own (hour, category, source): a window far wider than the source makes. */
function hourlyRows(count: number, batch: string, scale: number): HourlyRow[] {
  return Array.from({ length: count }, (_, index) => ({
    event_date: '2026-11-20',
    event_hour: index % 24,
    category: `category_${Math.floor(index / 24)}`,
    source: ['web', 'ios', 'android', 'api'][index % 4]!,
    event_count: (index % 97) * scale + 1,
    revenue_events: index % 7,
    total_value: ((index % 1000) + 0.25) * scale,
    _batch_id: batch,
  }));
}

describe('PostgreSQL server', { skip: NO_SERVERS }, () => {
  it('upserts a touched window of 100 k gold rows in one transaction, correctly and within seconds', (t) =>
    withPostgres({}, async (postgres) => {
      const schema = uniqueName('bulk');
      await createPostgresTables(postgres, schema);
      const first = hourlyRows(100_000, 'run_1', 1);
      assert.ok(first.length > UPSERT_BATCH_ROWS * 4, 'several batches');
      let started = performance.now();
      await upsertHourly(postgres, schema, first);
      const insertMs = performance.now() - started;

      const totals = async () =>
        (await postgres.query<{ rows: number; events: number; value: number; batches: string }>(
          `SELECT count(*)::int AS rows, sum(event_count)::float8 AS events, round(sum(total_value)::numeric, 2)::float8 AS value, string_agg(DISTINCT _batch_id, ',') AS batches FROM ${schema}.agg_events_hourly`,
        ))[0]!;
      const sum = (rows: HourlyRow[], column: 'event_count' | 'total_value') => Math.round(rows.reduce((total, row) => total + row[column], 0) * 100) / 100;
      assert.deepEqual(await totals(), { rows: 100_000, events: sum(first, 'event_count'), value: sum(first, 'total_value'), batches: 'run_1' });

      // A rerun with new numbers updates every row in place: nothing is added, nothing left behind.
      const second = hourlyRows(100_000, 'run_2', 3);
      started = performance.now();
      await upsertHourly(postgres, schema, second);
      const updateMs = performance.now() - started;
      assert.deepEqual(await totals(), { rows: 100_000, events: sum(second, 'event_count'), value: sum(second, 'total_value'), batches: 'run_2' });
      t.diagnostic(`100 k rows: insert ${Math.round(insertMs)} ms, update ${Math.round(updateMs)} ms`);
      assert.ok(insertMs < 20_000 && updateMs < 20_000, `100 k rows took ${Math.round(insertMs)} / ${Math.round(updateMs)} ms`);

      // Delivery validation's per-hour totals agree with the rows sent.
      const [hour] = await postgresHourlyTotals(postgres, schema, { hours: ['2026-11-20 05:00:00'], dates: ['2026-11-20'], params: { touched_hours: [], touched_dates: [] } });
      const sent = second.filter((row) => row.event_hour === 5);
      assert.deepEqual({ rows: Number(hour!.rows), event_count: Number(hour!.event_count) }, { rows: sent.length, event_count: sum(sent, 'event_count') });

      // One transaction over all batches: a row the last batch cannot store undoes the first batches too.
      const broken = hourlyRows(100_000, 'run_3', 5);
      broken[broken.length - 1]!.event_hour = 100_000; // beyond smallint
      await assert.rejects(upsertHourly(postgres, schema, broken), /out of range/);
      assert.deepEqual(await totals(), { rows: 100_000, events: sum(second, 'event_count'), value: sum(second, 'total_value'), batches: 'run_2' });
      await postgres.query(`DROP SCHEMA ${schema} CASCADE`);
    }));

  it('says which privilege is missing when the user may not create the schema, and works once an owner created it', () =>
    withPostgres({}, async (admin) => {
      const role = uniqueName('loader');
      const password = randomBytes(12).toString('hex');
      const schema = uniqueName('replica');
      await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
      try {
        const url = new URL(servers().postgresUrl);
        url.username = role;
        url.password = password;
        const loader = await openPostgres(loadConfig({ MEDALLION_POSTGRES_URL: url.href }).postgres);
        try {
          await assert.rejects(createPostgresTables(loader, schema), (error: Error) => {
            assert.match(error.message, new RegExp(`refused to create schema "${schema}" or its tables: the user "${role}" lacks the CREATE privilege in database "postgres"`));
            assert.match(error.message, new RegExp(`GRANT CREATE ON DATABASE "postgres" TO "${role}"`));
            assert.ok(!error.message.includes(password));
            return true;
          });
          // An owner creates the replicas once and grants the loader what loading needs, nothing more.
          await createPostgresTables(admin, schema);
          await admin.query(`GRANT USAGE ON SCHEMA ${schema} TO ${role}; GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA ${schema} TO ${role}`);
          await createPostgresTables(loader, schema);
          await upsertHourly(loader, schema, hourlyRows(10, 'run_1', 1));
          const [loaded] = await loader.query<{ rows: number }>(`SELECT count(*)::int AS rows FROM ${schema}.agg_events_hourly`);
          assert.equal(loaded!.rows, 10);
        } finally {
          await loader.close();
        }
      } finally {
        await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await admin.query(`DROP ROLE ${role}`);
      }
    }));

  const ssl = (postgres: Postgres) => postgres.query<{ ssl: boolean; version: string | null }>('SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()');

  /** The server URL with another host name: the session's certificate names "localhost" only. */
  const viaHost = (hostname: string) => {
    const url = new URL(servers().postgresUrl);
    url.hostname = hostname;
    return url.href;
  };

  it('connects over TLS with sslmode=verify-full and the CA file, as Aurora is used', async () => {
    const caFile = servers().caFile;
    await withPostgres({ MEDALLION_POSTGRES_URL: viaHost('localhost'), MEDALLION_POSTGRES_SSLMODE: 'verify-full', MEDALLION_POSTGRES_SSLROOTCERT: caFile }, async (postgres) => {
      const [session] = await ssl(postgres);
      assert.equal(session!.ssl, true);
      assert.match(session!.version!, /^TLSv1\.[23]$/);
    });
    // A CA file alone means verify-full.
    await withPostgres({ MEDALLION_POSTGRES_URL: viaHost('localhost'), MEDALLION_POSTGRES_SSLROOTCERT: caFile }, async (postgres) => assert.equal((await ssl(postgres))[0]!.ssl, true));
    // verify-ca checks the chain, not the name; require encrypts without checking; disable does not encrypt.
    await withPostgres({ MEDALLION_POSTGRES_SSLMODE: 'verify-ca', MEDALLION_POSTGRES_SSLROOTCERT: caFile }, async (postgres) => assert.equal((await ssl(postgres))[0]!.ssl, true));
    await withPostgres({ MEDALLION_POSTGRES_SSLMODE: 'require' }, async (postgres) => assert.equal((await ssl(postgres))[0]!.ssl, true));
    await withPostgres({ MEDALLION_POSTGRES_SSLMODE: 'disable' }, async (postgres) => assert.equal((await ssl(postgres))[0]!.ssl, false));
  });

  it('refuses a server certificate it cannot verify: unknown CA, or a host name the certificate does not name', async () => {
    await withPostgres({ MEDALLION_POSTGRES_URL: viaHost('localhost'), MEDALLION_POSTGRES_SSLMODE: 'verify-full' }, (postgres) =>
      assert.rejects(ssl(postgres), /self[- ]signed certificate|unable to verify|unable to get local issuer/i),
    );
    await withPostgres({ MEDALLION_POSTGRES_SSLMODE: 'verify-ca' }, (postgres) => assert.rejects(ssl(postgres), /self[- ]signed certificate|unable to verify|unable to get local issuer/i));
    await withPostgres({ MEDALLION_POSTGRES_SSLMODE: 'verify-full', MEDALLION_POSTGRES_SSLROOTCERT: servers().caFile }, (postgres) =>
      assert.rejects(ssl(postgres), /127\.0\.0\.1 is not in the cert's list|does not match certificate's altnames/),
    );
  });

  it('takes TLS from one place only, and checks the CA file at start-up', () => {
    const url = `${servers().postgresUrl}?sslmode=require`;
    assert.throws(() => loadConfig({ MEDALLION_POSTGRES_URL: url, MEDALLION_POSTGRES_SSLMODE: 'verify-full' }), (error: unknown) => error instanceof ConfigError && /conflicts with sslmode/.test(error.message));
    assert.throws(() => loadConfig({ MEDALLION_POSTGRES_URL: servers().postgresUrl, MEDALLION_POSTGRES_SSLROOTCERT: '/nonexistent/ca.pem' }), /MEDALLION_POSTGRES_SSLROOTCERT names a file that does not exist/);
    assert.throws(() => loadConfig({ MEDALLION_POSTGRES_URL: servers().postgresUrl, MEDALLION_POSTGRES_SSLMODE: 'prefer' }), /MEDALLION_POSTGRES_SSLMODE must be one of disable, require, verify-ca, verify-full/);
    assert.throws(() => loadConfig({ MEDALLION_POSTGRES_SSLMODE: 'require' }), /needs MEDALLION_POSTGRES_URL/);
  });

  it('names an unreachable server with its password masked, and a wrong password without printing it', async () => {
    const closed = new URL(servers().postgresUrl);
    closed.port = '9';
    await withPostgres({ MEDALLION_POSTGRES_URL: closed.href }, (postgres) =>
      assert.rejects(postgres.query('SELECT 1'), (error: Error) => {
        assert.match(error.message, /^PostgreSQL server postgres:\/\/medallion:\*\*\*@127\.0\.0\.1:9\/postgres is unreachable while running a query \(connect ECONNREFUSED 127\.0\.0\.1:9\)/);
        assert.ok(!error.message.includes(servers().postgresPassword));
        return true;
      }),
    );
    const wrong = new URL(servers().postgresUrl);
    wrong.password = 'not-the-password';
    await withPostgres({ MEDALLION_POSTGRES_URL: wrong.href }, (postgres) =>
      assert.rejects(postgres.query('SELECT 1'), (error: Error) => {
        assert.match(error.message, /password authentication failed for user "medallion"/);
        assert.ok(!error.message.includes('not-the-password') && !error.message.includes(servers().postgresPassword));
        return true;
      }),
    );
  });
});
