import type { RunContext, TaskResult } from '../pipeline/context.js';
import { writtenDataset, type DatasetId, type TaskData } from '../pipeline/datasets.js';
import { assertionsByInput, forgetRegisteredSchemas, registeredSchemas, schemaOf } from './catalog-facts.js';
import type { OpenLineageSettings } from './config.js';
import { emitterFor } from './emitter.js';
import { isoTime, runEvent, type DatasetParts } from './events.js';
import {
  dataQualityAssertionsFacet, documentationFacet, errorMessageFacet, jobTypeFacet, nominalTimeFacet, outputStatisticsFacet,
  parentRunFacet, processingEngineFacet, schemaFacet, type Assertion,
} from './facets.js';
import { datasetNaming } from './naming.js';
import { attemptRunId, taskJobName, windowRun } from './run-ids.js';

/** The end of an attempt whose START was emitted. */
export interface AttemptEvents {
  /** Emits COMPLETE (with what the task wrote) or FAIL (with its error, masked). Never throws. */
  end(outcome: { result?: TaskResult; error?: string }): Promise<void>;
}

/** The catalog table whose rows are the checks a task made: a task declaring it among its writes gets the assertions facet. */
const CHECKS: DatasetId = 'catalog.validation_log';

/**
 * Emits the START of a task attempt (a run of job `medallion_etl.<task>` with a new run id) and returns
 * what emits its end; undefined when OpenLineage is off, at no cost. The datasets are the task's declared
 * reads and writes (src/pipeline/graph.ts), named as OpenLineage names them. Nothing here fails the task:
 * a problem is reported once and the task goes on.
 */
/** `startedAt`: when the attempt starts; the checks it records in catalog.validation_log are those written since. */
export async function startAttemptEvents(task: TaskData, ctx: RunContext, startedAt: Date): Promise<AttemptEvents | undefined> {
  const settings = ctx.config.openlineage;
  if (!settings) return undefined;
  const emitter = emitterFor(settings);
  try {
    const describe = attemptDescriber(task, ctx, settings);
    emitter.emit(await describe('START', {}), ctx.runId);
    return {
      async end(outcome) {
        try {
          if (task.id === 'register_catalog' && !outcome.error) forgetRegisteredSchemas(await ctx.engines.clickhouse());
          emitter.emit(await describe(outcome.error === undefined ? 'COMPLETE' : 'FAIL', { ...outcome, startedAt }), ctx.runId);
        } catch (error) {
          emitter.problem(ctx.runId, `could not describe the end of ${task.id} (${(error as Error).message})`);
        }
      },
    };
  } catch (error) {
    emitter.problem(ctx.runId, `could not describe the start of ${task.id} (${(error as Error).message})`);
    return undefined;
  }
}

type Ending = { result?: TaskResult; error?: string; startedAt?: Date };

function attemptDescriber(task: TaskData, ctx: RunContext, settings: OpenLineageSettings) {
  const naming = datasetNaming(ctx.config);
  const runId = attemptRunId();
  const reads = [...task.reads];
  const writes = task.writes.map(writtenDataset);
  const parent = settings.parent ?? windowRun(settings.namespace, ctx.runId);
  // Under an orchestrator that names the parent, the root is what it names (if anything); otherwise the window's run is both.
  const root = settings.parent ? settings.root : parent;
  const window = { start: isoTime(ctx.batch.windowStart), end: isoTime(ctx.batch.windowEnd) };

  return async (eventType: 'START' | 'COMPLETE' | 'FAIL', ending: Ending) => {
    const clickhouse = reads.length + writes.length > 0 ? await ctx.engines.clickhouse().catch(() => undefined) : undefined;
    const schemas = clickhouse ? await registeredSchemas(clickhouse) : new Map();
    const schemaFacetOf = (dataset: DatasetId) => {
      const fields = schemaOf(schemas, naming(dataset));
      return fields ? schemaFacet(fields) : undefined;
    };
    const columnsOf = (dataset: DatasetId) => {
      // A lake table holds its gold table's columns (in Parquet), which the catalog registers for gold.
      const fields = schemaOf(schemas, naming(dataset)) ?? (dataset.startsWith('lake.') ? schemaOf(schemas, naming(`gold.${dataset.slice('lake.'.length)}` as DatasetId)) : undefined);
      return new Set((fields ?? []).map((field) => field.name));
    };
    const assertions = eventType !== 'START' && clickhouse && writes.includes(CHECKS) && ending.startedAt
      ? await assertionsByInput(clickhouse, ctx.runId, ending.startedAt, reads, columnsOf)
      : new Map<DatasetId, Assertion[]>();
    const inputs = reads.map((dataset): DatasetParts => {
      const checked = assertions.get(dataset);
      return { ...identity(naming(dataset)), facets: { schema: schemaFacetOf(dataset) }, inputFacets: { dataQualityAssertions: checked ? dataQualityAssertionsFacet(checked) : undefined } };
    });
    const outputs = writes.map((dataset): DatasetParts => {
      // Only a completed attempt knows what it wrote.
      const written = eventType === 'COMPLETE' ? ending.result?.outputs?.[dataset] : undefined;
      return { ...identity(naming(dataset)), facets: { schema: schemaFacetOf(dataset) }, outputFacets: { outputStatistics: written ? outputStatisticsFacet(written) : undefined } };
    });
    return runEvent({
      eventType,
      runId,
      runFacets: {
        parent: parentRunFacet(parent, root),
        nominalTime: nominalTimeFacet(window.start, window.end),
        processing_engine: processingEngineFacet(),
        errorMessage: ending.error !== undefined ? errorMessageFacet(ending.error) : undefined,
      },
      job: { namespace: settings.namespace, name: taskJobName(task.id) },
      jobFacets: { jobType: jobTypeFacet('TASK'), documentation: documentationFacet(task.description) },
      inputs,
      outputs,
    });
  };
}

const identity = (dataset: { namespace: string; name: string }) => ({ namespace: dataset.namespace, name: dataset.name });
