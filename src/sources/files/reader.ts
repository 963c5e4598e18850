import type { QueryParams, Warehouse } from '../../engines/index.js';
import * as bronze from '../../layers/bronze/repository.js';
import { sqlFile } from '../../sql.js';
import type { Landing } from './landing.js';
import { CANONICAL_FIELDS, formatOf, type Mapping } from '../../source-mapping.js';

/**
 * Reading one landed file inside ClickHouse: the file's records (format-specific), mapped onto the
 * canonical event by the mapping's expressions. Nothing of a file passes through JavaScript.
 */
export interface FileQuery {
  /** A SELECT of the file's records: _medallion_line, _medallion_record, _medallion_problem and the mapping's columns. */
  records: string;
  /** A SELECT of the canonical rows: event_id … event_time, _medallion_line, _medallion_record, _medallion_problem. */
  mapped: string;
  /** A SELECT of the file's record count and checksum, reading it without parsing. */
  fingerprint: string;
  params: QueryParams;
}

const CLICKHOUSE_FORMAT = { ndjson: 'LineAsString', csv: 'LineAsString', parquet: 'Parquet' } as const;

/** The queries that read `location` through `mapping`. A CSV file's header is read first, to place its columns. */
export async function fileQuery(clickhouse: Warehouse, landing: Landing, mapping: Mapping, location: string): Promise<FileQuery> {
  const format = formatOf(location, mapping.format);
  const table = await landing.tableFunction(location, CLICKHOUSE_FORMAT[format]);
  const quoted = (column: string) => `\`${column}\``;
  let columns: string;
  let tupleType = '';
  const params: QueryParams = { ...table.params };
  switch (format) {
    case 'ndjson':
      tupleType = `'Tuple(${mapping.columns.map((column) => `${quoted(column)} Nullable(String)`).join(', ')})'`;
      columns = mapping.columns.map((column, index) => `ifNull(_medallion_fields.${index + 1}, '') AS ${quoted(column)}`).join(',\n    ');
      break;
    case 'csv': {
      const [first] = await clickhouse.rows<{ header: string[] }>(sqlFile(import.meta.url, 'csv_header').replace('/*TABLE_FUNCTION*/', table.sql), table.params);
      const header = first?.header ?? [];
      const missing = mapping.columns.filter((column) => !header.includes(column));
      if (missing.length > 0) throw new Error(`its header (${header.join(',') || 'empty'}) lacks the column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} of mapping ${mapping.name}`);
      params.header_width = header.length;
      columns = mapping.columns.map((column) => `_medallion_fields[${header.indexOf(column) + 1}] AS ${quoted(column)}`).join(',\n    ');
      break;
    }
    case 'parquet':
      columns = mapping.columns.map((column) => `ifNull(toString(${quoted(column)}), '') AS ${quoted(column)}`).join(',\n    ');
      break;
  }
  const records = sqlFile(import.meta.url, `records_${format}`).replace('/*COLUMNS*/', `,\n    ${columns}`).replace('/*TUPLE_TYPE*/', tupleType).replace('/*TABLE_FUNCTION*/', table.sql);
  // The raw read of the fingerprint: a CSV's header line is not a record.
  const raw = sqlFile(import.meta.url, 'file_fingerprint').replace('/*TABLE_FUNCTION*/', table.sql).replace('/*HEADER_FILTER*/', format === 'csv' ? 'WHERE _row_number > 0' : '');
  let mapped = sqlFile(import.meta.url, 'mapped_rows').replace('/*RECORDS*/', records);
  for (const field of CANONICAL_FIELDS) {
    const definition = mapping.fields[field];
    if ('constant' in definition) {
      params[`constant_${field}`] = definition.constant;
      mapped = mapped.replace(`/*${field}*/`, `{constant_${field}:String}`);
    } else {
      mapped = mapped.replace(`/*${field}*/`, definition.expression);
    }
  }
  return { records, mapped, fingerprint: raw, params };
}

/** Records and checksum of a file, read once before it is loaded; throws when the file cannot be read. */
export async function fingerprint(clickhouse: Warehouse, query: FileQuery): Promise<{ rows: number; checksum: string }> {
  const [row] = await clickhouse.rows<{ rows: number; checksum: string }>(query.fingerprint, query.params);
  return row ?? { rows: 0, checksum: '0' };
}

/** Loads the file's missing rows into bronze for the batch: its rows there before and after. */
export async function ingest(clickhouse: Warehouse, query: FileQuery, target: { batch_id: string; window_start: string; file_index: number; source_file: string }): Promise<{ before: number; after: number }> {
  const count = async () => (await clickhouse.rows<{ rows: number }>(sqlFile(import.meta.url, 'bronze_rows_of_file'), target))[0]?.rows ?? 0;
  const before = await count();
  await clickhouse.command(sqlFile(import.meta.url, 'ingest_file').replace('/*MAPPED_ROWS*/', query.mapped), { ...query.params, ...target });
  return { before, after: await count() };
}

export interface PreviewRow {
  event_id: string;
  user_name: string;
  category: string;
  source: string;
  value: number;
  event_time: string;
  line: number;
  record: string;
  rejection_reason: string;
}

/**
 * The first `sample` rows of a file as bronze would hold them, with the reasons the quality rules would give
 * (for a window starting at `windowStart`): what `medallion sources check` shows. Writes nothing.
 */
export async function preview(clickhouse: Warehouse, query: FileQuery, options: { windowStart: string; sample: number }): Promise<PreviewRow[]> {
  const sql = sqlFile(import.meta.url, 'preview').replace('/*REJECTION_RULES*/', bronze.rejectionRules()).replace('/*MAPPED_ROWS*/', query.mapped);
  return clickhouse.rows<PreviewRow>(sql, { ...query.params, window_start: options.windowStart, sample: options.sample });
}
