/**
 * The embedded engines (chDB ≈ 540 MB with its native library, PGlite) are optional dependencies: a
 * deployment that talks only to ClickHouse, PostgreSQL and S3 servers installs without them
 * (`npm ci --omit=optional`) and never loads them. They are imported by name, only when the configuration
 * chooses the embedded engine, so neither the build nor a server deployment needs them present.
 */

/** An embedded engine was chosen but its package is not installed. A configuration problem: exit 2. */
export class MissingEngineError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'MissingEngineError';
  }
}

export interface OptionalEngine {
  /** What it is, for people: "chDB (embedded ClickHouse)". */
  what: string;
  /** The npm package to install. */
  packageName: string;
  /** The setting that chooses a server instead, e.g. MEDALLION_CLICKHOUSE_URL. */
  serverVariable: string;
}

const MISSING = new Set(['ERR_MODULE_NOT_FOUND', 'MODULE_NOT_FOUND']);

/**
 * Imports `specifier` (a module of `engine.packageName`, or of a native package it loads), or throws a
 * {@link MissingEngineError} that says what to install and what to set instead.
 */
export async function importOptional<T>(specifier: string, engine: OptionalEngine): Promise<T> {
  try {
    return (await import(specifier)) as T;
  } catch (error) {
    if (!MISSING.has((error as NodeJS.ErrnoException).code ?? '')) throw error;
    throw new MissingEngineError(
      `${engine.serverVariable} is not set, so ${engine.what} would run in this process, but the package ${engine.packageName} is not installed ` +
        `(a server-only install, npm ci --omit=optional, leaves it out). Install the optional dependencies (npm ci), or set ${engine.serverVariable} to a server.`,
      { cause: error },
    );
  }
}
