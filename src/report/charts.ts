import type { EChartsOption, GraphSeriesOption } from 'echarts';
import { PIPELINE } from '../pipeline/graph.js';
import { layoutLineage } from './lineage-layout.js';
import type { ReportData, ReportRun } from './repository.js';

/** The charts of the report, by the `data-chart` name of their container. */
export const CHART_NAMES = ['daily-kpis', 'hourly-events', 'task-durations', 'layer-rows', 'quarantine-reasons', 'validation-matrix', 'lineage'] as const;
export type ChartName = (typeof CHART_NAMES)[number];

/** Past this many runs on an axis, a slider lets the reader zoom, and cell labels would not fit. */
const MANY_COLUMNS = 48;

/**
 * The ECharts option of every chart, data included. Plain JSON (templates, never functions), so it is
 * embedded as it is and `getOption()` on the page returns the same values the catalog holds.
 */
export function chartOptions(data: ReportData): Record<ChartName, EChartsOption> {
  const runs = runLabels(data.runs);
  return {
    'daily-kpis': dailyKpis(data),
    'hourly-events': hourlyEvents(data),
    'task-durations': taskDurations(data, runs),
    'layer-rows': layerRows(data, runs),
    'quarantine-reasons': quarantineReasons(data),
    'validation-matrix': validationMatrix(data, runs),
    lineage: lineage(data),
  };
}

/** One category per run: its window, and the run id where two runs share a window (an orchestrator's manual run). */
export function runLabels(runs: readonly ReportRun[]): string[] {
  const perWindow = new Map<string, number>();
  for (const run of runs) perWindow.set(run.window_start, (perWindow.get(run.window_start) ?? 0) + 1);
  return runs.map((run) => (perWindow.get(run.window_start)! > 1 ? `${run.window_start} ${run.run_id}` : run.window_start));
}

const base = { animation: false, textStyle: { fontFamily: 'system-ui, sans-serif' } } satisfies EChartsOption;

function runAxis(labels: readonly string[]): Pick<EChartsOption, 'xAxis' | 'dataZoom'> {
  return {
    xAxis: { type: 'category', name: 'window (UTC)', nameLocation: 'middle', nameGap: 48, data: [...labels], axisLabel: { rotate: labels.length > 8 ? 30 : 0 } },
    ...(labels.length > MANY_COLUMNS ? { dataZoom: [{ type: 'inside' }, { type: 'slider', bottom: 0 }] } : {}),
  };
}

function dailyKpis(data: ReportData): EChartsOption {
  const days = data.daily.map((day) => day.event_date);
  return {
    ...base,
    tooltip: { trigger: 'axis' },
    legend: { top: 0 },
    grid: { left: 70, right: 150, top: 50, bottom: 40 },
    xAxis: { type: 'category', data: days },
    yAxis: [
      { type: 'value', name: 'events, users' },
      { type: 'value', name: 'revenue', position: 'right', splitLine: { show: false } },
      { type: 'value', name: 'avg value', position: 'right', offset: 80, splitLine: { show: false } },
    ],
    series: [
      { id: 'total_events', name: 'events', type: 'bar', data: data.daily.map((day) => day.total_events) },
      { id: 'unique_users', name: 'unique users', type: 'line', data: data.daily.map((day) => day.unique_users) },
      { id: 'revenue_events', name: 'revenue events', type: 'line', data: data.daily.map((day) => day.revenue_events) },
      // Decimal text, as ClickHouse rounded it to the cent: ECharts reads numeric strings as numbers.
      { id: 'total_revenue', name: 'revenue', type: 'line', yAxisIndex: 1, data: data.daily.map((day) => day.total_revenue) },
      { id: 'avg_value', name: 'average value', type: 'line', yAxisIndex: 2, data: data.daily.map((day) => day.avg_value) },
    ],
  };
}

const HOURS = Array.from({ length: 24 }, (_, hour) => String(hour).padStart(2, '0'));

function hourlyEvents(data: ReportData): EChartsOption {
  const days = [...new Set(data.hourly.map((cell) => cell.event_date))];
  return {
    ...base,
    tooltip: { position: 'top', formatter: '{@day} {@hour}:00 UTC<br/>{@events} events' },
    grid: { left: 100, right: 40, top: 20, bottom: 100 },
    xAxis: { type: 'category', name: 'hour (UTC)', nameLocation: 'middle', nameGap: 28, data: HOURS, splitArea: { show: true } },
    yAxis: { type: 'category', data: days, inverse: true, splitArea: { show: true } },
    visualMap: {
      min: 0, max: Math.max(1, ...data.hourly.map((cell) => cell.events)), calculable: true, orient: 'horizontal', left: 'center', bottom: 0,
      inRange: { color: ['#e3ecfd', '#5b8def', '#1a2f8a'] },
    },
    series: [{
      id: 'events', name: 'events', type: 'heatmap',
      dimensions: ['hour', 'day', 'events'],
      data: data.hourly.map((cell) => [HOURS[cell.event_hour]!, cell.event_date, cell.events]),
      // Counts fit in the cells of two weeks; over a month the colour and the tooltip tell.
      label: { show: days.length <= 14, formatter: '{@events}', fontSize: 10 },
    }],
  };
}

function taskDurations(data: ReportData, runs: readonly string[]): EChartsOption {
  const column = new Map(data.runs.map((run, index) => [run.run_id, index]));
  // The graph's order, so that the stack reads like the run; a task no longer in the graph comes last.
  const known = PIPELINE.map((task) => task.id as string);
  const tasks = [...new Set([...known, ...data.taskDurations.map((row) => row.task_name)])].filter((task) => data.taskDurations.some((row) => row.task_name === task));
  return {
    ...base,
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    legend: { type: 'scroll', top: 0 },
    grid: { left: 70, right: 30, top: 50, bottom: 90 },
    ...runAxis(runs),
    yAxis: { type: 'value', name: 'ms' },
    series: tasks.map((task) => {
      const values: (number | null)[] = runs.map(() => null);
      for (const row of data.taskDurations.filter((candidate) => candidate.task_name === task)) {
        const at = column.get(row.run_id);
        if (at !== undefined) values[at] = row.duration_ms;
      }
      return { id: task, name: task, type: 'bar', stack: 'run', data: values };
    }),
  };
}

/** The run's rows in each layer (catalog.pipeline_runs), in the order the data flows. */
export const LAYER_COUNTS = [
  ['bronze_rows', 'bronze'],
  ['quarantined_rows', 'quarantined'],
  ['silver_new_rows', 'silver (new)'],
  ['gold_hourly_rows', 'gold hourly'],
  ['gold_daily_rows', 'gold daily'],
] as const;

function layerRows(data: ReportData, runs: readonly string[]): EChartsOption {
  return {
    ...base,
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    legend: { top: 0 },
    grid: { left: 70, right: 30, top: 50, bottom: 90 },
    ...runAxis(runs),
    yAxis: { type: 'value', name: 'rows' },
    series: LAYER_COUNTS.map(([column, name]) => ({ id: column, name, type: 'bar', data: data.runs.map((run) => run[column]) })),
  };
}

function quarantineReasons(data: ReportData): EChartsOption {
  const days = [...new Set(data.quarantine.map((row) => row.day))];
  const reasons = [...new Set(data.quarantine.map((row) => row.reason))].sort();
  return {
    ...base,
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    legend: { type: 'scroll', top: 0 },
    grid: { left: 70, right: 30, top: 50, bottom: 40 },
    xAxis: { type: 'category', name: 'date of the delivering window (UTC)', nameLocation: 'middle', nameGap: 26, data: days },
    yAxis: { type: 'value', name: 'rows' },
    series: reasons.map((reason) => ({
      id: reason, name: reason, type: 'bar', stack: 'day',
      data: days.map((day) => data.quarantine.find((row) => row.day === day && row.reason === reason)?.rows ?? 0),
    })),
  };
}

function validationMatrix(data: ReportData, runs: readonly string[]): EChartsOption {
  const label = new Map(data.runs.map((run, index) => [run.run_id, runs[index]!]));
  const checks = [...new Set(data.validation.map((cell) => cell.check_name))].sort();
  return {
    ...base,
    tooltip: { position: 'top', formatter: '{@check}<br/>{@run}<br/>{@failed} failed of {@checks}' },
    grid: { left: 170, right: 30, top: 20, bottom: 120 },
    ...runAxis(runs),
    yAxis: { type: 'category', data: checks, splitArea: { show: true } },
    visualMap: {
      type: 'piecewise', dimension: 2, orient: 'horizontal', left: 'center', bottom: 0,
      pieces: [{ value: 0, label: 'all passed', color: '#3a9d5d' }, { gte: 1, label: 'some failed', color: '#d9534f' }],
    },
    series: [{
      id: 'validation', name: 'validation', type: 'heatmap',
      dimensions: ['run', 'check', 'failed', 'checks'],
      data: data.validation.filter((cell) => label.has(cell.run_id)).map((cell) => [label.get(cell.run_id)!, cell.check_name, cell.failed, cell.checks]),
      // A cell reads "failed/checks".
      label: { show: runs.length <= MANY_COLUMNS, formatter: '{@failed}/{@checks}', color: '#fff' },
    }],
  };
}

function lineage(data: ReportData): EChartsOption {
  const flows = data.lineage.map((edge) => ({ source: edge.source_table, target: edge.target_table }));
  const placed = layoutLineage(flows);
  const layers = [...new Set(placed.map((dataset) => dataset.layer))];
  const series: GraphSeriesOption = {
    id: 'lineage', name: 'lineage', type: 'graph', layout: 'none', roam: true,
    categories: layers.map((name) => ({ name })),
    data: placed.map((dataset) => ({ name: dataset.name, x: dataset.column * 300, y: dataset.row * 90, category: layers.indexOf(dataset.layer) })),
    // Each edge is labelled with the task that realises the flow (a task id: no template braces in it).
    links: data.lineage.map((edge) => ({ source: edge.source_table, target: edge.target_table, label: { formatter: edge.task_name } })),
    symbolSize: 16,
    edgeSymbol: ['none', 'arrow'],
    edgeSymbolSize: 9,
    label: { show: true, position: 'bottom', fontSize: 11 },
    edgeLabel: { show: true, fontSize: 10, color: '#555' },
    lineStyle: { color: 'source', curveness: 0.12, opacity: 0.8, width: 1.5 },
  };
  return { ...base, tooltip: {}, legend: { top: 0, data: layers }, series: [series] };
}
