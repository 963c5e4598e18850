import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
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

  it('kill -9 before the page is renamed over the report leaves the previous report whole; the next one removes the leftover and equals a clean one', async () => {
    const env = { MEDALLION_HOME: path.join(home, 'killed'), MEDALLION_EVENTS_PER_HOUR: '300' };
    assert.equal((await medallion(['run', '--from', '2026-11-20T10:00Z'], env)).code, 0);
    const out = path.join(home, 'killed-report', 'report.html');
    const clean = await medallion(['report', '--out', out], env);
    assert.equal(clean.code, 0, clean.stderr);
    const before = await readFile(out, 'utf8');
    // The page of the second report differs from the first: one more run.
    assert.equal((await medallion(['run', '--from', '2026-11-20T11:00Z'], env)).code, 0);

    const killed = await medallion(['report', '--out', out], { ...env, MEDALLION_KILL_AT: 'mid:report' });
    assert.equal(killed.signal, 'SIGKILL', killed.stderr);
    assert.equal(await readFile(out, 'utf8'), before, 'the previous report, whole');
    const leftovers = (await readdir(path.dirname(out))).filter((name) => name !== 'report.html');
    assert.equal(leftovers.length, 1);
    assert.match(leftovers[0]!, /^\.report\.html\.\d+\.tmp$/, 'hidden, beside the report');

    const rerun = await medallion(['report', '--out', out], env);
    assert.equal(rerun.code, 0, rerun.stderr);
    assert.deepEqual(await readdir(path.dirname(out)), ['report.html'], 'the leftover is removed');
    const again = await medallion(['report', '--out', path.join(home, 'killed-clean', 'report.html')], env);
    assert.equal(again.code, 0, again.stderr);
    const withoutTime = (html: string) => html.replace(/Generated \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/g, 'Generated');
    const repaired = await readFile(out, 'utf8');
    assert.equal(withoutTime(repaired), withoutTime(await readFile(path.join(home, 'killed-clean', 'report.html'), 'utf8')));
    assert.equal(embeddedCharts(repaired)['layer-rows']!.xAxis!.data!.length, 2, 'the rerun shows both runs');
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
