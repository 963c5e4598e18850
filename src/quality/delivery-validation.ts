import type { Lake, Postgres, Warehouse } from '../engines/index.js';
import type { TouchedWindows } from '../layers/bronze/repository.js';
import type { ValidationRow } from '../layers/catalog/repository.js';
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
    delivery.lakeHourlyTotals(lake, touched),
    delivery.lakeDailyTotals(lake, touched),
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
