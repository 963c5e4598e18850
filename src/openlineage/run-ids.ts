import { v5 as uuidv5, v7 as uuidv7 } from 'uuid';
import type { RunReference } from './config.js';

/** The job of a window's run of the whole graph, as the Airflow DAG is named. */
export const PIPELINE_JOB = 'medallion_etl';

/** A task's job: `<dag>.<task>`, as Airflow's OpenLineage provider names a task's job. */
export const taskJobName = (taskId: string) => `${PIPELINE_JOB}.${taskId}`;

/** A task attempt's run id: new for every attempt, time-ordered (UUIDv7), as the OpenLineage clients make them. */
export const attemptRunId = (): string => uuidv7();

/** The UUIDv5 namespace of window run ids (itself UUIDv5 of the project's URL in the URL namespace). */
const WINDOW_RUN_NAMESPACE = uuidv5('https://github.com/medallion-etl/medallion/openlineage/window-run', uuidv5.URL);

/**
 * The run of the `medallion_etl` job for one window: a UUID derived from Medallion's run id (and the job's
 * namespace), so every task of the window, in whatever process it runs (each Airflow task is one), names
 * the same parent, and a rerun of the window is the same run.
 */
export function windowRun(namespace: string, medallionRunId: string): RunReference {
  return { namespace, name: PIPELINE_JOB, runId: uuidv5(`${namespace}/${PIPELINE_JOB}/${medallionRunId}`, WINDOW_RUN_NAMESPACE) };
}
