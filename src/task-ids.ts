/**
 * The ids of the pipeline's 15 tasks, in graph order: the names configuration may refer to
 * (MEDALLION_FAIL_TASK, MEDALLION_KILL_AT). The graph itself, with dependencies, is src/pipeline/graph.ts,
 * which is typed by this list, so the two cannot drift apart.
 */
export const TASK_IDS = [
  'ensure_all_tables',
  'register_catalog',
  'start_pipeline_run',
  'load_bronze',
  'quarantine_invalid_rows',
  'transform_silver',
  'update_dim_users',
  'snapshot_gold_history',
  'aggregate_gold_hourly',
  'aggregate_gold_daily',
  'verify_pipeline',
  'export_gold_to_s3',
  'load_aurora',
  'validate_delivery',
  'complete_pipeline_run',
] as const;

export type TaskId = (typeof TASK_IDS)[number];

export function isTaskId(value: string): value is TaskId {
  return (TASK_IDS as readonly string[]).includes(value);
}
