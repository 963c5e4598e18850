#!/usr/bin/env node
import { Command, InvalidArgumentError, Option } from 'commander';
import { ConfigError, describeTargets, loadConfig, type Config } from '../config.js';
import { openEngines, type Engines } from '../engines/index.js';
import { armKillAt } from '../faults.js';
import { formatClickHouseTime } from '../layers/batch.js';
import * as ledger from '../layers/catalog/ledger.js';
import * as catalog from '../layers/catalog/repository.js';
import { writtenDataset } from '../pipeline/datasets.js';
import { PIPELINE, findTask } from '../pipeline/graph.js';
import { createContext, failRunOnRequest, floorToHour, runRange, runTaskAttempt, type RunEvent, type RunOutcome } from '../pipeline/runner.js';
import { maskSecrets } from '../secrets.js';
import { checkMapping } from '../sources/files/index.js';
import { formatDuration, formatTable, toCsv } from './format.js';
import { printSummary } from './summary.js';

// Everything the CLI prints passes through maskSecrets: no secret of the configuration reaches a terminal or a task log.
const out = (text: string) => process.stdout.write(`${maskSecrets(text)}\n`);
const err = (text: string) => process.stderr.write(`${maskSecrets(text)}\n`);

function parseHour(value: string): Date {
  const time = new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value : `${value}Z`);
  if (Number.isNaN(time.getTime())) throw new InvalidArgumentError(`"${value}" is not an ISO-8601 time (e.g. 2026-11-23T10:00Z)`);
  return time;
}

function parsePositiveInt(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number <= 0) throw new InvalidArgumentError(`"${value}" is not a positive whole number`);
  return number;
}

function parseNonNegativeInt(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 0) throw new InvalidArgumentError(`"${value}" is not a whole number`);
  return number;
}

/** Options that override the source settings of the environment for one command. */
function sourceOverrides(options: { eventsPerHour?: number; seed?: number }) {
  return {
    ...(options.eventsPerHour !== undefined ? { MEDALLION_EVENTS_PER_HOUR: String(options.eventsPerHour) } : {}),
    ...(options.seed !== undefined ? { MEDALLION_SEED: String(options.seed) } : {}),
  };
}

async function withEngines<T>(config: Config, work: (engines: Engines) => Promise<T>): Promise<T> {
  armKillAt(config.killAt);
  const engines = await openEngines(config, { log: err });
  try {
    return await work(engines);
  } finally {
    await engines.close();
  }
}

/** Task-by-task progress on stderr, so stdout stays clean for --json. */
function progressPrinter(): (event: RunEvent) => void {
  return (event) => {
    if (event.type === 'task-start') {
      if (event.attempt > 1) err(`  ↻ ${event.task} attempt ${event.attempt}`);
      return;
    }
    const mark = event.status === 'success' ? '✓' : '✗';
    err(`  ${mark} ${event.task.padEnd(24)} ${formatDuration(event.durationMs).padStart(9)}  ${event.summary ?? event.error ?? ''}`);
  };
}

async function runWindows(config: Config, from: Date, to: Date, options: { json?: boolean; summary?: boolean; redo?: boolean }): Promise<RunOutcome[]> {
  return withEngines(config, async (engines) => {
    if (!options.json) {
      for (const [name, target] of Object.entries(describeTargets(config))) err(`${name.padEnd(10)} ${target}`);
    }
    const outcomes = await runRange({
      config,
      engines,
      from,
      to,
      onEvent: progressPrinter(),
      redo: options.redo,
      onWindow: (index, total, windowStart) => {
        const source = config.source.mapping ? `files of source ${config.source.mapping.name}` : `${config.source.eventsPerHour} events per hour`;
        err(`\n[${index + 1}/${total}] window ${windowStart.toISOString()} (${source})`);
      },
      onSkip: () => err('  already succeeded: skipped (--redo runs it again)'),
    });
    if (options.json) {
      // The process's peak resident memory so far (chDB's included), for a benchmark that runs windows as processes.
      const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
      out(JSON.stringify(outcomes.map((outcome) => ({ ...outcome, peakRssMb })), null, 2));
    } else if (options.summary) await printSummary(engines, outcomes, out);
    else {
      for (const outcome of outcomes) {
        const how = outcome.status === 'skipped' ? ' (already succeeded)' : ` in ${formatDuration(outcome.durationMs)}`;
        out(`${outcome.runId}: ${outcome.status}${how}${outcome.error ? ` — ${outcome.failedTask}: ${outcome.error}` : ''}`);
      }
    }
    return outcomes;
  });
}

function exitFor(outcomes: readonly RunOutcome[], expected: number): void {
  const failed = outcomes.find((outcome) => outcome.status === 'failed');
  if (failed) {
    err(`\nRun ${failed.runId} failed in ${failed.failedTask}: ${failed.error}`);
    process.exitCode = 1;
  } else if (outcomes.length < expected) {
    process.exitCode = 1;
  }
}

const program = new Command()
  .name('medallion')
  .description('Hourly medallion ETL: bronze → silver → gold in ClickHouse, delivered to a Parquet lake and PostgreSQL.\nConfiguration comes from MEDALLION_* environment variables (see the README).')
  .showHelpAfterError();

program
  .command('start')
  .description('run the last few hours on the configured engines (embedded by default) and print a summary')
  .option('--hours <n>', 'how many recent hourly windows', parsePositiveInt, 3)
  .option('--events-per-hour <n>', 'events generated per window (default MEDALLION_EVENTS_PER_HOUR or 100000)', parsePositiveInt)
  .option('--seed <n>', 'seed of the synthetic source', parseNonNegativeInt)
  .option('--redo', 'run windows that already succeeded again (default: skip them)')
  .option('--json', 'print the run outcomes as JSON')
  .action(async (options: { hours: number; eventsPerHour?: number; seed?: number; json?: boolean; redo?: boolean }) => {
    const config = loadConfig(process.env, sourceOverrides(options));
    const to = floorToHour(new Date());
    const from = new Date(to.getTime() - options.hours * 3_600_000);
    exitFor(await runWindows(config, from, to, { json: options.json, summary: true, redo: options.redo }), options.hours);
  });

program
  .command('run')
  .description('run every hourly window in [from, to), in order (a backfill); exit 0 only if all succeed')
  .requiredOption('--from <time>', 'first window start, ISO-8601 UTC (e.g. 2026-11-23T10:00Z)', parseHour)
  .option('--to <time>', 'end of the range, exclusive (default: one window)', parseHour)
  .option('--events-per-hour <n>', 'events generated per window', parsePositiveInt)
  .option('--seed <n>', 'seed of the synthetic source', parseNonNegativeInt)
  .option('--redo', 'run windows that already succeeded again (default: skip them, so a rerun after a crash resumes where it stopped)')
  .option('--summary', 'print the summary after the runs')
  .option('--json', 'print the run outcomes as JSON')
  .action(async (options: { from: Date; to?: Date; eventsPerHour?: number; seed?: number; json?: boolean; summary?: boolean; redo?: boolean }) => {
    const config = loadConfig(process.env, sourceOverrides(options));
    const from = floorToHour(options.from);
    const to = options.to ?? new Date(from.getTime() + 3_600_000);
    if (to <= from) throw new InvalidArgumentError('--to must be after --from');
    exitFor(await runWindows(config, from, to, options), Math.ceil((to.getTime() - from.getTime()) / 3_600_000));
  });

program
  .command('task')
  .description('run one task of one run once (what Airflow calls); exit non-zero when it fails')
  .argument('<task_id>', `one of: ${PIPELINE.map((task) => task.id).join(', ')}`)
  .requiredOption('--start <time>', 'window start, ISO-8601 UTC', parseHour)
  .option('--end <time>', 'window end (must be start + 1 hour)', parseHour)
  .option('--run-id <id>', 'run id (default scheduled__<start>)')
  .option('--attempt <n>', 'attempt number, for catalog.benchmark_log', parsePositiveInt, 1)
  .option('--json', 'print the task result as JSON')
  .action(async (taskId: string, options: { start: Date; end?: Date; runId?: string; attempt: number; json?: boolean }) => {
    const task = findTask(taskId);
    const windowStart = floorToHour(options.start);
    if (options.end && options.end.getTime() !== windowStart.getTime() + 3_600_000) {
      throw new InvalidArgumentError('--end must be exactly one hour after --start: a run processes one hourly window');
    }
    const config = loadConfig();
    await withEngines(config, async (engines) => {
      const ctx = createContext({ config, engines, windowStart, ...(options.runId ? { runId: options.runId } : {}) });
      err(`${task.id} for run ${ctx.runId}, window ${ctx.batch.windowStart} UTC`);
      // An orchestrator's task log then shows where the task read and wrote (passwords masked).
      for (const [name, target] of Object.entries(describeTargets(config))) err(`  ${name.padEnd(10)} ${target}`);
      // Airflow runs each task as a process: the task claims its window, as a whole run does.
      const release = await engines.claimWindow(windowStart);
      const result = await runTaskAttempt(task, ctx, options.attempt, progressPrinter()).finally(release);
      out(options.json ? JSON.stringify({ task: task.id, run_id: ctx.runId, ...result }) : result.summary);
    });
  });

program
  .command('fail-run')
  .description('mark a run failed in catalog.pipeline_runs (what an orchestrator\'s failure callback calls); a run that succeeded is refused')
  .requiredOption('--start <time>', 'window start, ISO-8601 UTC', parseHour)
  .requiredOption('--task <task_id>', 'the task that failed')
  .option('--run-id <id>', 'run id (default scheduled__<start>)')
  .option('--error <message>', 'what went wrong, when the task recorded no error of its own', 'failed under the orchestrator')
  .action(async (options: { start: Date; task: string; runId?: string; error: string }) => {
    const config = loadConfig();
    await withEngines(config, async (engines) => {
      const ctx = createContext({ config, engines, windowStart: floorToHour(options.start), ...(options.runId ? { runId: options.runId } : {}) });
      await failRunOnRequest(ctx, findTask(options.task).id, options.error);
      out(`run ${ctx.runId} marked failed (${options.task})`);
    });
  });

program
  .command('status')
  .description('recent runs with their status, counts and durations')
  .option('--limit <n>', 'how many runs', parsePositiveInt, 20)
  .option('--run-id <id>', 'only this run')
  .option('--json', 'print JSON')
  .action(async (options: { limit: number; runId?: string; json?: boolean }) => {
    await withEngines(loadConfig(), async (engines) => {
      const runs = await catalog.readRuns(await engines.clickhouse(), { limit: options.limit, ...(options.runId ? { runId: options.runId } : {}) });
      if (options.json) return out(JSON.stringify(runs, null, 2));
      out(formatTable(runs, ['run_id', 'window_start', 'status', 'duration_ms', 'bronze_rows', 'quarantined_rows', 'silver_new_rows', 'duplicate_rows', 'already_in_silver_rows', 'gold_hourly_rows', 'failed_task']));
      for (const run of runs.filter((candidate) => candidate.error)) err(`${run.run_id}: ${run.failed_task}: ${run.error}`);
    });
  });

program
  .command('query')
  .description('run ad hoc SQL against the configured ClickHouse or PostgreSQL')
  .argument('<sql>', 'the statement')
  .addOption(new Option('--target <target>', 'engine to ask').choices(['clickhouse', 'postgres']).default('clickhouse'))
  .addOption(new Option('--format <format>', 'output format').choices(['table', 'json', 'csv']).default('table'))
  .action(async (sql: string, options: { target: 'clickhouse' | 'postgres'; format: 'table' | 'json' | 'csv' }) => {
    await withEngines(loadConfig(), async (engines) => {
      const rows =
        options.target === 'postgres'
          ? await (await engines.postgres()).query<Record<string, unknown>>(sql)
          : await (await engines.clickhouse()).rows<Record<string, unknown>>(sql);
      out(options.format === 'json' ? JSON.stringify(rows, null, 2) : options.format === 'csv' ? toCsv(rows) : formatTable(rows));
    });
  });

const sources = program.command('sources').description('files sources: check a mapping, see the files ledger, re-ingest a file on purpose');

sources
  .command('check')
  .description('preview a mapping: the matching files, the first mapped rows of one and the quarantine reasons of a sample; writes nothing')
  .argument('<mapping>', 'the mapping file (YAML or JSON)')
  .option('--file <location>', 'the file to read (default: the first matching file)')
  .option('--rows <n>', 'mapped rows to show', parsePositiveInt, 10)
  .option('--sample <n>', 'rows over which the quarantine reasons are counted', parsePositiveInt, 10_000)
  .option('--json', 'print JSON')
  .action(async (file: string, options: { file?: string; rows: number; sample: number; json?: boolean }) => {
    const config = loadConfig(process.env, { MEDALLION_SOURCE: file });
    const mapping = config.source.mapping!;
    await withEngines(config, async (engines) => {
      const windowStart = formatClickHouseTime(floorToHour(new Date()));
      const check = await checkMapping(await engines.clickhouse(), mapping, { sample: options.sample, windowStart, ...(options.file ? { file: options.file } : {}), ...(config.source.s3Endpoint ? { s3: { endpoint: config.source.s3Endpoint } } : {}) });
      if (options.json) return out(JSON.stringify({ ...check, rows: check.rows.slice(0, options.rows) }, null, 2));
      out(`mapping ${mapping.file}: source ${mapping.name}, ${check.files.length} file(s) in ${check.landing} match ${mapping.glob}`);
      out(`\nFirst mapped rows of ${check.file}`);
      out(formatTable(check.rows.slice(0, options.rows).map((row) => ({ ...row, record: row.record.length > 60 ? `${row.record.slice(0, 57)}...` : row.record }))));
      out(`\nQuarantine reasons over the first ${check.sample} rows ('' = valid)`);
      out(formatTable(check.reasons));
    });
  });

sources
  .command('list')
  .description('the files ledger of the configured source (MEDALLION_SOURCE): which run took each file, its rows and status')
  .option('--limit <n>', 'how many files', parsePositiveInt, 50)
  .option('--json', 'print JSON')
  .action(async (options: { limit: number; json?: boolean }) => {
    const config = loadConfig();
    if (!config.source.mapping) throw new InvalidArgumentError('MEDALLION_SOURCE names no mapping: the synthetic source has no files');
    await withEngines(config, async (engines) => {
      const entries = await ledger.ofSource(await engines.clickhouse(), config.source.mapping!.name, options.limit);
      out(options.json ? JSON.stringify(entries, null, 2) : formatTable(entries, ['location', 'status', 'rows', 'batch_id', 'size', 'modified_at', 'error']));
    });
  });

sources
  .command('reingest')
  .description('release files of the configured source so that the next run ingests them again (after their content was corrected)')
  .argument('<location...>', 'files as the ledger names them (sources list)')
  .action(async (locations: string[]) => {
    const config = loadConfig();
    if (!config.source.mapping) throw new InvalidArgumentError('MEDALLION_SOURCE names no mapping: the synthetic source has no files');
    await withEngines(config, async (engines) => {
      const released = await ledger.release(await engines.clickhouse(), config.source.mapping!.name, locations);
      for (const entry of released) out(`${entry.location}: released (${entry.error}); the next run ingests it`);
    });
  });

program
  .command('dag')
  .description('the task graph, declared once: what the embedded runner and the Airflow DAG execute')
  .option('--json', 'print JSON')
  .action((options: { json?: boolean }) => {
    // reads/writes: the datasets as declared ({source} and {schema} are resolved from a task's configuration).
    const tasks = PIPELINE.map((task) => ({ id: task.id, upstream: [...task.upstream], description: task.description, reads: [...task.reads], writes: task.writes.map(writtenDataset) }));
    out(options.json ? JSON.stringify({ tasks }, null, 2) : formatTable(tasks.map((task) => ({ id: task.id, upstream: task.upstream.join(', '), description: task.description }))));
  });

program.parseAsync().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    err(error.message);
    process.exitCode = 2;
    return;
  }
  err(`medallion: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
