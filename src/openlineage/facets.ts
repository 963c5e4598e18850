import { readFileSync } from 'node:fs';
import { maskSecrets } from '../secrets.js';
import type { RunReference } from './config.js';

/**
 * The facets Medallion's events carry, each with the `_schemaURL` of the facet version the official
 * clients (openlineage-java 1.55, openlineage-python 1.54) write for it, so a consumer validating against
 * the schema a facet names finds these fields there.
 */

/** Medallion's version (package.json): read at run time, so dist/ and src/ report the same. */
export const MEDALLION_VERSION: string = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/**
 * Who produced an event, as OpenLineage asks: a URI of the producing code at its version. package.json
 * names no repository, so this is the project's canonical repository URL.
 */
export const PRODUCER = `https://github.com/medallion-etl/medallion/tree/${MEDALLION_VERSION}`;

const SPEC = 'https://openlineage.io/spec';
export const RUN_EVENT_SCHEMA_URL = `${SPEC}/2-0-2/OpenLineage.json#/$defs/RunEvent`;
const facetSchema = (version: string, facet: string) => `${SPEC}/facets/${version}/${facet}.json#/$defs/${facet}`;

/** The fields every facet starts with. */
const facet = (version: string, name: string) => ({ _producer: PRODUCER, _schemaURL: facetSchema(version, name) });

export type Facet = Record<string, unknown> & { _producer: string; _schemaURL: string };

/** The run that started this one, and the root of the hierarchy (an Airflow DAG run, or the window's run itself). */
export function parentRunFacet(parent: RunReference, root?: RunReference): Facet {
  const reference = (run: RunReference) => ({ run: { runId: run.runId }, job: { namespace: run.namespace, name: run.name } });
  return { ...facet('1-2-0', 'ParentRunFacet'), ...reference(parent), ...(root ? { root: reference(root) } : {}) };
}

/** The window a run processes: [start, end). */
export function nominalTimeFacet(start: string, end: string): Facet {
  return { ...facet('1-0-1', 'NominalTimeRunFacet'), nominalStartTime: start, nominalEndTime: end };
}

export function processingEngineFacet(): Facet {
  return { ...facet('1-1-1', 'ProcessingEngineRunFacet'), version: MEDALLION_VERSION, name: 'Medallion', openlineageAdapterVersion: MEDALLION_VERSION };
}

/** A failed run's error, its secrets masked (src/secrets.ts) whoever masked it before. */
export function errorMessageFacet(message: string): Facet {
  return { ...facet('1-0-1', 'ErrorMessageRunFacet'), message: maskSecrets(message), programmingLanguage: 'TypeScript' };
}

/** `jobType`: TASK for a task of the graph, DAG for the window's run of the whole graph (Airflow's words). */
export function jobTypeFacet(jobType: 'TASK' | 'DAG'): Facet {
  return { ...facet('2-0-4', 'JobTypeJobFacet'), processingType: 'BATCH', integration: 'MEDALLION', jobType };
}

export function documentationFacet(description: string): Facet {
  return { ...facet('1-1-0', 'DocumentationJobFacet'), description };
}

export interface SchemaField {
  name: string;
  type: string;
  description: string;
  position: number;
}

/** A table's columns as catalog.column_registry holds them. */
export function schemaFacet(fields: readonly SchemaField[]): Facet {
  return {
    ...facet('1-2-0', 'SchemaDatasetFacet'),
    fields: fields.map((field) => ({ name: field.name, type: field.type, ...(field.description ? { description: field.description } : {}), ordinal_position: field.position })),
  };
}

/** What a task wrote to an output: rows, and bytes and files where it knows them. */
export function outputStatisticsFacet(statistics: { rows: number; bytes?: number; files?: number }): Facet {
  return {
    ...facet('1-0-2', 'OutputStatisticsOutputDatasetFacet'),
    rowCount: statistics.rows,
    ...(statistics.bytes !== undefined ? { size: statistics.bytes } : {}),
    ...(statistics.files !== undefined ? { fileCount: statistics.files } : {}),
  };
}

export interface Assertion {
  /** The check's name in catalog.validation_log (accounting, gold_vs_silver, clickhouse_vs_postgres, …). */
  assertion: string;
  success: boolean;
  /** The compared column, when the metric is one of the dataset's columns. */
  column?: string;
  /** The values compared, as validation_log records them. */
  expected: string;
  actual: string;
}

/** The checks a task made on an input; every check failing fails the run, hence severity error. */
export function dataQualityAssertionsFacet(assertions: readonly Assertion[]): Facet {
  return {
    ...facet('1-1-0', 'DataQualityAssertionsDatasetFacet'),
    assertions: assertions.map((assertion) => ({ severity: 'error', ...assertion })),
  };
}
