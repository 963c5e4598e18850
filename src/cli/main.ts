#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Argument, Command, CommanderError, Option } from 'commander';
import { ConfigError, describeTargets, loadConfig, type Config } from '../config.js';
import { askClickHouse, askPostgres, StatementError } from '../engines/ad-hoc-query.js';
import { hasNoEmbeddedData, MissingEngineError, openEngines, type EngineOptions, type Engines } from '../engines/index.js';
import { armKillAt } from '../faults.js';
import { formatClickHouseTime } from '../layers/batch.js';
import * as ledger from '../layers/catalog/ledger.js';
import * as catalog from '../layers/catalog/repository.js';
import { writtenDataset } from '../pipeline/datasets.js';
import { PIPELINE } from '../pipeline/graph.js';
import { floorToHour, runRange, type RunOutcome } from '../pipeline/runner.js';
import { failRun, singleTask } from '../pipeline/task-run.js';
import { DEFAULT_BOUNDS, writeReport, type ReportBounds } from '../report/index.js';
import { maskSecrets } from '../secrets.js';
import type { TaskId } from '../task-ids.js';
import { checkMapping } from '../sources/files/index.js';
import { parseHour, parseNonNegativeInt, parsePositiveInt, parseTaskId, UsageError } from './arguments.js';
import { formatDuration, formatTable, resultRecords, toCsv } from './format.js';
import { jsonText } from './json.js';
import { Progress } from './progress.js';
import { printSummary } from './summary.js';
import { terminalOf } from './terminal.js';

/** Progress and messages on stderr: live on a terminal, plain lines into a pipe (see Progress). */
const progress = new Progress(process.stderr, terminalOf(process.stderr));
/** Colour for results on stdout, when stdout is a colour terminal. */
const { colours } = terminalOf(process.stdout);

// Everything the CLI prints passes through maskSecrets: no secret of the configuration reaches a terminal or a task log.
const out = (text: string) => progress.aside(() => process.stdout.write(`${maskSecrets(text)}\n`));
const err = (text: string) => progress.line(maskSecrets(text));
/** One JSON document on stdout, in the catalog's snake_case (see jsonText). */
const outJson = (value: unknown) => out(jsonText(value));

/** The package's version, from the package.json beside src/ and dist/. */
function packageVersion(): string {
  const packageJson = new URL('../../package.json', import.meta.url);
  return (JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string }).version;
}

/** Options that override the source settings of the environment for one command. */
function sourceOverrides(options: { eventsPerHour?: number; seed?: number }) {
  return {
    ...(options.eventsPerHour !== undefined ? { MEDALLION_EVENTS_PER_HOUR: String(options.eventsPerHour) } : {}),
    ...(options.seed !== undefined ? { MEDALLION_SEED: String(options.seed) } : {}),
  };
}

const verbose = () => program.opts<{ verbose?: boolean }>().verbose === true;

/**
 * Opens the configured engines for `work` and closes them after. `advice` ends a message about an unreachable
 * server (a pipeline command: rerun the window; a question: try again).
 */
async function withEngines<T>(config: Config, work: (engines: Engines) => Promise<T>, options: Pick<EngineOptions, 'advice' | 'finishMerges'> = {}): Promise<T> {
  armKillAt(config.killAt);
  // A wait for a lock shows on a terminal's status line, with its time, until it ends.
  const onWait = (waiting: boolean, what: string) => (waiting ? progress.begin(`wait ${what}`, `waiting for ${what}`) : progress.end(`wait ${what}`));
  const engines = await openEngines(config, { log: err, verbose: verbose(), onWait, ...options });
  try {
    return await work(engines);
  } finally {
    progress.stop();
    await engines.close();
  }
}

/**
 * For the commands that only ask (status, query, sources): once the server is back, ask again; and the merges
 * the embedded engine began meanwhile are not waited for (the next window's process finishes them).
 */
const ASK_AGAIN = { advice: 'then try again', finishMerges: false };

/** The HTML report of the home's catalog and gold (src/report/), by default <MEDALLION_HOME>/report.html. */
async function writeReportOfHome(config: Config, engines: Engines, options: { out?: string; bounds?: ReportBounds } = {}) {
  return writeReport(await engines.clickhouse(), options.out ?? path.join(config.home, 'report.html'), options.bounds ?? DEFAULT_BOUNDS);
}

async function runWindows(config: Config, from: Date, to: Date, options: { json?: boolean; summary?: boolean; redo?: boolean; report?: boolean }): Promise<RunOutcome[]> {
  return withEngines(config, async (engines) => {
    if (!options.json) {
      for (const [name, target] of Object.entries(describeTargets(config))) err(`${name.padEnd(10)} ${target}`);
    }
    const outcomes = await runRange({
      config,
      engines,
      from,
      to,
      onEvent: progress.taskEvents(),
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
      outJson(outcomes.map((outcome) => ({ ...outcome, peakRssMb })));
    } else if (options.summary) await printSummary(engines, outcomes, out);
    else {
      for (const outcome of outcomes) {
        const how = outcome.status === 'skipped' ? ' (already succeeded)' : ` in ${formatDuration(outcome.durationMs)}`;
        const status = outcome.status === 'failed' ? colours.red(outcome.status) : outcome.status === 'success' ? colours.green(outcome.status) : outcome.status;
        out(`${outcome.runId}: ${status}${how}${outcome.error ? ` — ${outcome.failedTask}: ${outcome.error}` : ''}`);
      }
    }
    // Written whatever the runs' outcome: a failed run is what the report's runs table is for. With --json the
    // path goes to stderr, so stdout stays one JSON document.
    if (options.report) (options.json ? err : out)(`\nReport: ${(await writeReportOfHome(config, engines)).path}`);
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
  .version(packageVersion(), '-V, --version', 'print the version')
  .option('--verbose', 'on failure, print the error\'s detail (causes, stack) and let the ClickHouse client log its warnings')
  .addHelpText('after', '\nExit status: 0 success; 1 a run, task or query failed; 2 a usage or configuration error.')
  // Parse errors throw (see the end of this file) instead of exiting with commander's 1.
  .exitOverride();

program
  .command('start')
  .description('run the last few hours on the configured engines (embedded by default), print a summary and write the HTML report')
  .option('--hours <n>', 'how many recent hourly windows', parsePositiveInt, 3)
  .option('--events-per-hour <n>', 'events generated per window (default MEDALLION_EVENTS_PER_HOUR or 100000)', parsePositiveInt)
  .option('--seed <n>', 'seed of the synthetic source', parseNonNegativeInt)
  .option('--redo', 'run windows that already succeeded again (default: skip them)')
  .option('--json', 'print the run outcomes as JSON')
  .action(async (options: { hours: number; eventsPerHour?: number; seed?: number; json?: boolean; redo?: boolean }) => {
    const config = loadConfig(process.env, sourceOverrides(options));
    const to = floorToHour(new Date());
    const from = new Date(to.getTime() - options.hours * 3_600_000);
    exitFor(await runWindows(config, from, to, { json: options.json, summary: true, redo: options.redo, report: true }), options.hours);
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
    const from = options.from;
    const to = options.to ?? new Date(from.getTime() + 3_600_000);
    if (to <= from) throw new UsageError(`--to must be after --from (got --from ${from.toISOString()}, --to ${to.toISOString()})`);
    exitFor(await runWindows(config, from, to, options), Math.ceil((to.getTime() - from.getTime()) / 3_600_000));
  });

program
  .command('task')
  .description('run one task of one run once (what Airflow calls); exit 1 when it fails')
  .addArgument(new Argument('<task_id>', `one of: ${PIPELINE.map((task) => task.id).join(', ')}`).argParser(parseTaskId))
  .requiredOption('--start <time>', 'window start, ISO-8601 UTC', parseHour)
  .option('--end <time>', 'window end (must be start + 1 hour)', parseHour)
  .option('--run-id <id>', 'run id (default scheduled__<start>)')
  .option('--attempt <n>', 'attempt number, for catalog.benchmark_log', parsePositiveInt, 1)
  .option('--json', 'print the task result as JSON')
  .action(async (taskId: TaskId, options: { start: Date; end?: Date; runId?: string; attempt: number; json?: boolean }) => {
    const windowStart = options.start;
    if (options.end && options.end.getTime() !== windowStart.getTime() + 3_600_000) {
      throw new UsageError('--end must be exactly one hour after --start: a run processes one hourly window');
    }
    const config = loadConfig();
    await withEngines(config, async (engines) => {
      const run = singleTask({ config, engines, task: taskId, windowStart, attempt: options.attempt, onEvent: progress.taskEvents(), ...(options.runId ? { runId: options.runId } : {}) });
      err(`${taskId} for run ${run.runId}, window ${run.windowStart} UTC`);
      // An orchestrator's task log then shows where the task read and wrote (passwords masked).
      for (const [name, target] of Object.entries(describeTargets(config))) err(`  ${name.padEnd(10)} ${target}`);
      const result = await run.run();
      // One line (an orchestrator takes the last line of stdout as the task's result).
      const json = { task: taskId, run_id: run.runId, summary: result.summary, rows_in: result.rowsIn, rows_out: result.rowsOut, metrics: result.metrics };
      out(options.json ? jsonText(json, 0) : result.summary);
    });
  });

program
  .command('fail-run')
  .description('mark a run failed in catalog.pipeline_runs (what an orchestrator\'s failure callback calls); a run that succeeded is refused')
  .requiredOption('--start <time>', 'window start, ISO-8601 UTC', parseHour)
  .requiredOption('--task <task_id>', 'the task that failed', parseTaskId)
  .option('--run-id <id>', 'run id (default scheduled__<start>)')
  .option('--error <message>', 'what went wrong, when the task recorded no error of its own', 'failed under the orchestrator')
  .option('--json', 'print the run marked failed as JSON')
  .action(async (options: { start: Date; task: TaskId; runId?: string; error: string; json?: boolean }) => {
    const config = loadConfig();
    await withEngines(config, async (engines) => {
      const failed = await failRun({ config, engines, windowStart: options.start, task: options.task, fallbackError: options.error, ...(options.runId ? { runId: options.runId } : {}) });
      if (options.json) outJson({ run_id: failed.runId, status: 'failed', failed_task: options.task, error: failed.error });
      else out(`run ${failed.runId} marked failed (${options.task})`);
    });
  });

program
  .command('status')
  .description('recent runs with their status, counts and durations')
  .option('--limit <n>', 'how many runs', parsePositiveInt, 20)
  .option('--run-id <id>', 'only this run')
  .option('--json', 'print JSON')
  .action(async (options: { limit: number; runId?: string; json?: boolean }) => {
    const config = loadConfig();
    const noRuns = () => void (options.json ? outJson([]) : out(`No runs yet${config.clickhouse.mode === 'embedded' ? ` in ${config.home}` : ''}: medallion start, or medallion run --from <hour>, makes some.`));
    // A home where nothing ran is left as it is: opening chDB would create its directory (and the home lock).
    if (hasNoEmbeddedData(config)) return noRuns();
    await withEngines(config, async (engines) => {
      const runs = await catalog.runsResultSet(await engines.clickhouse(), { limit: options.limit, ...(options.runId ? { runId: options.runId } : {}) });
      if (!runs || (runs.rows.length === 0 && !options.runId)) return noRuns();
      const records = resultRecords(runs);
      if (options.json) return outJson(records);
      if (records.length === 0) return out(`No run ${options.runId} in the catalog.`);
      const shown = ['run_id', 'window_start', 'status', 'duration_ms', 'bronze_rows', 'quarantined_rows', 'silver_new_rows', 'duplicate_rows', 'already_in_silver_rows', 'gold_hourly_rows', 'failed_task'];
      out(formatTable({ columns: shown.map((name) => runs.columns.find((column) => column.name === name)!), rows: records.map((record) => shown.map((name) => record[name])) }));
      for (const run of records.filter((candidate) => candidate.error)) err(`${String(run.run_id)}: ${String(run.failed_task)}: ${String(run.error)}`);
    }, ASK_AGAIN);
  });

program
  .command('query')
  .description('run ad hoc SQL against the configured ClickHouse or PostgreSQL')
  .argument('<sql>', 'the statement')
  .addOption(new Option('--target <target>', 'engine to ask').choices(['clickhouse', 'postgres']).default('clickhouse'))
  .addOption(new Option('--format <format>', 'output format (a ClickHouse statement may end with its own FORMAT clause instead)').choices(['table', 'json', 'csv']).default('table'))
  .option('--json', 'the same as --format json')
  .action(async (sql: string, options: { target: 'clickhouse' | 'postgres'; format: 'table' | 'json' | 'csv'; json?: boolean }, command: Command) => {
    const chosen = command.getOptionValueSource('format') === 'cli' || options.json;
    if (options.json && command.getOptionValueSource('format') === 'cli' && options.format !== 'json') throw new UsageError(`--json and --format ${options.format} ask for two formats: give one`);
    const format = options.json ? 'json' : options.format;
    await withEngines(loadConfig(), async (engines) => {
      const answer = options.target === 'postgres' ? await askPostgres(await engines.postgres(), sql) : await askClickHouse(await engines.clickhouse(), sql);
      if (answer.kind === 'formatted') {
        if (chosen) throw new UsageError(`the statement ends with its own FORMAT ${answer.format} clause, and --${options.json ? 'json' : `format ${format}`} asks for another: give one`);
        return writeFormatted(answer.output);
      }
      out(format === 'json' ? jsonText(resultRecords(answer.result)) : format === 'csv' ? toCsv(answer.result) : formatTable(answer.result));
    }, ASK_AGAIN);
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
      if (options.json) return outJson({ ...check, rows: check.rows.slice(0, options.rows) });
      out(`mapping ${mapping.file}: source ${mapping.name}, ${check.files.length} file(s) in ${check.landing} match ${mapping.glob}`);
      out(`\nFirst mapped rows of ${check.file}`);
      out(formatTable(check.rows.slice(0, options.rows).map((row) => ({ ...row, record: row.record.length > 60 ? `${row.record.slice(0, 57)}...` : row.record }))));
      out(`\nQuarantine reasons over the first ${check.sample} rows ('' = valid)`);
      out(formatTable(check.reasons));
    }, ASK_AGAIN);
  });

sources
  .command('list')
  .description('the files ledger of the configured source (MEDALLION_SOURCE): which run took each file, its rows and status')
  .option('--limit <n>', 'how many files', parsePositiveInt, 50)
  .option('--json', 'print JSON')
  .action(async (options: { limit: number; json?: boolean }) => {
    const config = loadConfig();
    if (!config.source.mapping) throw new ConfigError('MEDALLION_SOURCE', 'is not set: the synthetic source has no files');
    await withEngines(config, async (engines) => {
      const entries = await ledger.ofSource(await engines.clickhouse(), config.source.mapping!.name, options.limit);
      if (options.json) outJson(entries);
      else out(formatTable(entries, ['location', 'status', 'rows', 'batch_id', 'size', 'modified_at', 'error']));
    }, ASK_AGAIN);
  });

sources
  .command('reingest')
  .description('release files of the configured source so that the next run ingests them again (after their content was corrected)')
  .argument('<location...>', 'files as the ledger names them (sources list)')
  .option('--json', 'print the released files as JSON')
  .action(async (locations: string[], options: { json?: boolean }) => {
    const config = loadConfig();
    if (!config.source.mapping) throw new ConfigError('MEDALLION_SOURCE', 'is not set: the synthetic source has no files');
    await withEngines(config, async (engines) => {
      const released = await ledger.release(await engines.clickhouse(), config.source.mapping!.name, locations);
      if (options.json) return outJson(released);
      for (const entry of released) out(`${entry.location}: released (${entry.error}); the next run ingests it`);
    });
  });

program
  .command('report')
  .description('write one self-contained HTML file (KPIs, events by hour, task durations, rows per layer, quarantine, validation, lineage, runs) and print its path')
  .option('--out <file>', 'where to write it (default <MEDALLION_HOME>/report.html)')
  .option('--days <n>', 'UTC dates shown, up to the latest window', parsePositiveInt, DEFAULT_BOUNDS.days)
  .option('--runs <n>', 'most recent runs shown (within those dates)', parsePositiveInt, DEFAULT_BOUNDS.runs)
  .option('--json', 'print the report\'s path, runs and bytes as JSON')
  .action(async (options: { out?: string; days: number; runs: number; json?: boolean }) => {
    const config = loadConfig();
    await withEngines(config, async (engines) => {
      const report = await writeReportOfHome(config, engines, { ...(options.out ? { out: options.out } : {}), bounds: { days: options.days, runs: options.runs } });
      if (options.json) return outJson({ path: report.path, runs: report.runs, bytes: report.bytes });
      err(report.runs === 0 ? 'no runs yet: the report says so' : `${report.runs} runs, ${Math.round(report.bytes / 1024)} KiB`);
      out(report.path);
    }, { finishMerges: false });
  });

program
  .command('dag')
  .description('the task graph, declared once: what the embedded runner and the Airflow DAG execute')
  .option('--json', 'print JSON')
  .action((options: { json?: boolean }) => {
    // reads/writes: the datasets as declared ({source} and {schema} are resolved from a task's configuration).
    const tasks = PIPELINE.map((task) => ({ id: task.id, upstream: [...task.upstream], description: task.description, reads: [...task.reads], writes: task.writes.map(writtenDataset) }));
    if (options.json) outJson({ tasks });
    else out(formatTable(tasks.map((task) => ({ id: task.id, upstream: task.upstream.join(', '), description: task.description }))));
  });

/** A statement's own FORMAT output, as ClickHouse wrote it: text masked like every line printed, binary as is. */
function writeFormatted(output: Buffer): void {
  let text: string | undefined;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(output);
  } catch {
    text = undefined;
  }
  process.stdout.write(text === undefined ? output : maskSecrets(text));
}

/**
 * A usage error is one line, naming the problem and where the usage is, then exit 2 — never the whole help,
 * and never commander's exit 1, which is a failed run's.
 */
function briefUsageErrors(command: Command, name: string): void {
  command.configureOutput({ outputError: (message, write) => write(`${maskSecrets(`medallion: ${oneLine(message.replace(/^error: /, ''))} (see ${name} --help)`)}\n`) });
  for (const subcommand of command.commands) briefUsageErrors(subcommand, `${name} ${subcommand.name()}`);
}
briefUsageErrors(program, 'medallion');

const oneLine = (text: string) => text.replace(/\s*\n\s*/g, ' ').trim();

/** With --verbose: the stack and every cause, masked (a client's error object may hold the whole request). */
function details(error: unknown): string {
  const lines: string[] = [];
  for (let current: unknown = error, depth = 0; current !== undefined && current !== null && depth < 5; current = (current as { cause?: unknown }).cause, depth += 1) {
    lines.push(depth === 0 ? 'detail:' : 'caused by:', current instanceof Error ? (current.stack ?? current.message) : String(current));
  }
  return lines.join('\n');
}

/** Problems with how the program was called or configured, rather than with a run: exit 2. */
const isUsageProblem = (error: unknown) => error instanceof UsageError || error instanceof ConfigError || error instanceof MissingEngineError || error instanceof StatementError;
const SUCCESSFUL_EXITS = new Set(['commander.helpDisplayed', 'commander.help', 'commander.version']);

program.parseAsync().catch((error: unknown) => {
  progress.stop();
  if (error instanceof CommanderError) {
    // Commander has printed its message (one line, see briefUsageErrors), or the help or the version.
    process.exitCode = SUCCESSFUL_EXITS.has(error.code) ? 0 : 2;
    return;
  }
  const message = oneLine(error instanceof Error ? error.message : String(error));
  err(error instanceof ConfigError ? message : `medallion: ${message}`);
  if (verbose()) err(details(error));
  process.exitCode = isUsageProblem(error) ? 2 : 1;
});
