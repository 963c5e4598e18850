import type { Warehouse } from '../engines/index.js';
import { validationSummary, type RunRow, type ValidationSummary } from '../layers/catalog/repository.js';
import { sqlFile } from '../sql.js';

/** What the report may show: the last `days` UTC dates up to the latest window, and at most `runs` runs of them. */
export interface ReportBounds {
  days: number;
  runs: number;
}

/**
 * A run as the report shows it: pipeline_runs' row (src/layers/catalog/repository.ts RunRow), its window to the
 * minute ('YYYY-MM-DD HH:MM' UTC), and no duration while it is running.
 */
export type ReportRun = Omit<RunRow, 'duration_ms'> & { duration_ms: number | null };

export interface DailyKpi {
  event_date: string;
  total_events: number;
  unique_users: number;
  revenue_events: number;
  /** Decimal text with two places: the stored value rounded to the cent. */
  total_revenue: string;
  avg_value: string;
}

export interface HourlyEvents {
  event_date: string;
  event_hour: number;
  events: number;
}

export interface TaskDuration {
  run_id: string;
  task_name: string;
  duration_ms: number;
  status: 'success' | 'failed';
  attempts: number;
}

export interface QuarantineCount {
  day: string;
  reason: string;
  rows: number;
}

/** Per run and check, the latest round: how many comparisons, how many failed. */
export type ValidationCell = ValidationSummary;

export interface LineageEdge {
  source_table: string;
  target_table: string;
  task_name: string;
  transformation: string;
}

/** Everything the report draws, aggregated in ClickHouse: a few rows per day, run and check, never events. */
export interface ReportData {
  span: { days: number; runLimit: number; fromDate: string; latestWindow: string; runsInCatalog: number };
  runs: ReportRun[];
  daily: DailyKpi[];
  hourly: HourlyEvents[];
  taskDurations: TaskDuration[];
  quarantine: QuarantineCount[];
  validation: ValidationCell[];
  lineage: LineageEdge[];
}

/** The tables the report reads; all are created together by ensure_all_tables. */
const REPORT_TABLES = [
  'catalog.pipeline_runs', 'catalog.benchmark_log', 'catalog.validation_log', 'catalog.data_lineage',
  'gold.rpt_daily_summary', 'gold.agg_events_hourly', 'silver.quarantine_events',
];

/** The report's data, or undefined when no run was ever recorded (a fresh home). */
export async function readReportData(clickhouse: Warehouse, bounds: ReportBounds): Promise<ReportData | undefined> {
  const [tables] = await clickhouse.rows<{ present: number }>(sqlFile(import.meta.url, 'tables_present'), { tables: REPORT_TABLES });
  if (!tables || tables.present < REPORT_TABLES.length) return undefined;
  const [range] = await clickhouse.rows<{ runs: number; latest_window: string; from_date: string }>(sqlFile(import.meta.url, 'report_range'), { days: bounds.days });
  if (!range || range.runs === 0) return undefined;

  const span = { from_date: range.from_date };
  const runs = await clickhouse.rows<ReportRun>(sqlFile(import.meta.url, 'runs'), { ...span, limit: bounds.runs });
  const runIds = { run_ids: runs.map((run) => run.run_id) };
  const [daily, hourly, taskDurations, quarantine, validation, lineage] = await Promise.all([
    clickhouse.rows<DailyKpi>(sqlFile(import.meta.url, 'daily_kpis'), span),
    clickhouse.rows<HourlyEvents>(sqlFile(import.meta.url, 'hourly_events'), span),
    clickhouse.rows<TaskDuration>(sqlFile(import.meta.url, 'task_durations'), runIds),
    clickhouse.rows<QuarantineCount>(sqlFile(import.meta.url, 'quarantine_reasons'), span),
    validationSummary(clickhouse, runIds.run_ids),
    clickhouse.rows<LineageEdge>(sqlFile(import.meta.url, 'lineage')),
  ]);
  return {
    span: { days: bounds.days, runLimit: bounds.runs, fromDate: range.from_date, latestWindow: range.latest_window, runsInCatalog: range.runs },
    runs, daily, hourly, taskDurations, quarantine, validation, lineage,
  };
}
