import type { Config } from '../config.js';
import type { Warehouse } from '../engines/index.js';
import type { Batch } from '../layers/batch.js';
import { openFilesSource } from './files/index.js';
import { openSyntheticSource } from './synthetic.js';

/**
 * Where a run's events come from: the synthetic generator, or files landed in a directory or an S3 prefix
 * and mapped onto the canonical event (MEDALLION_SOURCE). The pipeline knows only this interface.
 */
export interface Source {
  /** 'synthetic', or the mapping's name. */
  readonly name: string;
  /** The dataset lineage shows as bronze's origin: 'source.synthetic' or 'landing.<name>'. */
  readonly dataset: string;
  /**
   * True when the source knows before loading that the window has rows (the synthetic source at a positive
   * rate); false when only the load tells (files). The runner opens PostgreSQL alongside such a load.
   */
  readonly deliversRowsForSure: boolean;
  /** Loads the window's rows into bronze.stg_events, the missing ones only, so a rerun adds nothing. */
  load(clickhouse: Warehouse, batch: Batch): Promise<LoadReport>;
}

export interface LoadReport {
  /** Rows the batch has in bronze now. */
  rows: number;
  /** Rows this call added. */
  added: number;
  /** Rows the source delivered for the window (bronze must hold exactly these). */
  delivered: number;
  summary: string;
  metrics: Record<string, number>;
}

export function sourceOf(config: Config): Source {
  return config.source.mapping ? openFilesSource(config.source.mapping, { ...(config.source.s3Endpoint ? { endpoint: config.source.s3Endpoint } : {}) }) : openSyntheticSource(config.source);
}
