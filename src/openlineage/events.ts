import { PRODUCER, RUN_EVENT_SCHEMA_URL, type Facet } from './facets.js';

/** An OpenLineage RunEvent (spec 2-0-2), as Medallion writes it. */
export interface RunEvent {
  eventType: 'START' | 'COMPLETE' | 'FAIL';
  eventTime: string;
  producer: string;
  schemaURL: string;
  run: { runId: string; facets: Record<string, Facet> };
  job: { namespace: string; name: string; facets: Record<string, Facet> };
  inputs: InputDataset[];
  outputs: OutputDataset[];
}

export interface InputDataset {
  namespace: string;
  name: string;
  facets?: Record<string, Facet>;
  inputFacets?: Record<string, Facet>;
}

export interface OutputDataset {
  namespace: string;
  name: string;
  facets?: Record<string, Facet>;
  outputFacets?: Record<string, Facet>;
}

/** Facets by name, an absent one undefined (left out of the event). */
type MaybeFacets = Record<string, Facet | undefined>;

export interface DatasetParts {
  namespace: string;
  name: string;
  facets?: MaybeFacets;
  inputFacets?: MaybeFacets;
  outputFacets?: MaybeFacets;
}

export interface EventParts {
  eventType: RunEvent['eventType'];
  runId: string;
  runFacets: MaybeFacets;
  job: { namespace: string; name: string };
  jobFacets: MaybeFacets;
  inputs?: DatasetParts[];
  outputs?: DatasetParts[];
}

/** A run event from its parts; absent facets are left out, and so are empty facet maps of datasets. */
export function runEvent(parts: EventParts, eventTime = new Date()): RunEvent {
  return {
    eventType: parts.eventType,
    eventTime: eventTime.toISOString(),
    producer: PRODUCER,
    schemaURL: RUN_EVENT_SCHEMA_URL,
    run: { runId: parts.runId, facets: present(parts.runFacets) },
    job: { ...parts.job, facets: present(parts.jobFacets) },
    inputs: (parts.inputs ?? []).map(withoutEmptyFacets),
    outputs: (parts.outputs ?? []).map(withoutEmptyFacets),
  };
}

function present(facets: MaybeFacets): Record<string, Facet> {
  return Object.fromEntries(Object.entries(facets).filter((entry): entry is [string, Facet] => entry[1] !== undefined));
}

function withoutEmptyFacets(dataset: DatasetParts): InputDataset & OutputDataset {
  const kept: InputDataset & OutputDataset = { namespace: dataset.namespace, name: dataset.name };
  for (const key of ['facets', 'inputFacets', 'outputFacets'] as const) {
    const facets = present(dataset[key] ?? {});
    if (Object.keys(facets).length > 0) kept[key] = facets;
  }
  return kept;
}

/** 'YYYY-MM-DD hh:mm:ss' (UTC, as a batch writes its window) as ISO 8601. */
export const isoTime = (clickhouseTime: string) => `${clickhouseTime.replace(' ', 'T')}Z`;
