import type { Warehouse } from '../engines/index.js';
import * as catalog from '../layers/catalog/repository.js';
import type { DatasetId } from '../pipeline/datasets.js';
import type { Assertion, SchemaField } from './facets.js';
import type { OpenLineageDataset } from './naming.js';

/**
 * What the catalog knows that the events carry: the registered columns (schema facets) and the checks a
 * task recorded (data-quality assertions). Reading either must never fail a task: a failure leaves the
 * facet out.
 */

type Registered = NonNullable<OpenLineageDataset['registered']>;
type Schemas = Map<string, SchemaField[]>;

const keyOf = (table: Registered) => `${table.target}/${table.database}/${table.table}`;

/** catalog.column_registry, read once per process (per ClickHouse connection) and kept: a few hundred rows. */
const schemasByWarehouse = new WeakMap<Warehouse, Promise<Schemas>>();

export function registeredSchemas(clickhouse: Warehouse): Promise<Schemas> {
  let schemas = schemasByWarehouse.get(clickhouse);
  if (!schemas) {
    schemas = readSchemas(clickhouse);
    schemasByWarehouse.set(clickhouse, schemas);
    // An empty registry (a new home before register_catalog) or a failed read is asked again next time.
    void schemas.then((read) => {
      if (read.size === 0) forgetRegisteredSchemas(clickhouse);
    });
  }
  return schemas;
}

/** register_catalog has just (re)written the registry: the next event reads it again. */
export function forgetRegisteredSchemas(clickhouse: Warehouse): void {
  schemasByWarehouse.delete(clickhouse);
}

async function readSchemas(clickhouse: Warehouse): Promise<Schemas> {
  const schemas: Schemas = new Map();
  try {
    for (const column of await catalog.registeredColumns(clickhouse)) {
      const key = keyOf({ target: column.target, database: column.database, table: column.table_name });
      const fields = schemas.get(key) ?? [];
      fields.push({ name: column.column_name, type: column.data_type, description: column.description, position: Number(column.position) });
      schemas.set(key, fields);
    }
  } catch {
    // No registry yet (the catalog is created by ensure_all_tables): no schema facets for now.
  }
  return schemas;
}

export function schemaOf(schemas: Schemas, dataset: OpenLineageDataset): SchemaField[] | undefined {
  return dataset.registered ? schemas.get(keyOf(dataset.registered)) : undefined;
}

/** The table a check of catalog.validation_log compares, by the check's grain: hours are the hourly table, dates the daily one. */
function checkedTable(grain: string): 'agg_events_hourly' | 'rpt_daily_summary' {
  return grain === 'date' ? 'rpt_daily_summary' : 'agg_events_hourly';
}

/**
 * The dataset a check is about: the side it verifies (src/quality/gate.ts, src/quality/delivery-validation.ts).
 * The batch's accounting is of its bronze rows; a check of a delivered copy is of that copy.
 */
function checkedDataset(check: string, grain: string): DatasetId | undefined {
  switch (check) {
    case 'accounting':
      return 'bronze.stg_events';
    case 'silver_once':
      return 'silver.fact_events';
    case 'gold_vs_silver':
      return 'gold.agg_events_hourly';
    case 'file_accounting':
      return 'catalog.source_files';
    case 'clickhouse_vs_postgres':
      return `postgres.{schema}.${checkedTable(grain)}`;
    case 'clickhouse_vs_lake':
    case 'lake_partition_files':
      return `lake.${checkedTable(grain)}`;
    default:
      return undefined;
  }
}

/**
 * The checks the task's attempt recorded for the run (those written since it started), as assertions on
 * the inputs they check; a check about no declared input goes to the first one. `columnsOf` says which
 * metrics are columns of a dataset (a metric such as `event_count` is; `rows` or `stray_files` is not).
 */
export async function assertionsByInput(
  clickhouse: Warehouse,
  runId: string,
  since: Date,
  inputs: readonly DatasetId[],
  columnsOf: (dataset: DatasetId) => ReadonlySet<string>,
): Promise<Map<DatasetId, Assertion[]>> {
  const byInput = new Map<DatasetId, Assertion[]>();
  const first = inputs[0];
  if (!first) return byInput;
  const rows = await catalog.validationsSince(clickhouse, runId, since.toISOString().replace('T', ' ').replace('Z', ''));
  for (const row of rows) {
    const checked = checkedDataset(row.check_name, row.grain);
    const dataset = checked && inputs.includes(checked) ? checked : first;
    const metric = row.metric.split(' ')[0] ?? row.metric;
    const assertions = byInput.get(dataset) ?? [];
    assertions.push({
      assertion: row.check_name,
      success: Number(row.passed) === 1,
      ...(columnsOf(dataset).has(metric) ? { column: metric } : {}),
      expected: String(row.expected),
      actual: String(row.actual),
    });
    byInput.set(dataset, assertions);
  }
  return byInput;
}
