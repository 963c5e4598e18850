import type { RunContext } from '../pipeline/context.js';
import { emitterFor } from './emitter.js';
import { isoTime, runEvent } from './events.js';
import { documentationFacet, errorMessageFacet, jobTypeFacet, nominalTimeFacet, parentRunFacet, processingEngineFacet } from './facets.js';
import { windowRun } from './run-ids.js';

export interface WindowEvents {
  /** Emits COMPLETE, or FAIL naming the task that failed the run and its error (masked). */
  end(failure?: { task: string; error: string }): void;
}

const DESCRIPTION = 'Hourly medallion ETL: one window through bronze, silver and gold in ClickHouse, delivered to the Parquet lake and PostgreSQL';

/**
 * The embedded runner's run of a whole window: job `medallion_etl`, the run id every task of the window
 * names as its parent (see windowRun). Its parent is the orchestrator's run when OPENLINEAGE_PARENT_ID
 * names one. Undefined when OpenLineage is off.
 */
export function startWindowEvents(ctx: RunContext): WindowEvents | undefined {
  const settings = ctx.config.openlineage;
  if (!settings) return undefined;
  const emitter = emitterFor(settings);
  const run = windowRun(settings.namespace, ctx.runId);
  const describe = (eventType: 'START' | 'COMPLETE' | 'FAIL', error?: string) =>
    runEvent({
      eventType,
      runId: run.runId,
      runFacets: {
        parent: settings.parent ? parentRunFacet(settings.parent, settings.root) : undefined,
        nominalTime: nominalTimeFacet(isoTime(ctx.batch.windowStart), isoTime(ctx.batch.windowEnd)),
        processing_engine: processingEngineFacet(),
        errorMessage: error !== undefined ? errorMessageFacet(error) : undefined,
      },
      job: { namespace: run.namespace, name: run.name },
      jobFacets: { jobType: jobTypeFacet('DAG'), documentation: documentationFacet(DESCRIPTION) },
    });
  emitter.emit(describe('START'), ctx.runId);
  return {
    end(failure) {
      emitter.emit(failure ? describe('FAIL', `${failure.task}: ${failure.error}`) : describe('COMPLETE'), ctx.runId);
    },
  };
}
