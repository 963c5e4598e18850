import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { ConfigError, loadConfig } from '../src/config.js';
import { medallion, runScript } from './cli.js';
import { chRows, openTestPipeline, windowAt, type TestPipeline } from './helpers.js';

/** The clickstream export of the issue: no event id, numeric user ids, zone-suffixed times, empty fields. */
const CLICKSTREAM_COLUMNS = ['event_time', 'event_type', 'product_id', 'price', 'user_id', 'user_session'];
const CLICKSTREAM_MAPPING = `
name: clickstream
landing: ./landing
columns: [${CLICKSTREAM_COLUMNS.join(', ')}]
fields:
  event_id: hex(sipHash128(user_session, event_time, event_type, product_id))
  user_name: if(user_id = '', '', concat('user_', user_id))
  category: event_type
  value: if(price = '', 0, toFloat64OrNull(price))
  event_time: parseDateTimeBestEffortOrNull(event_time, 'UTC')
constants:
  source: web
`;

interface Click {
  event_time: string;
  event_type: string;
  product_id: number;
  price: string;
  user_id: string;
  user_session: string;
}

/** Deterministic clicks in the hour starting at `hour` (ISO), some with an empty user or price. */
function clicks(hour: string, count: number, salt: number): Click[] {
  const types = ['view', 'cart', 'purchase', 'remove_from_cart'];
  return Array.from({ length: count }, (_, i) => {
    const n = (i * 7919 + salt * 104729) % 100_003;
    const minute = String(Math.floor((n % 3600) / 60)).padStart(2, '0');
    const second = String(n % 60).padStart(2, '0');
    return {
      event_time: `${hour.slice(0, 10)} ${hour.slice(11, 13)}:${minute}:${second} UTC`,
      event_type: types[n % 4]!,
      product_id: 1000 + (n % 97),
      price: n % 11 === 0 ? '' : ((n % 5000) / 100 + 1).toFixed(2),
      user_id: n % 29 === 0 ? '' : String(n % 150),
      user_session: `s-${salt}-${i}`,
    };
  });
}

const csvOf = (rows: readonly Click[]) => [CLICKSTREAM_COLUMNS.join(','), ...rows.map((row) => CLICKSTREAM_COLUMNS.map((column) => String(row[column as keyof Click])).join(','))].join('\n') + '\n';
const ndjsonOf = (rows: readonly Click[]) => rows.map((row) => JSON.stringify({ ...row, user_id: row.user_id === '' ? null : Number(row.user_id) })).join('\n') + '\n';

/** The clicks written by DuckDB (an independent writer) from a CSV of them, with COPY's `options`. */
async function copiedByDuckDB(rows: readonly Click[], file: string, options: string): Promise<void> {
  const csv = `${file}.csv`;
  await writeFile(csv, csvOf(rows));
  const duck = await DuckDBInstance.create(':memory:');
  const connection = await duck.connect();
  try {
    await connection.run(`COPY (SELECT * FROM read_csv('${csv}', header = true, all_varchar = true)) TO '${file}' (${options})`);
  } finally {
    connection.closeSync();
    duck.closeSync();
    await rm(csv);
  }
}

const parquetOf = (rows: readonly Click[], file: string) => copiedByDuckDB(rows, file, 'FORMAT parquet');

/** A zstd-compressed NDJSON file of the clicks (empty fields as null); checked to be zstd by its magic number. */
async function zstdNdjsonOf(rows: readonly Click[], file: string): Promise<void> {
  await copiedByDuckDB(rows, file, 'FORMAT json, COMPRESSION zstd');
  assert.deepEqual([...(await readFile(file)).subarray(0, 4)], [0x28, 0xb5, 0x2f, 0xfd], 'a zstd frame');
}

interface Fixture {
  dir: string;
  landing: string;
  mapping: string;
  pipeline: TestPipeline;
}

async function openFixture(mapping = CLICKSTREAM_MAPPING): Promise<Fixture> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'medallion-sources-'));
  const landing = path.join(dir, 'landing');
  await mkdir(landing);
  await writeFile(path.join(dir, 'mapping.yaml'), mapping);
  const pipeline = await openTestPipeline({ MEDALLION_SOURCE: path.join(dir, 'mapping.yaml') });
  return { dir, landing, mapping: path.join(dir, 'mapping.yaml'), pipeline };
}

async function closeFixture(fixture: Fixture): Promise<void> {
  await fixture.pipeline.close();
  await rm(fixture.dir, { recursive: true, force: true });
}

const ledger = (pipeline: TestPipeline) =>
  chRows<{ location: string; status: string; batch_id: string; rows: number; error: string }>(
    pipeline,
    'SELECT location, status, batch_id, rows, error FROM catalog.source_files FINAL ORDER BY location',
  );

describe('the files source: NDJSON, CSV and Parquet files (plain, gzip, zstd) landed in a directory', () => {
  let fixture: Fixture;
  const lines = new Map<string, number>();

  before(async () => {
    fixture = await openFixture();
    const land = async (name: string, rows: Click[], write: (file: string) => Promise<void>) => {
      await write(path.join(fixture.landing, name));
      lines.set(path.join(fixture.landing, name), rows.length);
    };
    const first = clicks('2026-11-20T10:00', 300, 1);
    const second = clicks('2026-11-20T10:00', 200, 2);
    const third = clicks('2026-11-20T11:00', 250, 3);
    await land('clicks-1.csv', first, (file) => writeFile(file, csvOf(first)));
    await land('clicks-2.ndjson.gz', second, (file) => writeFile(file, gzipSync(ndjsonOf(second))));
    await land('clicks-3.parquet', third, (file) => parquetOf(third, file));
    const fifth = clicks('2026-11-20T10:00', 150, 11);
    await land('clicks-5.ndjson.zst', fifth, (file) => zstdNdjsonOf(fifth, file));
  });
  after(() => closeFixture(fixture));

  it('ingests each file exactly once across three windows and two reruns; a file landed before the next window is picked up by it', async () => {
    const { pipeline } = fixture;
    assert.equal((await pipeline.run(windowAt(0))).status, 'success');
    // Landed while window 0 was done: window 1 takes it, window 0's rerun does not.
    const late = clicks('2026-11-20T11:00', 120, 4);
    await writeFile(path.join(fixture.landing, 'clicks-4.csv'), csvOf(late));
    lines.set(path.join(fixture.landing, 'clicks-4.csv'), late.length);
    assert.equal((await pipeline.run(windowAt(0))).status, 'success', 'rerun of window 0');
    assert.equal((await pipeline.run(windowAt(1))).status, 'success');
    assert.equal((await pipeline.run(windowAt(1))).status, 'success', 'rerun of window 1');
    const dimension = () => chRows<{ versions: number; current: number; events: number }>(pipeline, 'SELECT count() AS versions, sum(is_current) AS current, sum(total_events) AS events FROM silver.dim_users FINAL');
    const dimensionBefore = await dimension();
    assert.equal((await pipeline.run(windowAt(2))).status, 'success', 'window 2: nothing new landed');
    // An empty batch has no users: the dimension is left as it was (its statement is not even run).
    assert.deepEqual(await dimension(), dimensionBefore);
    assert.ok(dimensionBefore[0]!.current > 0);

    const entries = await ledger(pipeline);
    assert.deepEqual(
      entries.map(({ location, status, batch_id, rows }) => ({ location, status, batch_id, rows })),
      [...lines].sort(([a], [b]) => (a < b ? -1 : 1)).map(([location, count]) => ({
        location,
        status: 'ingested',
        batch_id: location.endsWith('clicks-4.csv') ? 'scheduled__2026-11-20T11:00:00+00:00' : 'scheduled__2026-11-20T10:00:00+00:00',
        rows: count,
      })),
    );
    const perFile = await chRows<{ file: string; rows: number; lines: number; batches: number }>(
      pipeline,
      'SELECT _source_file AS file, count() AS rows, uniqExact(_source_line) AS lines, uniqExact(_batch_id) AS batches FROM bronze.stg_events GROUP BY file ORDER BY file',
    );
    for (const row of perFile) assert.deepEqual({ rows: row.rows, lines: row.lines, batches: row.batches }, { rows: lines.get(row.file), lines: lines.get(row.file), batches: 1 }, row.file);
    assert.equal(perFile.length, lines.size);
    const [window2] = await chRows<{ rows: number }>(pipeline, "SELECT count() AS rows FROM bronze.stg_events WHERE _batch_id = 'scheduled__2026-11-20T12:00:00+00:00'");
    assert.equal(window2!.rows, 0);
    const [checks] = await chRows<{ files: number; failed: number }>(pipeline, "SELECT uniqExact(window_key) AS files, countIf(passed = 0) AS failed FROM catalog.validation_log WHERE check_name = 'file_accounting'");
    assert.deepEqual(checks, { files: lines.size, failed: 0 }, 'the gate checked every file: its records = its bronze rows');
  });

  it('keeps each row\'s file, line and original text, so a quarantined row leads back to its line', async () => {
    const [row] = await chRows<{ file: string; line: number; record: string; reason: string }>(
      fixture.pipeline,
      `SELECT b._source_file AS file, b._source_line AS line, b._source_record AS record, q.rejection_reason AS reason
       FROM silver.quarantine_events AS q FINAL
       INNER JOIN bronze.stg_events AS b ON b._batch_id = q._batch_id AND b._row = q._row AND b._window_start = q._window_start
       WHERE endsWith(b._source_file, 'clicks-1.csv') ORDER BY line LIMIT 1`,
    );
    const fileLines = (await readFile(row!.file, 'utf8')).split('\n');
    assert.equal(fileLines[row!.line - 1], row!.record, 'the record is the file\'s line, the header being line 1');
    assert.match(row!.reason, /empty_user_name/);
  });
});

describe('a clickstream export in a foreign schema, through a mapping file only', () => {
  it('gives gold KPIs, hourly and daily, equal to an independent computation over the raw file (DuckDB)', async () => {
    const fixture = await openFixture();
    try {
      // Two days: the window's hour, and late events of the day before.
      const rows = [...clicks('2026-11-20T10:00', 1500, 9), ...clicks('2026-11-19T23:00', 300, 10)];
      // Exact duplicate lines, as exports have them.
      const withDuplicates = [...rows, ...rows.slice(0, 40)];
      const file = path.join(fixture.landing, 'export.csv');
      await writeFile(file, csvOf(withDuplicates));
      assert.equal((await fixture.pipeline.run(windowAt(0))).status, 'success');

      const gold = await chRows<{ hour: string; events: number; revenue_events: number; value: number }>(
        fixture.pipeline,
        `SELECT formatDateTime(toDateTime(event_date) + toIntervalHour(event_hour), '%Y-%m-%d %H:00') AS hour, sum(event_count) AS events,
                sum(revenue_events) AS revenue_events, round(sum(total_value), 2) AS value
         FROM gold.agg_events_hourly FINAL GROUP BY hour ORDER BY hour`,
      );
      const duck = await DuckDBInstance.create(':memory:');
      const connection = await duck.connect();
      try {
        // Each distinct event of a known user once; a revenue event is a purchase with a price above 0.
        const reader = await connection.runAndReadAll(
          `SELECT strftime(date_trunc('hour', strptime(replace(event_time, ' UTC', ''), '%Y-%m-%d %H:%M:%S')), '%Y-%m-%d %H:00') AS hour,
                  count(*)::INTEGER AS events,
                  count(*) FILTER (WHERE event_type = 'purchase' AND coalesce(price, 0) > 0)::INTEGER AS revenue_events,
                  round(sum(coalesce(price, 0)), 2)::DOUBLE AS value
           FROM (SELECT DISTINCT * FROM read_csv('${file}', header = true, types = {'price': 'DOUBLE', 'user_id': 'VARCHAR', 'event_time': 'VARCHAR'}) WHERE user_id IS NOT NULL AND user_id != '')
           GROUP BY ALL ORDER BY hour`,
        );
        assert.deepEqual(gold, await reader.getRowObjectsJS());
        assert.equal(gold.length, 2, 'both days\' hours');

        // The daily summary: money read as exact decimals on both sides; a day's users are its distinct known user ids.
        const daily = await chRows(
          fixture.pipeline,
          `SELECT toString(event_date) AS date, total_events, unique_users, revenue_events, round(total_revenue, 2) AS total_revenue, round(avg_value, 6) AS avg_value
           FROM gold.rpt_daily_summary FINAL ORDER BY date`,
        );
        const dailyReader = await connection.runAndReadAll(
          `SELECT strftime(strptime(replace(event_time, ' UTC', ''), '%Y-%m-%d %H:%M:%S'), '%Y-%m-%d') AS date,
                  count(*)::INTEGER AS total_events,
                  count(DISTINCT user_id)::INTEGER AS unique_users,
                  count(*) FILTER (WHERE event_type = 'purchase' AND coalesce(price, 0) > 0)::INTEGER AS revenue_events,
                  round(coalesce(sum(price) FILTER (WHERE event_type = 'purchase' AND price > 0), 0)::DOUBLE, 2) AS total_revenue,
                  round(sum(coalesce(price, 0))::DOUBLE / count(*), 6) AS avg_value
           FROM (SELECT DISTINCT * FROM read_csv('${file}', header = true, types = {'price': 'DECIMAL(18,2)', 'user_id': 'VARCHAR', 'event_time': 'VARCHAR'}) WHERE user_id IS NOT NULL AND user_id != '')
           GROUP BY ALL ORDER BY date`,
        );
        assert.deepEqual(daily, await dailyReader.getRowObjectsJS());
        assert.deepEqual(daily.map((row) => row.date), ['2026-11-19', '2026-11-20']);
      } finally {
        connection.closeSync();
        duck.closeSync();
      }
      const [accounting] = await chRows<{ bronze: number; duplicates: number }>(
        fixture.pipeline,
        'SELECT bronze_rows AS bronze, duplicate_rows AS duplicates FROM catalog.pipeline_runs FINAL',
      );
      // A repeated line of an unknown user is quarantined each time; the others are duplicates in the batch.
      assert.deepEqual(accounting, { bronze: withDuplicates.length, duplicates: rows.slice(0, 40).filter((row) => row.user_id !== '').length });
    } finally {
      await closeFixture(fixture);
    }
  });
});

describe('bad input never stops the good rows and never disappears', () => {
  it('puts every line of a file with malformed lines in silver or in quarantine with a reason and its original text', async () => {
    const fixture = await openFixture();
    try {
      const good = clicks('2026-11-20T10:00', 50, 5).filter((row) => row.user_id !== '' && row.price !== '');
      const bad = [
        'this is not json',
        '{"event_time": "2026-11-20 10:01:00 UTC", "event_type": "view"',
        '[1, 2, 3]',
        '',
        JSON.stringify({ ...good[0]!, user_session: 'nan-price', price: 'NaN' }),
        JSON.stringify({ ...good[0]!, user_session: 'negative', price: '-4.5' }),
        JSON.stringify({ ...good[0]!, user_session: 'word-price', price: 'twelve' }),
        JSON.stringify({ ...good[0]!, user_session: 'bad-time', event_time: 'yesterday-ish' }),
        JSON.stringify({ ...good[0]!, user_session: 'far-future', event_time: '2027-01-01 00:00:00 UTC' }),
        JSON.stringify({ ...good[0]!, user_session: 'no-user', user_id: null }),
      ];
      const expected = ['unparsable_line', 'unparsable_line', 'unparsable_line', 'unparsable_line', 'non_finite_value', 'negative_value', 'invalid_value', 'invalid_event_time', 'future_event_time', 'empty_user_name'];
      const text = [...good.map((row) => JSON.stringify(row)), ...bad].join('\n') + '\n';
      await writeFile(path.join(fixture.landing, 'mixed.ndjson'), text);
      const outcome = await fixture.pipeline.run(windowAt(0));
      assert.equal(outcome.status, 'success', outcome.error);

      const quarantined = await chRows<{ line: number; reason: string; record: string }>(
        fixture.pipeline,
        `SELECT b._source_line AS line, q.rejection_reason AS reason, b._source_record AS record
         FROM silver.quarantine_events AS q FINAL
         INNER JOIN bronze.stg_events AS b ON b._batch_id = q._batch_id AND b._row = q._row AND b._window_start = q._window_start
         ORDER BY line`,
      );
      assert.deepEqual(quarantined.map((row) => row.record), bad, 'every bad line, with its original text');
      assert.deepEqual(quarantined.map((row) => row.reason.split(',')[0]), expected, 'each with its own first reason');
      assert.deepEqual(quarantined.map((row) => row.line), bad.map((_, index) => good.length + index + 1));
      const [run] = await chRows<{ bronze: number; quarantined: number; silver: number; duplicates: number; already: number }>(
        fixture.pipeline,
        'SELECT bronze_rows AS bronze, quarantined_rows AS quarantined, silver_new_rows AS silver, duplicate_rows AS duplicates, already_in_silver_rows AS already FROM catalog.pipeline_runs FINAL',
      );
      assert.deepEqual(run, { bronze: good.length + bad.length, quarantined: bad.length, silver: good.length, duplicates: 0, already: 0 }, 'lines = silver + quarantine, exactly');
    } finally {
      await closeFixture(fixture);
    }
  });

  it('records a truncated Parquet file as failed, names it in the run, ingests the other files, and ingests the fixed file once under a new name', async () => {
    const fixture = await openFixture();
    try {
      const rows = clicks('2026-11-20T10:00', 200, 6);
      const parquet = path.join(fixture.landing, 'part-a.parquet');
      await parquetOf(rows, parquet);
      const whole = await readFile(parquet);
      await writeFile(parquet, whole.subarray(0, Math.floor(whole.length / 2)));
      await writeFile(path.join(fixture.landing, 'part-b.csv'), csvOf(clicks('2026-11-20T10:00', 100, 7)));

      const outcome = await fixture.pipeline.run(windowAt(0));
      assert.equal(outcome.status, 'success', outcome.error);
      const load = outcome.tasks.find((task) => task.id === 'load_bronze')!;
      assert.match(load.result!.summary, /1 failed: .*part-a\.parquet: /);
      assert.equal(load.result!.metrics.files_failed, 1);
      const entries = await ledger(fixture.pipeline);
      assert.deepEqual(entries.map(({ status, rows }) => ({ status, rows })), [{ status: 'failed', rows: 0 }, { status: 'ingested', rows: 100 }]);
      assert.notEqual(entries[0]!.error, '');
      const [fromBroken] = await chRows<{ rows: number }>(fixture.pipeline, "SELECT count() AS rows FROM bronze.stg_events WHERE endsWith(_source_file, 'part-a.parquet')");
      assert.equal(fromBroken!.rows, 0, 'nothing of the broken file reached bronze');

      await writeFile(path.join(fixture.landing, 'part-a-fixed.parquet'), whole);
      assert.equal((await fixture.pipeline.run(windowAt(1))).status, 'success');
      assert.equal((await fixture.pipeline.run(windowAt(1))).status, 'success', 'rerun');
      const [fixed] = await chRows<{ rows: number; batches: number }>(fixture.pipeline, "SELECT count() AS rows, uniqExact(_batch_id) AS batches FROM bronze.stg_events WHERE endsWith(_source_file, 'part-a-fixed.parquet')");
      assert.deepEqual(fixed, { rows: 200, batches: 1 });
    } finally {
      await closeFixture(fixture);
    }
  });

  it('records a file in the wrong format (CSV text named .parquet) as failed with its error, and ingests the other files', async () => {
    const fixture = await openFixture();
    try {
      const good = clicks('2026-11-20T10:00', 120, 12);
      await writeFile(path.join(fixture.landing, 'export.ndjson'), ndjsonOf(good));
      await writeFile(path.join(fixture.landing, 'export.parquet'), csvOf(clicks('2026-11-20T10:00', 30, 13)));

      const outcome = await fixture.pipeline.run(windowAt(0));
      assert.equal(outcome.status, 'success', outcome.error);
      const load = outcome.tasks.find((task) => task.id === 'load_bronze')!;
      assert.match(load.result!.summary, /^120 rows in bronze from 1 file .*; 1 failed: .*export\.parquet: /);
      assert.deepEqual({ ingested: load.result!.metrics.files_ingested, failed: load.result!.metrics.files_failed }, { ingested: 1, failed: 1 });
      const entries = await ledger(fixture.pipeline);
      assert.deepEqual(entries.map(({ location, status, rows }) => ({ location: path.basename(location), status, rows })), [
        { location: 'export.ndjson', status: 'ingested', rows: 120 },
        { location: 'export.parquet', status: 'failed', rows: 0 },
      ]);
      assert.match(entries[1]!.error, /parquet/i, 'its error says why it could not be read');
      const files = await chRows<{ file: string; rows: number }>(fixture.pipeline, 'SELECT _source_file AS file, count() AS rows FROM bronze.stg_events GROUP BY file');
      assert.deepEqual(files, [{ file: path.join(fixture.landing, 'export.ndjson'), rows: 120 }], 'nothing of the unreadable file reached bronze');
      const [run] = await chRows<{ bronze: number; silver: number; quarantined: number; duplicates: number }>(
        fixture.pipeline,
        'SELECT bronze_rows AS bronze, silver_new_rows AS silver, quarantined_rows AS quarantined, duplicate_rows AS duplicates FROM catalog.pipeline_runs FINAL',
      );
      assert.equal(run!.bronze, 120);
      assert.equal(run!.silver + run!.quarantined + run!.duplicates, 120);
      assert.equal(run!.quarantined, good.filter((row) => row.user_id === '').length, 'only the good file\'s rows without a user are quarantined');
    } finally {
      await closeFixture(fixture);
    }
  });

  it('reports a file whose content changed after ingestion, does not ingest it again, and re-ingests it on purpose with `medallion sources reingest`', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'medallion-sources-reingest-'));
    try {
      await mkdir(path.join(dir, 'landing'));
      await writeFile(path.join(dir, 'mapping.yaml'), CLICKSTREAM_MAPPING);
      const env = { MEDALLION_HOME: path.join(dir, 'home'), MEDALLION_SOURCE: path.join(dir, 'mapping.yaml') };
      // Every step through the CLI, as an operator does it: the embedded engines are each command's own.
      const run = async (window: number) => {
        const result = await medallion(['run', '--from', `${windowAt(window).toISOString().slice(0, 13)}:00Z`, '--json'], env);
        assert.equal(result.code, 0, result.stderr);
        const [outcome] = JSON.parse(result.stdout) as { status: string; tasks: { id: string; result?: { summary: string } }[] }[];
        assert.equal(outcome!.status, 'success');
        return outcome!;
      };
      const sourceFiles = async () => {
        const list = await medallion(['sources', 'list', '--json'], env);
        assert.equal(list.code, 0, list.stderr);
        return (JSON.parse(list.stdout) as { status: string; rows: number; batch_id: string }[]).map(({ status, rows, batch_id }) => ({ status, rows, batch_id }));
      };
      const file = path.join(dir, 'landing', 'day.csv');
      await writeFile(file, csvOf(clicks('2026-11-20T10:00', 60, 8)));
      await run(0);
      await writeFile(file, csvOf(clicks('2026-11-20T10:00', 80, 8)));
      const next = await run(1);
      assert.match(next.tasks.find((task) => task.id === 'load_bronze')!.result!.summary, /1 changed after ingestion, not ingested again .*day\.csv/);
      assert.deepEqual(await sourceFiles(), [{ status: 'changed', rows: 60, batch_id: 'scheduled__2026-11-20T10:00:00+00:00' }]);

      const reingest = await medallion(['sources', 'reingest', file, '--json'], env);
      assert.equal(reingest.code, 0, reingest.stderr);
      assert.deepEqual((JSON.parse(reingest.stdout) as { location: string; status: string }[]).map(({ location, status }) => ({ location, status })), [{ location: file, status: 'released' }]);
      const unknown = await medallion(['sources', 'reingest', '/nowhere.csv'], env);
      assert.equal(unknown.code, 1);
      assert.match(unknown.stderr, /Not in the ledger of source clickstream: \/nowhere\.csv/);
      await run(2);
      assert.deepEqual(await sourceFiles(), [{ status: 'ingested', rows: 80, batch_id: 'scheduled__2026-11-20T12:00:00+00:00' }]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('an event re-delivered in a later file with another event_time', () => {
  /** A source whose export carries its own event id: the mapping takes it as a column. */
  const ORDERS_MAPPING = `
name: orders
landing: ./landing
columns: [event_id, user_name, category, value, event_time]
fields:
  value: toFloat64OrNull(value)
  event_time: parseDateTimeBestEffortOrNull(event_time, 'UTC')
constants:
  source: web
`;
  const order = (id: string, time: string, category: string, value: number, user = 'user_1') => JSON.stringify({ event_id: id, user_name: user, category, value, event_time: time });

  it('is held once by silver and counted once by gold; the gate passes and counts it already in silver', async () => {
    const fixture = await openFixture(ORDERS_MAPPING);
    try {
      const firstDay = Array.from({ length: 20 }, (_, i) => order(`e-${i}`, `2026-11-20 10:${String(i * 2).padStart(2, '0')}:00`, i % 3 === 0 ? 'purchase' : 'view', 10 + i, `user_${i % 4}`));
      await writeFile(path.join(fixture.landing, 'orders-2026-11-20.ndjson'), firstDay.join('\n') + '\n');
      const first = await fixture.pipeline.run(windowAt(0));
      assert.equal(first.status, 'success', first.error);

      // A day later another file carries e-7 (of user_3) again at another time (another day and hour), with
      // another category and value and under another user, user_9, whose only event it is; twice (an exact
      // repeated line), beside ten new events.
      const secondDay = Array.from({ length: 10 }, (_, i) => order(`f-${i}`, `2026-11-21 10:${String(i * 5).padStart(2, '0')}:00`, 'view', 5 + i));
      const redelivery = order('e-7', '2026-11-21 09:30:00', 'purchase', 99.5, 'user_9');
      await writeFile(path.join(fixture.landing, 'orders-2026-11-21.ndjson'), [...secondDay, redelivery, redelivery].join('\n') + '\n');
      const second = await fixture.pipeline.run(windowAt(24));
      assert.equal(second.status, 'success', second.error);
      assert.equal(second.runId, 'scheduled__2026-11-21T10:00:00+00:00');

      const assertOnce = async () => {
        const copies = await chRows<{ batch: string; event_time: string; category: string; value: number }>(
          fixture.pipeline,
          "SELECT _batch_id AS batch, toString(event_time) AS event_time, category, toFloat64(value) AS value FROM silver.fact_events WHERE event_id = 'e-7'",
        );
        assert.deepEqual(copies, [{ batch: first.runId, event_time: '2026-11-20 10:14:00', category: 'view', value: 17 }], 'the first delivery, at its own time, once');
        const [totals] = await chRows<{ silver: number; ids: number; hourly: number; daily: number; redelivery_hour: number }>(
          fixture.pipeline,
          `SELECT (SELECT count() FROM silver.fact_events) AS silver,
                  (SELECT uniqExact(event_id) FROM silver.fact_events) AS ids,
                  (SELECT sum(event_count) FROM gold.agg_events_hourly FINAL) AS hourly,
                  (SELECT sum(total_events) FROM gold.rpt_daily_summary FINAL) AS daily,
                  (SELECT sum(event_count) FROM gold.agg_events_hourly FINAL WHERE event_date = '2026-11-21' AND event_hour = 9) AS redelivery_hour`,
        );
        assert.deepEqual(totals, { silver: 30, ids: 30, hourly: 30, daily: 30, redelivery_hour: 0 }, 'silver holds 30 ids once each; gold counts 30 events, none in the re-delivery\'s hour');
        // The dimension's type-1 totals are silver's: e-7 counts for user_3 only; user_9, known only from the
        // re-delivery, has a version with no event in silver (and the batch did not fail on it).
        const users = await chRows<{ user: string; total_events: number; current: number }>(
          fixture.pipeline,
          "SELECT user_name AS user, total_events, is_current AS current FROM silver.dim_users FINAL WHERE user_name IN ('user_3', 'user_9') AND is_current ORDER BY user",
        );
        const [user3] = await chRows<{ events: number }>(fixture.pipeline, "SELECT count() AS events FROM silver.fact_events WHERE user_name = 'user_3'");
        assert.deepEqual(users, [{ user: 'user_3', total_events: user3!.events, current: 1 }, { user: 'user_9', total_events: 0, current: 1 }]);
      };
      await assertOnce();

      // The accounting of the README: bronze = quarantined + silver_new + duplicate_in_batch + already_in_silver.
      const [run] = await chRows<{ bronze: number; quarantined: number; silver: number; duplicates: number; already: number }>(
        fixture.pipeline,
        'SELECT bronze_rows AS bronze, quarantined_rows AS quarantined, silver_new_rows AS silver, duplicate_rows AS duplicates, already_in_silver_rows AS already FROM catalog.pipeline_runs FINAL WHERE run_id = {run:String}',
        { run: second.runId },
      );
      assert.deepEqual(run, { bronze: 12, quarantined: 0, silver: 10, duplicates: 1, already: 1 }, 'the repeated line is a duplicate in the batch, the id an earlier file delivered is already in silver');
      const checks = await chRows<{ check: string; metric: string; expected: number; actual: number; passed: number }>(
        fixture.pipeline,
        `SELECT check_name AS check, metric, expected, actual, passed FROM catalog.validation_log
         WHERE run_id = {run:String} AND check_name IN ('accounting', 'silver_once', 'file_accounting') ORDER BY check, metric`,
        { run: second.runId },
      );
      assert.deepEqual(checks, [
        { check: 'accounting', metric: 'rows', expected: 12, actual: 12, passed: 1 },
        { check: 'file_accounting', metric: 'rows', expected: 12, actual: 12, passed: 1 },
        { check: 'silver_once', metric: 'held_more_than_once', expected: 0, actual: 0, passed: 1 },
        { check: 'silver_once', metric: 'unregistered', expected: 0, actual: 0, passed: 1 },
      ]);
      const [gate] = await chRows<{ checks: number; failed: number; hours: string[] }>(
        fixture.pipeline,
        "SELECT count() AS checks, countIf(passed = 0) AS failed, arraySort(groupUniqArrayIf(window_key, check_name = 'gold_vs_silver')) AS hours FROM catalog.validation_log WHERE run_id = {run:String}",
        { run: second.runId },
      );
      assert.equal(gate!.failed, 0, 'every check of the gate passed');
      assert.deepEqual(gate!.hours, ['2026-11-21 09:00:00', '2026-11-21 10:00:00'], 'gold equals silver in the re-delivery\'s hour too');
      assert.deepEqual((await ledger(fixture.pipeline)).map(({ status, batch_id, rows }) => ({ status, batch_id, rows })), [
        { status: 'ingested', batch_id: first.runId, rows: 20 },
        { status: 'ingested', batch_id: second.runId, rows: 12 },
      ]);

      // The later window again: nothing changes.
      assert.equal((await fixture.pipeline.run(windowAt(24))).status, 'success', 'rerun');
      await assertOnce();
    } finally {
      await closeFixture(fixture);
    }
  });
});

describe('a crash in the middle of ingestion', () => {
  it('kill -9 while a file is being loaded, then a rerun: no file ingested twice, none missed', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'medallion-sources-kill-'));
    try {
      await mkdir(path.join(dir, 'landing'));
      await writeFile(path.join(dir, 'mapping.yaml'), CLICKSTREAM_MAPPING);
      const files = new Map<string, number>();
      for (const index of [1, 2, 3]) {
        const rows = clicks('2026-11-20T10:00', 3000, 20 + index);
        const file = path.join(dir, 'landing', `part-${index}.ndjson`);
        await writeFile(file, ndjsonOf(rows));
        files.set(file, rows.length);
      }
      const env = { MEDALLION_HOME: path.join(dir, 'home'), MEDALLION_SOURCE: path.join(dir, 'mapping.yaml'), MEDALLION_TASK_RETRIES: '0' };
      const cleanHome = path.join(dir, 'clean');
      const clean = await medallion(['run', '--from', '2026-11-20T10:00Z'], { ...env, MEDALLION_HOME: cleanHome });
      assert.equal(clean.code, 0, clean.stderr);
      // Killed while the second file's rows are being inserted (the first is in bronze and in the ledger).
      const killed = await medallion(['run', '--from', '2026-11-20T10:00Z'], { ...env, MEDALLION_KILL_AT: 'mid:load_bronze#2' });
      assert.equal(killed.signal, 'SIGKILL', killed.stderr);
      // A file landed meanwhile belongs to the next run, not to the rerun of this one.
      await writeFile(path.join(dir, 'landing', 'part-4.ndjson'), ndjsonOf(clicks('2026-11-20T10:00', 10, 30)));
      const rerun = await medallion(['run', '--from', '2026-11-20T10:00Z'], env);
      assert.equal(rerun.code, 0, rerun.stderr);
      const state = await medallion(
        ['query', '--format', 'json', "SELECT _source_file AS file, count() AS rows, uniqExact(_row) AS distinct_rows, uniqExact(_batch_id) AS batches FROM bronze.stg_events GROUP BY file ORDER BY file"],
        env,
      );
      assert.deepEqual(JSON.parse(state.stdout), [...files].map(([file, rows]) => ({ file, rows, distinct_rows: rows, batches: 1 })));
      const ledgerState = await medallion(['sources', 'list', '--json'], env);
      assert.deepEqual(
        (JSON.parse(ledgerState.stdout) as { location: string; status: string; rows: number }[]).map(({ location, status, rows }) => ({ location, status, rows })).sort((a, b) => (a.location < b.location ? -1 : 1)),
        [...files].map(([location, rows]) => ({ location, status: 'ingested', rows })),
      );
      // Every table, the replicas and the lake equal the clean run's (test/faults/dump.ts: audit columns aside).
      const dump = async (home: string) => JSON.parse((await runScript('test/faults/dump.ts', [home])).stdout) as Record<string, unknown>;
      assert.deepEqual(await dump(env.MEDALLION_HOME), await dump(cleanHome));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the mapping', () => {
  it('is validated at start-up, naming the field', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'medallion-mapping-'));
    try {
      const cases: [string, RegExp][] = [
        ['name: Bad Name\nlanding: x\ncolumns: [a]', /name must be a lower-case name/],
        ['name: s\nlanding: x\ncolumns: [a]\nfields:\n  event_id: a', /fields\.user_name is missing/],
        ['name: s\nlanding: x\ncolumns: [a]\nfields:\n  colour: a', /fields\.colour is not a canonical field/],
        ['name: s\nlanding: x\ncolumns: [a]\nformat: xml', /format must be one of ndjson, csv, parquet or auto/],
        ['name: s\nlanding: x\ncolumns: [a]\nfields:\n  event_id: "a; DROP TABLE x"', /fields\.event_id must be one ClickHouse expression/],
        ['name: s\nlanding: x\ncolumns: ["a b"]', /columns\.0 must be a column name/],
        ['name: s\nlanding: x\ncolumns: [a]\nextra: 1', /Unrecognized key/],
      ];
      for (const [text, problem] of cases) {
        const file = path.join(dir, 'mapping.yaml');
        await writeFile(file, text);
        assert.throws(() => loadConfig({ MEDALLION_SOURCE: file }), (error: unknown) => error instanceof ConfigError && error.variable === 'MEDALLION_SOURCE' && problem.test(error.message), text);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('`medallion sources check` previews the first mapped rows and the quarantine reasons of a sample, writing nothing', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'medallion-check-'));
    try {
      await mkdir(path.join(dir, 'landing'));
      await writeFile(path.join(dir, 'mapping.yaml'), CLICKSTREAM_MAPPING);
      const rows = clicks('2026-11-20T10:00', 100, 3);
      await writeFile(path.join(dir, 'landing', 'a.csv'), csvOf(rows) + 'broken,"line\n');
      const home = path.join(dir, 'home');
      const check = await medallion(['sources', 'check', path.join(dir, 'mapping.yaml'), '--json', '--rows', '3'], { MEDALLION_HOME: home });
      assert.equal(check.code, 0, check.stderr);
      const result = JSON.parse(check.stdout) as { files: unknown[]; rows: { user_name: string; category: string; source: string }[]; reasons: { rejection_reason: string; rows: number }[]; sample: number };
      assert.equal(result.files.length, 1);
      assert.deepEqual(result.rows.map((row) => ({ user_name: row.user_name, category: row.category, source: row.source })), rows.slice(0, 3).map((row) => ({ user_name: row.user_id ? `user_${row.user_id}` : '', category: row.event_type, source: 'web' })));
      assert.equal(result.sample, 101);
      const reasons = Object.fromEntries(result.reasons.map((reason) => [reason.rejection_reason, reason.rows]));
      assert.equal(reasons[''], rows.filter((row) => row.user_id !== '').length);
      assert.equal(reasons['unparsable_line,empty_user_name,invalid_event_time'], 1);
      const tables = await medallion(['query', '--format', 'json', "SELECT count() AS n FROM system.tables WHERE database IN ('bronze', 'catalog')"], { MEDALLION_HOME: home });
      assert.deepEqual(JSON.parse(tables.stdout), [{ n: 0 }], 'no table was created, no row written');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
