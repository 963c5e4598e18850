import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { chartLibrary } from '../../src/report/echarts-bundle.js';
import { RUN_COLUMNS } from '../../src/report/html.js';
import { writeReport, type WrittenReport } from '../../src/report/index.js';
import { chRows, openTestPipeline, pgRows, windowAt, type TestPipeline } from '../helpers.js';

/**
 * The report in a real browser: Debian's Chromium (scripts/test-report.sh installs it), driven by
 * puppeteer-core. Every chart's data is read back from ECharts' own state on the page and compared with
 * what the test asks ClickHouse itself; money leaves ClickHouse as text rounded to the cent, so it must be
 * within half a cent of the stored Float64, everything else is equal exactly.
 */
const CHROMIUM = process.env.MEDALLION_CHROMIUM ?? '/usr/bin/chromium';
const ARTIFACTS = path.resolve('test-artifacts');

interface ChartState {
  xAxis: unknown[][];
  yAxis: unknown[][];
  series: { id: string; name: string; type: string; data: unknown[]; links?: { source: string; target: string; label?: { formatter?: string } }[] }[];
  canvas: { width: number; height: number } | null;
}

// A string, not a function: tsx's transform would wrap a function's inner names in helpers the page lacks.
const READ_CHARTS = `(() => {
  const state = {};
  for (const element of document.querySelectorAll('[data-chart]')) {
    const option = window.echarts.getInstanceByDom(element).getOption();
    const canvas = element.querySelector('canvas');
    state[element.getAttribute('data-chart')] = {
      xAxis: (option.xAxis || []).map((axis) => axis.data || []),
      yAxis: (option.yAxis || []).map((axis) => axis.data || []),
      series: option.series.map((series) => ({ id: series.id, name: series.name, type: series.type, data: series.data, links: series.links })),
      canvas: canvas ? { width: canvas.width, height: canvas.height } : null,
    };
  }
  return state;
})()`;

const READ_RUNS_TABLE = `[...document.querySelectorAll('#runs-table tbody tr[data-run-id]')].map((row) => ({
  runId: row.getAttribute('data-run-id'),
  cells: Object.fromEntries([...row.querySelectorAll('td')].map((cell) => [cell.getAttribute('data-column'), cell.textContent])),
  error: [...document.querySelectorAll('#runs-table tr[data-error-of]')].find((next) => next.getAttribute('data-error-of') === row.getAttribute('data-run-id'))?.textContent ?? '',
}))`;

const series = (chart: ChartState, id: string) => {
  const found = chart.series.find((candidate) => candidate.id === id);
  assert.ok(found, `series ${id} of ${JSON.stringify(chart.series.map((candidate) => candidate.id))}`);
  return found;
};

/** Money as the page carries it: decimal text with two places, within half a cent of the stored value. */
function assertCents(shown: unknown, stored: number, what: string) {
  assert.match(String(shown), /^-?\d+\.\d{2}$/, what);
  assert.ok(Math.abs(Number(shown) - stored) <= 0.005 + 1e-9 * Math.abs(stored), `${what}: ${String(shown)} vs ${stored}`);
}

function pngSize(png: Buffer): { width: number; height: number } {
  assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

describe('medallion report in headless Chromium', () => {
  let pipeline: TestPipeline;
  let report: WrittenReport;
  let browser: Browser;
  let page: Page;
  const consoleErrors: string[] = [];
  const requests: string[] = [];
  let charts: Record<string, ChartState>;

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}: run the suite through scripts/test-report.sh (npm run test:report), which installs Debian's chromium`);
    pipeline = await openTestPipeline();
    const outcomes = await pipeline.runRange(windowAt(0), windowAt(3));
    assert.deepEqual(outcomes.map((outcome) => outcome.status), ['success', 'success', 'success']);
    // A fourth window fails its delivery validation: someone edits the PostgreSQL replica before it runs.
    const failed = await pipeline.run(windowAt(3), {
      onEvent: async (event) => {
        if (event.type === 'task-end' && event.task === 'load_aurora') {
          await pgRows(pipeline, "UPDATE medallion_etl.agg_events_hourly SET event_count = event_count + 5 WHERE event_date = '2026-11-20' AND event_hour = 13");
        }
      },
    });
    assert.equal(failed.failedTask, 'validate_delivery');
    report = await writeReport(await pipeline.engines.clickhouse(), path.join(pipeline.home, 'report.html'));

    browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
    page = await browser.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(String(error)));
    page.on('request', (request) => requests.push(request.url()));
    await page.setViewport({ width: 1400, height: 1000 });
    await page.goto(pathToFileURL(report.path).href, { waitUntil: 'load' });
    await page.waitForSelector('html[data-charts="drawn"]', { timeout: 20_000 });
    charts = (await page.evaluate(READ_CHARTS)) as Record<string, ChartState>;
  });

  after(async () => {
    await browser?.close();
    await pipeline?.close();
  });

  it('opens from disk with no console error and no request outside the file, and keeps a screenshot', async () => {
    assert.deepEqual(consoleErrors, []);
    assert.ok(requests.length >= 1);
    assert.deepEqual(requests.filter((url) => !url.startsWith('file:') && !url.startsWith('data:')), []);
    assert.equal(report.runs, 4);

    // Every chart is drawn: a canvas of the container's size.
    assert.deepEqual(Object.keys(charts).sort(), ['daily-kpis', 'hourly-events', 'layer-rows', 'lineage', 'quarantine-reasons', 'task-durations', 'validation-matrix']);
    for (const [name, chart] of Object.entries(charts)) assert.ok(chart.canvas && chart.canvas.width > 500 && chart.canvas.height > 200, `${name} is drawn`);

    // Outside ECharts' bundle (whose only URLs are XML namespaces and licence links) the file names no URL,
    // loads no stylesheet, font or script.
    const html = await readFile(report.path, 'utf8');
    const library = chartLibrary().script;
    assert.ok(html.includes(`<script>${library}</script>`));
    const ownText = html.replace(library, '');
    assert.doesNotMatch(ownText, /:\/\/|<link\b|@import|@font-face|url\(|\bsrc=/i);

    await mkdir(ARTIFACTS, { recursive: true });
    const screenshot = Buffer.from(await page.screenshot({ fullPage: true, type: 'png' }));
    await writeFile(path.join(ARTIFACTS, 'report.png'), screenshot);
    const size = pngSize(screenshot);
    assert.ok(size.width >= 1400 && size.height >= 3000, `screenshot ${size.width}×${size.height}`);
    assert.ok((await stat(path.join(ARTIFACTS, 'report.png'))).size > 100_000, 'the screenshot holds drawn charts, not a blank page');
  });

  it('daily KPIs equal gold.rpt_daily_summary, money within half a cent', async () => {
    const gold = await chRows<{ event_date: string; total_events: number; unique_users: number; revenue_events: number; total_revenue: number; avg_value: number }>(
      pipeline, 'SELECT toString(event_date) AS event_date, total_events, unique_users, revenue_events, total_revenue, avg_value FROM gold.rpt_daily_summary FINAL ORDER BY event_date');
    const chart = charts['daily-kpis']!;
    assert.deepEqual(chart.xAxis[0], gold.map((day) => day.event_date));
    for (const column of ['total_events', 'unique_users', 'revenue_events'] as const) assert.deepEqual(series(chart, column).data, gold.map((day) => day[column]), column);
    for (const column of ['total_revenue', 'avg_value'] as const) {
      gold.forEach((day, index) => assertCents(series(chart, column).data[index], day[column], `${column} ${day.event_date}`));
    }
    assert.ok(gold.some((day) => day.total_revenue > 0));
  });

  it('the hour × day heatmap equals silver\'s events per hour', async () => {
    const silver = await chRows<{ day: string; hour: number; events: number }>(
      pipeline, 'SELECT toString(event_date) AS day, event_hour AS hour, count() AS events FROM silver.fact_events FINAL GROUP BY event_date, event_hour ORDER BY day, hour');
    const chart = charts['hourly-events']!;
    assert.deepEqual(chart.xAxis[0], Array.from({ length: 24 }, (_, hour) => String(hour).padStart(2, '0')));
    assert.deepEqual(chart.yAxis[0], [...new Set(silver.map((cell) => cell.day))]);
    assert.deepEqual(series(chart, 'events').data, silver.map((cell) => [String(cell.hour).padStart(2, '0'), cell.day, cell.events]));
    assert.equal(silver.reduce((sum, cell) => sum + cell.events, 0), (await chRows<{ n: number }>(pipeline, 'SELECT count() AS n FROM silver.fact_events FINAL'))[0]!.n);
  });

  it('task durations per run equal each task\'s latest attempt in benchmark_log, stacked', async () => {
    const runs = await chRows<{ run_id: string; window_start: string }>(pipeline, 'SELECT run_id, toString(window_start) AS window_start FROM catalog.pipeline_runs FINAL ORDER BY window_start');
    const attempts = await chRows<{ run_id: string; task_name: string; attempt: number; started: number; duration_ms: number }>(
      pipeline, 'SELECT run_id, task_name, attempt, toUnixTimestamp64Milli(started_at) AS started, duration_ms FROM catalog.benchmark_log ORDER BY started, attempt');
    const latest = new Map<string, number>();
    for (const row of attempts) latest.set(`${row.run_id} ${row.task_name}`, row.duration_ms);
    const chart = charts['task-durations']!;
    assert.deepEqual(chart.xAxis[0], runs.map((run) => run.window_start.slice(0, 16)));
    const tasks = new Set(attempts.map((row) => row.task_name));
    assert.deepEqual(chart.series.map((candidate) => candidate.id).sort(), [...tasks].sort());
    for (const task of tasks) {
      const drawn = series(chart, task);
      assert.deepEqual(drawn.data, runs.map((run) => latest.get(`${run.run_id} ${task}`) ?? null), task);
      assert.equal(drawn.type, 'bar');
    }
    // The failed run stops at validate_delivery: nothing after it ran.
    assert.equal(series(chart, 'complete_pipeline_run').data[3], null);
  });

  it('rows per layer equal catalog.pipeline_runs', async () => {
    const runs = await chRows<Record<string, number>>(pipeline, 'SELECT bronze_rows, quarantined_rows, silver_new_rows, gold_hourly_rows, gold_daily_rows FROM catalog.pipeline_runs FINAL ORDER BY window_start');
    const chart = charts['layer-rows']!;
    for (const column of ['bronze_rows', 'quarantined_rows', 'silver_new_rows', 'gold_hourly_rows', 'gold_daily_rows']) {
      assert.deepEqual(series(chart, column).data, runs.map((run) => run[column]), column);
    }
    assert.ok(runs[0]!.bronze_rows! > 0);
  });

  it('quarantine reasons per day equal silver.quarantine_events', async () => {
    const rows = await chRows<{ day: string; reason: string; rows: number }>(
      pipeline, 'SELECT toString(toDate(_window_start)) AS day, rejection_reason AS reason, count() AS rows FROM silver.quarantine_events FINAL GROUP BY day, reason');
    const chart = charts['quarantine-reasons']!;
    const days = [...new Set(rows.map((row) => row.day))].sort();
    assert.deepEqual(chart.xAxis[0], days);
    assert.deepEqual(chart.series.map((candidate) => candidate.id).sort(), [...new Set(rows.map((row) => row.reason))].sort());
    for (const row of rows) assert.equal(series(chart, row.reason).data[days.indexOf(row.day)], row.rows, `${row.day} ${row.reason}`);
    assert.ok(rows.length > 1);
  });

  it('the validation matrix holds each run\'s latest round of every check, the failed one included', async () => {
    const runs = await chRows<{ run_id: string; window_start: string }>(pipeline, 'SELECT run_id, toString(window_start) AS window_start FROM catalog.pipeline_runs FINAL ORDER BY window_start');
    const log = await chRows<{ run_id: string; check_name: string; checked_at: string; passed: number }>(pipeline, 'SELECT run_id, check_name, toString(checked_at) AS checked_at, passed FROM catalog.validation_log');
    const latestRound = new Map<string, string>();
    for (const row of log) {
      const key = `${row.run_id} ${row.check_name}`;
      if ((latestRound.get(key) ?? '') < row.checked_at) latestRound.set(key, row.checked_at);
    }
    const label = new Map(runs.map((run) => [run.run_id, run.window_start.slice(0, 16)]));
    const expected = [...latestRound].map(([key, checkedAt]) => {
      const [runId, check] = key.split(' ') as [string, string];
      const round = log.filter((row) => row.run_id === runId && row.check_name === check && row.checked_at === checkedAt);
      return [label.get(runId), check, round.filter((row) => row.passed === 0).length, round.length];
    });
    const chart = charts['validation-matrix']!;
    const sortCells = (cells: unknown[]) => [...cells].map((cell) => JSON.stringify(cell)).sort();
    assert.deepEqual(sortCells(series(chart, 'validation').data), sortCells(expected));
    assert.deepEqual(chart.yAxis[0], [...new Set(log.map((row) => row.check_name))].sort());
    const failedCells = expected.filter((cell) => (cell[2] as number) > 0);
    assert.deepEqual(failedCells.map((cell) => [cell[0], cell[1]]), [['2026-11-20 13:00', 'clickhouse_vs_postgres']]);

    // As drawn: the failed cell is red, a passed one green (a pixel of each cell, clear of its label).
    const colour = (run: string, check: string) => page.evaluate(`(() => {
      const element = document.querySelector('[data-chart="validation-matrix"]');
      const chart = window.echarts.getInstanceByDom(element);
      const [x, y] = chart.convertToPixel({ seriesIndex: 0 }, [${JSON.stringify(run)}, ${JSON.stringify(check)}]);
      // The chart as one picture: ECharts draws the heatmap on layers of their own.
      const canvas = chart.renderToCanvas();
      const ratio = canvas.width / element.clientWidth;
      return [...canvas.getContext('2d').getImageData(Math.round((x - 60) * ratio), Math.round((y - 8) * ratio), 1, 1).data];
    })()`) as Promise<number[]>;
    const [red, green] = await colour('2026-11-20 13:00', 'clickhouse_vs_postgres');
    assert.ok(red! > 180 && green! < 120, `failed cell drawn rgb ${red},${green}`);
    const [passedRed, passedGreen] = await colour('2026-11-20 10:00', 'clickhouse_vs_postgres');
    assert.ok(passedGreen! > 130 && passedRed! < 100, `passed cell drawn rgb ${passedRed},${passedGreen}`);
  });

  it('the lineage graph draws catalog.data_lineage: its datasets, and every flow labelled by its task', async () => {
    const flows = await chRows<{ source_table: string; target_table: string; task_name: string }>(pipeline, 'SELECT source_table, target_table, task_name FROM catalog.data_lineage FINAL');
    const graph = series(charts.lineage!, 'lineage');
    assert.equal(graph.type, 'graph');
    const drawn = (graph.links ?? []).map((link) => `${link.source} -> ${link.target} by ${link.label?.formatter}`).sort();
    assert.deepEqual(drawn, flows.map((flow) => `${flow.source_table} -> ${flow.target_table} by ${flow.task_name}`).sort());
    const names = (graph.data as { name: string }[]).map((node) => node.name).sort();
    assert.deepEqual(names, [...new Set(flows.flatMap((flow) => [flow.source_table, flow.target_table]))].sort());
    assert.ok(flows.some((flow) => flow.source_table === 'source.synthetic' && flow.target_table === 'bronze.stg_events' && flow.task_name === 'load_bronze'));
  });

  it('the runs table shows every run of catalog.pipeline_runs with its status, counts and error', async () => {
    const runs = await chRows<Record<string, string | number | null>>(
      pipeline,
      `SELECT run_id, formatDateTime(window_start, '%Y-%m-%d %H:%i') AS window_start, status, toString(started_at) AS started_at,
              if(finished_at IS NULL, NULL, dateDiff('millisecond', started_at, finished_at)) AS duration_ms,
              bronze_rows, quarantined_rows, silver_new_rows, duplicate_rows, already_in_silver_rows, gold_hourly_rows, gold_daily_rows, failed_task, error
       FROM catalog.pipeline_runs FINAL ORDER BY window_start`);
    const table = (await page.evaluate(READ_RUNS_TABLE)) as { runId: string; cells: Record<string, string>; error: string }[];
    assert.deepEqual(table.map((row) => row.runId), runs.map((run) => run.run_id));
    table.forEach((row, index) => {
      for (const [column] of RUN_COLUMNS) assert.equal(row.cells[column], String(runs[index]![column] ?? ''), `${row.runId} ${column}`);
      assert.equal(row.error, runs[index]!.error, `${row.runId} error`);
    });
    assert.deepEqual(table.map((row) => row.cells.status), ['success', 'success', 'success', 'failed']);
    assert.match(table[3]!.error, /clickhouse_vs_postgres hour 2026-11-20 13:00:00 event_count: expected \d+, got \d+/);
  });
});
