import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { v4 as uuidv4 } from 'uuid';
import { flushOpenLineage } from '../../src/openlineage/index.js';
import { PIPELINE } from '../../src/pipeline/graph.js';
import { openTestPipeline, windowAt } from '../helpers.js';
import { readEventLines, type OpenLineageEvent } from '../openlineage-events.js';

/**
 * Every event Medallion emits, parsed by the official OpenLineage Java client (io.openlineage:openlineage-java,
 * pinned in scripts/openlineage-check/pom.xml) and written back by it unchanged: not a schema copied here.
 * Needs a JDK and Maven; the client comes from Maven Central on first use (scripts/openlineage-check/run.sh).
 * Run with `npm run test:openlineage`.
 */

interface Verdict {
  file: string;
  line: number;
  ok: boolean;
  error?: string;
}

/** Runs the official client's check over JSON-lines files of events: one verdict per event. */
function officialCheck(files: readonly string[]): Promise<{ code: number | null; verdicts: Verdict[]; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['scripts/openlineage-check/run.sh', ...files], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr, verdicts: stdout.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Verdict) }));
  });
}

describe('the official OpenLineage client accepts every event Medallion emits', () => {
  let dir: string;
  const files = { run: '', failed: '' };

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'medallion-openlineage-official-'));
    files.run = path.join(dir, 'three-windows.jsonl');
    files.failed = path.join(dir, 'failed.jsonl');
    const transport = (file: string) => ({ OPENLINEAGE__TRANSPORT__TYPE: 'file', OPENLINEAGE__TRANSPORT__LOG_FILE_PATH: file, OPENLINEAGE__TRANSPORT__APPEND: 'true' });
    const pipeline = await openTestPipeline({ MEDALLION_EVENTS_PER_HOUR: '300', ...transport(files.run) });
    try {
      const outcomes = await pipeline.runRange(windowAt(0), windowAt(3));
      assert.deepEqual(outcomes.map((outcome) => outcome.status), ['success', 'success', 'success']);
    } finally {
      await pipeline.close();
    }
    // A failing window under an orchestrator's parent: FAIL events with the error, parent and root from the environment.
    const failing = await openTestPipeline({
      MEDALLION_EVENTS_PER_HOUR: '300', MEDALLION_FAIL_TASK: 'update_dim_users', ...transport(files.failed),
      OPENLINEAGE_PARENT_ID: `airflow/medallion_etl.update_dim_users/${uuidv4()}`, OPENLINEAGE_ROOT_PARENT_ID: `airflow/medallion_etl/${uuidv4()}`,
    });
    try {
      assert.equal((await failing.run(windowAt(0))).status, 'failed');
    } finally {
      await failing.close();
    }
    await flushOpenLineage();
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('parses, finds complete and writes back unchanged every event of a three-window run and of a failed one', async () => {
    const events = [...readEventLines(files.run), ...readEventLines(files.failed)];
    assert.equal(readEventLines(files.run).length, 3 * (PIPELINE.length * 2 + 2));
    assert.ok(events.some((event) => event.eventType === 'FAIL' && event.run.facets.errorMessage));
    assert.ok(events.some((event) => event.inputs.some((input) => input.inputFacets?.dataQualityAssertions)));
    assert.ok(events.some((event) => event.outputs.some((output) => output.outputFacets?.outputStatistics)));
    assert.ok(events.some((event) => event.inputs.some((input) => input.facets?.schema)));
    const { code, verdicts, stderr } = await officialCheck([files.run, files.failed]);
    assert.equal(verdicts.length, events.length, stderr);
    assert.deepEqual(verdicts.filter((verdict) => !verdict.ok), []);
    assert.equal(code, 0, stderr);
  });

  it('refuses a broken event: a run id that is no UUID, no eventTime, an eventType the spec does not have', async () => {
    const [valid] = readEventLines(files.run).filter((event) => event.eventType === 'COMPLETE' && event.job.name === 'medallion_etl.load_aurora');
    assert.ok(valid);
    const broken = (change: (event: OpenLineageEvent) => void) => {
      const copy = structuredClone(valid);
      change(copy);
      return copy;
    };
    const cases = [
      valid,
      broken((event) => (event.run.runId = 'scheduled__2026-11-20T10:00:00+00:00')),
      broken((event) => delete (event as Partial<OpenLineageEvent>).eventTime),
      broken((event) => (event.eventType = 'DONE')),
      broken((event) => delete (event.job as Partial<OpenLineageEvent['job']>).name),
    ];
    const file = path.join(dir, 'broken.jsonl');
    await writeFile(file, cases.map((event) => JSON.stringify(event)).join('\n') + '\n');
    const { code, verdicts, stderr } = await officialCheck([file]);
    assert.equal(verdicts.length, cases.length, stderr);
    assert.deepEqual(verdicts.map((verdict) => verdict.ok), [true, false, false, false, false]);
    assert.match(verdicts[1]!.error!, /UUID/);
    assert.match(verdicts[2]!.error!, /missing what the spec requires: eventTime/);
    assert.match(verdicts[3]!.error!, /EventType.*DONE/s);
    assert.match(verdicts[4]!.error!, /job\.name/);
    assert.equal(code, 1);
  });
});
