import type { Lake, Postgres, Warehouse } from '../engines/index.js';
import type { TouchedWindows } from '../layers/bronze/repository.js';
import type { ValidationRow } from '../layers/catalog/repository.js';
import * as lakeDelivery from '../layers/delivery/lake.js';
import * as delivery from '../layers/delivery/repository.js';
import * as gold from '../layers/gold/repository.js';
import { compareTotals, sumByWindow, totalsByWindow } from './checks.js';

const HOURLY_METRICS = ['event_count', 'revenue_events', 'total_value'] as const;
const DAILY_METRICS = ['total_events', 'unique_users', 'revenue_events', 'total_revenue', 'avg_value'] as const;

/**
 * Compares, for every touched hour and date, ClickHouse gold with PostgreSQL and with the lake (read back
 * by an independent Parquet reader): row counts, event totals and money.
 */
export async function compareDeliveredTotals(
  targets: { clickhouse: Warehouse; postgres: Postgres; lake: Lake; schema: string },
  runId: string,
  touched: TouchedWindows,
): Promise<ValidationRow[]> {
  const { clickhouse, postgres, lake, schema } = targets;
  const [hourly, daily, pgHourly, pgDaily, lakeHourly, lakeDaily] = await Promise.all([
    gold.readHourly(clickhouse, touched),
    gold.readDaily(clickhouse, touched),
    delivery.postgresHourlyTotals(postgres, schema, touched),
    delivery.postgresDailyTotals(postgres, schema, touched),
    lakeDelivery.lakeHourlyTotals(lake, touched),
    lakeDelivery.lakeDailyTotals(lake, touched),
  ]);
  const hourlyMetrics = ['rows', ...HOURLY_METRICS];
  const dailyMetrics = ['rows', ...DAILY_METRICS];
  const referenceHourly = sumByWindow(hourly, gold.hourOf, [...HOURLY_METRICS]);
  const referenceDaily = sumByWindow(daily, (row) => row.event_date, [...DAILY_METRICS]);
  return [
    ...compareTotals(runId, 'clickhouse_vs_postgres', 'hour', touched.hours, hourlyMetrics, referenceHourly, totalsByWindow(pgHourly, hourlyMetrics)),
    ...compareTotals(runId, 'clickhouse_vs_postgres', 'date', touched.dates, dailyMetrics, referenceDaily, totalsByWindow(pgDaily, dailyMetrics)),
    ...compareTotals(runId, 'clickhouse_vs_lake', 'hour', touched.hours, hourlyMetrics, referenceHourly, totalsByWindow(lakeHourly, hourlyMetrics)),
    ...compareTotals(runId, 'clickhouse_vs_lake', 'date', touched.dates, dailyMetrics, referenceDaily, totalsByWindow(lakeDaily, dailyMetrics)),
  ];
}

/** How many stray keys a failed check names; the count says how many there are. */
const NAMED_STRAYS = 5;

/**
 * Every touched partition folder holds its part file and nothing else: Spark, Trino, Athena and DuckDB
 * read every file of a partition whose name does not start with `_` or `.`, so one stray file (a
 * killed writer's leftover, a foreign copy) breaks or doubles the partition for them. One check per
 * partition; a failed one names the stray keys in its metric.
 */
export async function checkLakePartitionFiles(lake: Lake, runId: string, touched: TouchedWindows): Promise<ValidationRow[]> {
  return (await lakeDelivery.listTouchedPartitions(lake, touched)).map((partition) => {
    const strays = partition.objects.filter((key) => key !== partition.part);
    const named = strays.slice(0, NAMED_STRAYS).join(', ') + (strays.length > NAMED_STRAYS ? ` and ${strays.length - NAMED_STRAYS} more` : '');
    return {
      run_id: runId,
      check_name: 'lake_partition_files',
      grain: partition.grain,
      window_key: partition.window,
      metric: strays.length === 0 ? 'stray_files' : `stray_files ${named}`,
      expected: 0,
      actual: strays.length,
      passed: strays.length === 0 ? 1 : 0,
    };
  });
}
