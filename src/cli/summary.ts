import type { Engines } from '../engines/index.js';
import * as catalog from '../layers/catalog/repository.js';
import * as gold from '../layers/gold/repository.js';
import * as silver from '../layers/silver/repository.js';
import type { RunOutcome } from '../pipeline/runner.js';
import { sumByWindow } from '../quality/checks.js';
import { LosslessNumber } from 'lossless-json';
import { formatDuration, formatTable } from './format.js';

/** Money as gold holds it, Decimal(18, 2): two decimals, so a sum in JavaScript shows no float residue (…0.52000000002). */
const cents = (value: number) => new LosslessNumber(value.toFixed(2));

/** What `npm start` prints after its runs: timings, counts, quarantine, KPIs and validation. */
export async function printSummary(engines: Engines, outcomes: readonly RunOutcome[], out: (text: string) => void): Promise<void> {
  const clickhouse = await engines.clickhouse();
  const runIds = outcomes.map((outcome) => outcome.runId);

  out('\nTask timings');
  out(
    formatTable(
      outcomes[0]!.tasks.map((task) => ({
        task: task.id,
        ...Object.fromEntries(outcomes.map((outcome, index) => {
          const run = outcome.tasks.find((candidate) => candidate.id === task.id)!;
          return [`window ${index + 1}`, run.status === 'success' ? formatDuration(run.durationMs) : run.status];
        })),
      })),
    ),
  );

  out('\nRuns');
  const runs = (await catalog.readRuns(clickhouse, { limit: 1000 })).filter((run) => runIds.includes(run.run_id));
  out(formatTable(runs.reverse(), ['run_id', 'status', 'bronze_rows', 'quarantined_rows', 'silver_new_rows', 'duplicate_rows', 'already_in_silver_rows', 'dim_users_new', 'dim_users_updated', 'touched_hours']));

  out('\nQuarantine reasons');
  out(formatTable(await silver.quarantineReasonsOfRuns(clickhouse, runIds)));

  const windows = outcomes.map((outcome) => outcome.windowStart);
  const touched = { hours: windows, dates: [...new Set(windows.map((hour) => hour.slice(0, 10)))] };
  const params = { ...touched, params: { touched_hours: touched.hours, touched_dates: touched.dates } };
  out('\nDaily executive KPIs (gold.rpt_daily_summary)');
  const daily = (await gold.readDaily(clickhouse, params)).map((row) => ({ ...row, total_revenue: cents(row.total_revenue) }));
  out(formatTable(daily, ['event_date', 'total_events', 'unique_users', 'revenue_events', 'total_revenue', 'avg_value']));

  out('\nHourly operational KPIs of the windows run (gold.agg_events_hourly, summed over category and source)');
  const hourly = sumByWindow(await gold.readHourly(clickhouse, params), gold.hourOf, ['event_count', 'revenue_events', 'total_value']);
  out(formatTable([...hourly].map(([hour, { event_count, revenue_events, total_value }]) => ({ hour, event_count, revenue_events, total_value: cents(total_value ?? 0) }))));

  out('\nValidation (latest round per run)');
  out(formatTable(await catalog.validationSummary(clickhouse, runIds)));
  const failed = outcomes.filter((outcome) => outcome.status === 'failed');
  out(failed.length === 0 ? `\nAll ${outcomes.length} runs succeeded.` : `\n${failed.length} of ${outcomes.length} runs failed.`);
}
