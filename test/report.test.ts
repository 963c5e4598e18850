import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import vm from 'node:vm';
import { loadConfig } from '../src/config.js';
import { lineage } from '../src/pipeline/graph.js';
import { inlineScript } from '../src/report/echarts-bundle.js';
import { jsonForScript } from '../src/report/html.js';
import { layoutLineage } from '../src/report/lineage-layout.js';
import { medallion } from './cli.js';

/** The charts' options as the page embeds them (<script type="application/json" id="report-data">). */
function embeddedCharts(html: string): Record<string, { xAxis?: { data?: string[] }; series?: { id: string; data: unknown[] }[] }> {
  const json = /<script type="application\/json" id="report-data">(.*?)<\/script>/s.exec(html)?.[1];
  assert.ok(json, 'the page embeds its data');
  return (JSON.parse(json) as { charts: ReturnType<typeof embeddedCharts> }).charts;
}

describe('medallion report', () => {
  let home: string;

  before(async () => {
    home = await mkdtemp(path.join(os.tmpdir(), 'medallion-report-'));
  });

  after(async () => {
    await rm(home, { recursive: true, force: true });
  });

  it('on a fresh home writes a valid page that says there are no runs yet, with no URL and no script', async () => {
    const out = path.join(home, 'empty', 'x.html');
    const result = await medallion(['report', '--out', out], { MEDALLION_HOME: path.join(home, 'fresh') });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.trim(), out);
    assert.match(result.stderr, /no runs yet/);
    const html = await readFile(out, 'utf8');
    assert.match(html, /^<!DOCTYPE html>\n<html lang="en">[\s\S]*<\/html>\n$/);
    assert.match(html, /<h2>No runs yet<\/h2>/);
    assert.doesNotMatch(html, /:\/\/|<script|<link\b|url\(/i);
  });

  it('npm start ends by writing the report of its runs and printing its path; --runs and --days bound what it shows', async () => {
    const env = { MEDALLION_HOME: path.join(home, 'started'), MEDALLION_EVENTS_PER_HOUR: '300' };
    const started = await medallion(['start', '--hours', '2'], env);
    assert.equal(started.code, 0, started.stderr);
    const lines = started.stdout.trim().split('\n');
    const report = path.join(env.MEDALLION_HOME, 'report.html');
    assert.equal(lines.at(-1), `Report: ${report}`);
    assert.ok(started.stdout.search(/All 2 runs succeeded/) >= 0 && started.stdout.search(/All 2 runs succeeded/) < started.stdout.indexOf('Report: '), 'the report comes after the summary');
    const charts = embeddedCharts(await readFile(report, 'utf8'));
    const windows = charts['layer-rows']!.xAxis!.data!;
    assert.equal(windows.length, 2);
    const bronze = charts['layer-rows']!.series!.find((series) => series.id === 'bronze_rows')!.data;
    const catalog = await medallion(['query', '--format', 'json', 'SELECT bronze_rows FROM catalog.pipeline_runs FINAL ORDER BY window_start'], env);
    assert.equal(catalog.code, 0, catalog.stderr);
    assert.deepEqual(bronze, (JSON.parse(catalog.stdout) as { bronze_rows: number }[]).map((run) => run.bronze_rows));
    assert.ok((bronze[0] as number) >= 300);

    const bounded = await medallion(['report', '--runs', '1', '--days', '1', '--out', path.join(home, 'latest.html')], env);
    assert.equal(bounded.code, 0, bounded.stderr);
    const latest = embeddedCharts(await readFile(bounded.stdout.trim(), 'utf8'));
    assert.deepEqual(latest['layer-rows']!.xAxis!.data, windows.slice(1), 'the latest run only');
    assert.deepEqual(latest['daily-kpis']!.xAxis!.data, [windows[1]!.slice(0, 10)], 'the latest window\'s date only');
  });

  it('embeds data so that no value can end its script element, and reads back the same', () => {
    const hostile = { error: 'a</script><script>alert(1)</script><!-- & \u2028 \u2029 >' };
    const text = jsonForScript(hostile);
    assert.doesNotMatch(text, /[<>&\u2028\u2029]/);
    assert.deepEqual(JSON.parse(text), hostile);

    const script = 'var s = "</script><!--"; var t = "</SCRIPT>";';
    const safe = inlineScript(script);
    assert.doesNotMatch(safe, /<\/script|<!--/i);
    const run = (source: string) => JSON.stringify(vm.runInNewContext(`${source} [s, t]`));
    assert.deepEqual(run(safe), run(script));
  });

  it('lays the lineage out from sources to deliveries: every flow points right, no two datasets share a place', () => {
    const flows = lineage(loadConfig({ MEDALLION_HOME: home }));
    const placed = layoutLineage(flows);
    const at = new Map(placed.map((dataset) => [dataset.name, dataset]));
    for (const flow of flows) assert.ok(at.get(flow.target)!.column > at.get(flow.source)!.column, `${flow.source} -> ${flow.target}`);
    assert.equal(new Set(placed.map((dataset) => `${dataset.column},${dataset.row}`)).size, placed.length);
    assert.equal(at.get('source.synthetic')!.column, 0);
    assert.deepEqual(layoutLineage(flows), placed, 'the same catalog draws the same picture');
  });
});
