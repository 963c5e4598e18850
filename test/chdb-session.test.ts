// The process's zone is not UTC here, before chDB is loaded: what the engine answers in UTC, it owes to the
// settings the warehouse gives its session, not to the machine.
process.env.TZ = 'America/New_York';

import assert from 'node:assert/strict';
import os from 'node:os';
import { after, before, describe, it } from 'node:test';
import { chRows, openTestPipeline, type TestPipeline } from './helpers.js';

describe("chDB's session settings (set once when the warehouse opens)", () => {
  let pipeline: TestPipeline;
  before(async () => {
    pipeline = await openTestPipeline({ MEDALLION_CLICKHOUSE_MEMORY_MB: '1536' });
  });
  after(async () => pipeline?.close());

  it('hold for every statement: time zone, memory budget, insert threads, input of dates, output of 64-bit integers', async () => {
    const read = () =>
      chRows(
        pipeline,
        `SELECT getSetting('session_timezone') AS zone, timezone() AS effective_zone,
                toUnixTimestamp({at:DateTime}) AS at,
                getSetting('max_memory_usage') AS memory, getSetting('max_bytes_before_external_group_by') AS group_by_spill,
                getSetting('max_bytes_before_external_sort') AS sort_spill, getSetting('max_insert_threads') AS insert_threads,
                getSetting('prefer_column_name_to_alias') AS column_before_alias, getSetting('date_time_input_format') AS date_input,
                toUInt64(9007199254740993) AS big`,
        { at: '2026-11-20 10:00:00' },
      );
    const expected = {
      zone: 'UTC',
      effective_zone: 'UTC',
      at: Date.parse('2026-11-20T10:00:00Z') / 1000,
      memory: 1536 * 2 ** 20,
      group_by_spill: 768 * 2 ** 20,
      sort_spill: 768 * 2 ** 20,
      insert_threads: os.availableParallelism(),
      column_before_alias: true,
      date_input: 'best_effort',
      // A JSON number (not a quoted string); JSON.parse rounds it, which the rows() contract accepts.
      big: 9007199254740992,
    };
    assert.deepEqual(await read(), [expected]);
    // Statements that carry settings of their own (exact output, Parquet) leave these as they were.
    const warehouse = await pipeline.engines.clickhouse();
    await warehouse.resultSet('SELECT toDecimal64(1.5, 2) AS money');
    assert.ok((await warehouse.bytes('SELECT 1 AS one', 'Parquet')).length > 0);
    assert.deepEqual(await read(), [expected]);
  });
});
