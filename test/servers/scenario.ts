/**
 * The full-pipeline scenario of test/servers/pipeline.test.ts, run in a child process with the targets of
 * its environment: four windows in order, reruns of two completed windows, then a late backfill of an
 * earlier window. Every window carries late events (into the previous 24 hours) and re-deliveries.
 * Writes the run outcomes and what every target holds to $SCENARIO_OUT.
 */
import { writeFile } from 'node:fs/promises';
import { loadConfig } from '../../src/config.js';
import { openEngines } from '../../src/engines/index.js';
import { runRange, runWindow, type RunOutcome } from '../../src/pipeline/runner.js';
import { dumpTargets, windowAt } from './helpers.js';

const config = loadConfig(process.env);
const engines = await openEngines(config);
try {
  const outcomes: RunOutcome[] = [...(await runRange({ config, engines, from: windowAt(0), to: windowAt(4) }))];
  for (const index of [1, 3, -2]) outcomes.push(await runWindow({ config, engines, windowStart: windowAt(index) }));
  const dump = await dumpTargets(engines, config);
  await writeFile(
    process.env.SCENARIO_OUT!,
    JSON.stringify({ outcomes: outcomes.map(({ runId, status, error }) => ({ runId, status, ...(error ? { error } : {}) })), dump }),
  );
} finally {
  await engines.close();
}
