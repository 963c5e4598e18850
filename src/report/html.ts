import { readFileSync } from 'node:fs';
import { maskSecrets } from '../secrets.js';
import { chartOptions, type ChartName } from './charts.js';
import type { ChartLibrary } from './echarts-bundle.js';
import { layoutLineage } from './lineage-layout.js';
import type { ReportData, ReportRun } from './repository.js';

/**
 * The page may load nothing: every script and style is inline, and the policy forbids any fetch, so a
 * stray URL (a font, a CDN) could not leave the machine even if one slipped in.
 */
const CONTENT_POLICY = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:";

const STYLE = `
  :root { color-scheme: light; --ink: #1f2933; --muted: #616e7c; --line: #d9dee4; --ok: #2f855a; --bad: #c53030; --run: #b7791f; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); background: #f6f8fa; }
  header { padding: 20px 32px 8px; background: #fff; border-bottom: 1px solid var(--line); }
  h1 { margin: 0 0 4px; font-size: 22px; }
  header p { margin: 0 0 8px; color: var(--muted); }
  nav a { margin-right: 14px; color: #2b6cb0; text-decoration: none; }
  main { padding: 16px 32px 40px; max-width: 1400px; }
  section { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 14px 18px; margin: 0 0 18px; }
  h2 { margin: 0 0 2px; font-size: 17px; }
  .source { margin: 0 0 10px; color: var(--muted); font-size: 13px; }
  .chart { width: 100%; }
  .empty { padding: 40px 32px; font-size: 16px; }
  table { border-collapse: collapse; width: 100%; font-size: 12.5px; }
  th, td { padding: 4px 8px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
  th { position: sticky; top: 0; background: #fff; }
  td.number { text-align: right; font-variant-numeric: tabular-nums; }
  td[data-column=window_start], td[data-column=started_at] { white-space: nowrap; }
  td[data-column=run_id] { min-width: 15em; overflow-wrap: anywhere; }
  tr.has-error td { border-bottom: none; }
  td.error { padding: 0 8px 8px 24px; white-space: pre-wrap; overflow-wrap: anywhere; color: var(--bad); }
  .status-success { color: var(--ok); font-weight: 600; }
  .status-failed { color: var(--bad); font-weight: 600; }
  .status-running { color: var(--run); font-weight: 600; }
  .scroll { max-height: 640px; overflow: auto; }
`;

/** The runs table: the columns of catalog.pipeline_runs it shows, with their headings. */
export const RUN_COLUMNS = [
  ['run_id', 'run'], ['window_start', 'window start (UTC)'], ['status', 'status'], ['started_at', 'started'],
  ['duration_ms', 'duration ms'], ['bronze_rows', 'bronze'], ['quarantined_rows', 'quarantined'],
  ['silver_new_rows', 'silver new'], ['duplicate_rows', 'duplicates'], ['already_in_silver_rows', 'already in silver'],
  ['gold_hourly_rows', 'gold hourly'], ['gold_daily_rows', 'gold daily'], ['failed_task', 'failed task'],
] as const satisfies readonly (readonly [keyof ReportRun, string])[];

interface Section {
  id: string;
  title: string;
  source: string;
  chart?: { name: ChartName; height: number };
  body?: string;
}

export interface ReportPage {
  /** undefined: no run was recorded yet. */
  data: ReportData | undefined;
  generatedAt: Date;
  library: ChartLibrary;
}

/** The whole report as one HTML document that opens from disk, offline. */
export function renderReport(page: ReportPage): string {
  const generated = `Generated ${page.generatedAt.toISOString().replace('T', ' ').slice(0, 19)} UTC`;
  if (!page.data) {
    return document(
      `<header><h1>Medallion report</h1><p>${generated}</p></header>
<main><section class="empty" id="no-runs"><h2>No runs yet</h2>
<p>The catalog of this home holds no pipeline run. Run the pipeline (<code>npx medallion start</code>, or
<code>npx medallion run --from &lt;hour&gt;</code>), then write the report again (<code>npx medallion report</code>).</p></section></main>`,
    );
  }
  const data = page.data;
  const { span } = data;
  const runsShown = data.runs.length < span.runsInCatalog ? `the latest ${data.runs.length} of ${span.runsInCatalog} runs` : `all ${data.runs.length} runs`;
  const sections = reportSections(data);
  const payload = { charts: chartOptions(data) };
  return document(
    `<header><h1>Medallion report</h1>
<p>${generated} · dates ${escapeHtml(span.fromDate)} to ${escapeHtml(span.latestWindow.slice(0, 10))} (${span.days} days up to the latest window, ${escapeHtml(span.latestWindow)} UTC) · ${runsShown} (at most ${span.runLimit}) · charts by Apache ECharts ${escapeHtml(page.library.version)}</p>
<nav>${sections.map((section) => `<a href="#${section.id}">${escapeHtml(section.title)}</a>`).join('')}</nav></header>
<main>
${sections.map(renderSection).join('\n')}
</main>
<script type="application/json" id="report-data">${jsonForScript(payload)}</script>
<script>${page.library.script}</script>
<script>${drawScript()}</script>`,
  );
}

function reportSections(data: ReportData): Section[] {
  const days = new Set(data.hourly.map((cell) => cell.event_date)).size;
  const checks = new Set(data.validation.map((cell) => cell.check_name)).size;
  const lineageRows = Math.max(1, ...layoutLineage(data.lineage.map((edge) => ({ source: edge.source_table, target: edge.target_table }))).map((dataset) => dataset.row + 1));
  return [
    { id: 'daily', title: 'Daily KPIs', source: 'gold.rpt_daily_summary: events, unique users and revenue events (left), revenue and average event value (right, rounded to the cent)', chart: { name: 'daily-kpis', height: 380 } },
    { id: 'hourly', title: 'Events by hour', source: 'gold.agg_events_hourly summed over category and source, per UTC date and hour', chart: { name: 'hourly-events', height: Math.max(260, 110 + 24 * days) } },
    { id: 'durations', title: 'Task durations', source: 'catalog.benchmark_log: each task\'s latest attempt in each run, stacked', chart: { name: 'task-durations', height: 440 } },
    { id: 'layers', title: 'Rows per layer', source: 'catalog.pipeline_runs: the rows each run wrote to each layer', chart: { name: 'layer-rows', height: 400 } },
    { id: 'quarantine', title: 'Quarantine reasons', source: 'silver.quarantine_events: rows per date of the delivering window and the rules they broke', chart: { name: 'quarantine-reasons', height: 360 } },
    { id: 'validation', title: 'Validation', source: 'catalog.validation_log: each check\'s latest round per run, as failed/checks', chart: { name: 'validation-matrix', height: 170 + 28 * Math.max(1, checks) } },
    { id: 'lineage', title: 'Lineage', source: 'catalog.data_lineage: datasets, and the task that realises each flow', chart: { name: 'lineage', height: Math.max(420, 120 + 90 * lineageRows) } },
    { id: 'runs', title: 'Runs', source: 'catalog.pipeline_runs, oldest first; errors as stored (secrets masked)', body: runsTable(data.runs) },
  ];
}

function renderSection(section: Section): string {
  const content = section.chart
    ? `<div class="chart" id="chart-${section.chart.name}" data-chart="${section.chart.name}" style="height:${section.chart.height}px"></div>`
    : section.body ?? '';
  return `<section id="${section.id}"><h2>${escapeHtml(section.title)}</h2><p class="source">${escapeHtml(section.source)}</p>${content}</section>`;
}

/** One row per run; a run's error, which can be long, on a row of its own beneath it, across the table. */
function runsTable(runs: readonly ReportRun[]): string {
  const head = RUN_COLUMNS.map(([, title]) => `<th>${escapeHtml(title)}</th>`).join('');
  const rows = runs.map((run) => {
    const cells = RUN_COLUMNS.map(([column]) => {
      const value = run[column];
      const kind = column === 'status' ? ` class="status-${escapeHtml(run.status)}"` : typeof value === 'number' ? ' class="number"' : '';
      return `<td data-column="${column}"${kind}>${escapeHtml(value === null ? '' : String(value))}</td>`;
    });
    const id = escapeHtml(run.run_id);
    // Stored masked already; masked again with this process's secrets, in case an older release stored one.
    const error = run.error ? `\n<tr class="error-row" data-error-of="${id}"><td class="error" colspan="${RUN_COLUMNS.length}">${escapeHtml(maskSecrets(run.error))}</td></tr>` : '';
    return `<tr data-run-id="${id}"${run.error ? ' class="has-error"' : ''}>${cells.join('')}</tr>${error}`;
  });
  return `<div class="scroll"><table id="runs-table"><thead><tr>${head}</tr></thead><tbody>${rows.join('\n')}</tbody></table></div>`;
}

function document(body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CONTENT_POLICY}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Medallion report</title>
<style>${STYLE}</style>
</head>
<body>
${body}
</body>
</html>
`;
}

let drawSource: string | undefined;

/** The page's own script (page/draw-charts.js, copied beside the build). */
function drawScript(): string {
  drawSource ??= readFileSync(new URL('./page/draw-charts.js', import.meta.url), 'utf8');
  return drawSource;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

/**
 * JSON to place inside <script type="application/json">: every `<`, `>` and `&` as a \u escape, so no value
 * ("</script>", "<!--") can end the element or open a comment; JSON.parse reads the same text back. U+2028
 * and U+2029 are escaped too, for a reader that evaluates it as JavaScript.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
