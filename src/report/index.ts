import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Warehouse } from '../engines/index.js';
import { processExists } from '../engines/processes.js';
import { faultPoint, REPORT_POINT } from '../faults.js';
import { chartLibrary } from './echarts-bundle.js';
import { renderReport } from './html.js';
import { readReportData, type ReportBounds } from './repository.js';

export { type ReportBounds } from './repository.js';

/** By default a month of dates and a week of hourly runs: months of history stay a page of a few MB. */
export const DEFAULT_BOUNDS: ReportBounds = { days: 30, runs: 168 };

export interface WrittenReport {
  /** Absolute path of the HTML file. */
  path: string;
  bytes: number;
  /** Runs shown; 0 for a home without runs (the page says so). */
  runs: number;
}

/**
 * Writes the self-contained report (charts, lineage and runs of the catalog and gold) to `out`. The file is
 * written beside its name, hidden (`.<name>.<pid>.tmp`), and renamed, so a browser that has the old one open
 * never reads half of it; what a writer killed before its rename left is removed by the next one.
 */
export async function writeReport(clickhouse: Warehouse, out: string, bounds: ReportBounds = DEFAULT_BOUNDS): Promise<WrittenReport> {
  const data = await readReportData(clickhouse, bounds);
  const html = renderReport({ data, generatedAt: new Date(), library: chartLibrary() });
  const target = path.resolve(out);
  const directory = path.dirname(target);
  await mkdir(directory, { recursive: true });
  await removeAbandonedStaging(directory, path.basename(target));
  const staging = path.join(directory, `.${path.basename(target)}.${process.pid}.tmp`);
  await writeFile(staging, html);
  faultPoint(REPORT_POINT);
  await rename(staging, target);
  return { path: target, bytes: Buffer.byteLength(html), runs: data?.runs.length ?? 0 };
}

/** The staging files of `name` whose writer is dead (a live one is still writing its own). */
async function removeAbandonedStaging(directory: string, name: string): Promise<void> {
  const prefix = `.${name}.`;
  for (const entry of await readdir(directory)) {
    const pid = entry.startsWith(prefix) && entry.endsWith('.tmp') ? Number(entry.slice(prefix.length, -'.tmp'.length)) : NaN;
    if (Number.isInteger(pid) && pid !== process.pid && !processExists(pid)) await rm(path.join(directory, entry), { force: true });
  }
}
