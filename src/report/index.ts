import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Warehouse } from '../engines/index.js';
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
 * written beside its name and renamed, so a browser that has the old one open never reads half of it.
 */
export async function writeReport(clickhouse: Warehouse, out: string, bounds: ReportBounds = DEFAULT_BOUNDS): Promise<WrittenReport> {
  const data = await readReportData(clickhouse, bounds);
  const html = renderReport({ data, generatedAt: new Date(), library: chartLibrary() });
  const target = path.resolve(out);
  await mkdir(path.dirname(target), { recursive: true });
  const staging = `${target}.${process.pid}.tmp`;
  await writeFile(staging, html);
  await rename(staging, target);
  return { path: target, bytes: Buffer.byteLength(html), runs: data?.runs.length ?? 0 };
}
