/**
 * PGlite, the embedded PostgreSQL: opening its data directory in a home, and the template a new one starts from.
 *
 * A new data directory made by PGlite's own initdb costs 2.2 s and 2.8 core-seconds, most of the first window's
 * extra time over a warm one. The build instead writes a template once (a freshly initialised data directory,
 * dumped by PGlite as a gzipped tar of 4.5 MB) and a new home loads it: 1.2 s and 1.5 core-seconds. Either way the
 * directory is only trusted once PGlite has opened it: a marker beside it (`<dir>.initializing`) exists until
 * then, so a crash while it is written leaves a directory the next open discards and makes again.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import { faultPoint, NEW_POSTGRES_HOME_POINT } from '../faults.js';
import { importOptional } from './optional.js';

/** What this project uses of PGlite, an optional dependency imported by name (so the build does not need it). */
export interface PGliteResults<T> {
  rows: T[];
  fields: { name: string; dataTypeID: number }[];
}
export interface PGliteQueries {
  query<T>(sql: string, params?: unknown[], options?: { rowMode?: 'array' | 'object'; parsers?: Record<number, (value: string) => unknown> }): Promise<PGliteResults<T>>;
}
export interface PGliteDatabase extends PGliteQueries {
  transaction<R>(work: (tx: PGliteQueries) => Promise<R>): Promise<R>;
  dumpDataDir(compression: 'gzip'): Promise<Blob>;
  close(): Promise<void>;
}
interface PGliteModule {
  PGlite: { create(options: { dataDir: string; loadDataDir?: Blob; startParams?: string[] }): Promise<PGliteDatabase>; defaultStartParams: string[] };
}

/**
 * PostgreSQL's default 128 MB of shared buffers are set up at every start, which in WebAssembly on the baseline
 * compiler costs about 0.15 s of the 0.5 s an open takes (five runs each: 0.43–0.56 s against 0.34–0.40 s with
 * 16 MB). The replicas an embedded PostgreSQL holds are a few thousand rows a month, and its reads of the
 * directory go through the operating system's page cache as well.
 */
const SETTINGS = ['-c', 'shared_buffers=16MB'];

/**
 * Where the build writes the template: beside this module in dist/. Run from the sources (tsx: `npm start`,
 * the tests), the template of the build beside them is used when there is one; without any, initdb runs.
 */
const TEMPLATE_CANDIDATES = [new URL('./pglite-template.tar.gz', import.meta.url), new URL('../../dist/engines/pglite-template.tar.gz', import.meta.url)];

async function importPGlite(): Promise<PGliteModule['PGlite']> {
  // PGlite is PostgreSQL compiled to WebAssembly, and V8 recompiles its hot functions with TurboFan on a
  // background thread: a third of a core-second per process, while ClickHouse needs both cores, for the few
  // statements a window sends it (which run as fast on V8's baseline compiler). PGlite is the only
  // WebAssembly this process runs; the flag is read when a module is compiled, so it is set before.
  v8.setFlagsFromString('--liftoff-only');
  const { PGlite } = await importOptional<PGliteModule>('@electric-sql/pglite', {
    what: 'PGlite (embedded PostgreSQL)',
    packageName: '@electric-sql/pglite',
    serverVariable: 'MEDALLION_POSTGRES_URL',
  });
  return PGlite;
}

const isNew = (dataDir: string) => !existsSync(dataDir) || readdirSync(dataDir).length === 0;

const builtTemplate = () => TEMPLATE_CANDIDATES.map((url) => fileURLToPath(url)).find((file) => existsSync(file));

/**
 * Opens the PGlite data directory `dataDir`, making it first when it does not exist (from `template`, a file
 * written by {@link writePgliteTemplate}; by default the build's, when there is one). The caller holds the
 * home's lock: no other process opens the directory meanwhile.
 */
export async function openPglite(dataDir: string, template?: string): Promise<PGliteDatabase> {
  const PGlite = await importPGlite();
  const startParams = [...PGlite.defaultStartParams, ...SETTINGS];
  const initializing = `${dataDir}.initializing`;
  if (existsSync(initializing)) rmSync(dataDir, { recursive: true, force: true });
  else if (!isNew(dataDir)) return PGlite.create({ dataDir, startParams });

  mkdirSync(path.dirname(dataDir), { recursive: true });
  writeFileSync(initializing, 'PGlite was making the directory beside this file; it is made again when the home is next opened\n');
  let db: PGliteDatabase | undefined;
  const source = template ?? builtTemplate();
  if (source) {
    try {
      db = await PGlite.create({ dataDir, loadDataDir: new Blob([readFileSync(source)]), startParams });
    } catch {
      // A template PGlite cannot load (written by another version of it): initdb instead, as without one.
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
  db ??= await PGlite.create({ dataDir, startParams });
  faultPoint(NEW_POSTGRES_HOME_POINT);
  rmSync(initializing);
  return db;
}

/** Writes the template new data directories start from: a fresh one, made by initdb and dumped as a gzipped tar. */
export async function writePgliteTemplate(file: string): Promise<void> {
  const PGlite = await importPGlite();
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'medallion-pglite-template-'));
  try {
    const db = await PGlite.create({ dataDir: scratch });
    const dump = await db.dumpDataDir('gzip');
    await db.close();
    writeFileSync(file, Buffer.from(await dump.arrayBuffer()));
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
