// Completes `tsc`: copies the .sql files beside their compiled repositories, writes the template new embedded
// PostgreSQL homes start from (see src/engines/pglite.ts), bundles the CLI (see bundleCli), makes it executable
// and links it as node_modules/.bin/medallion, so `npx medallion` works inside this checkout too
// (npm links the bins of dependencies, never the project's own), and writes the task graph the Airflow DAG
// reads (`medallion dag --json` into airflow/dags/medallion_graph.json), so that parsing the DAG runs nothing.
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

// The bundle's first lines: the CommonJS packages bundled (commander) require Node's modules.
const BANNER = "import { createRequire as createMedallionRequire } from 'node:module';\nconst require = createMedallionRequire(import.meta.url);";

cpSync('src', 'dist', { recursive: true, filter: (source) => !source.endsWith('.ts') });
await writeTemplate('dist/engines/pglite-template.tar.gz');
await bundleCli('dist/cli/main.js');
chmodSync('dist/cli/main.js', 0o755);

if (existsSync('node_modules')) {
  mkdirSync('node_modules/.bin', { recursive: true });
  rmSync('node_modules/.bin/medallion', { force: true });
  symlinkSync('../../dist/cli/main.js', 'node_modules/.bin/medallion');
}

// Written only when it changed; airflow/tests checks that the committed file equals the CLI's output.
const graphFile = 'airflow/dags/medallion_graph.json';
const graph = execFileSync(process.execPath, ['dist/cli/main.js', 'dag', '--json'], { encoding: 'utf8' });
if (!existsSync(graphFile) || readFileSync(graphFile, 'utf8') !== graph) writeFileSync(graphFile, graph);

/**
 * Rewrites the CLI's entry as one module holding the compiled code and the pure-JavaScript packages it loads at
 * start (zod, commander, yaml, @clickhouse/client…): Node then reads one file instead of some three hundred, and
 * every process — a window, each task of the Airflow DAG — starts about 0.13 s sooner (`--help`: 0.20–0.28 s
 * against 0.33–0.50 s). The engines' packages and those loaded only when needed stay outside (native code,
 * WebAssembly with its files, the AWS SDK). Each module keeps its own location: `import.meta.url` is replaced
 * by the URL of its file in dist/, where its .sql files are. Without esbuild's native binary (an install that
 * omits optional dependencies), the entry is left as tsc wrote it.
 */
async function bundleCli(entry) {
  // Run again without tsc before it (by hand), the entry is the bundle already: bundled again, it would declare the banner twice.
  if (readFileSync(entry, 'utf8').includes(BANNER)) return;
  const external = ['chdb', 'chdb/*', '@electric-sql/pglite', 'pg', '@aws-sdk/*', 'echarts', 'echarts/*'];
  let outputs;
  try {
    const esbuild = await import('esbuild');
    const outfile = path.resolve(entry);
    const ownUrls = {
      name: 'own-module-urls',
      setup(build) {
        build.onLoad({ filter: /[\\/]dist[\\/].*\.js$/ }, (args) => {
          const relative = path.relative(path.dirname(outfile), args.path).split(path.sep).join('/');
          const url = `new URL(${JSON.stringify(relative.startsWith('.') ? relative : `./${relative}`)}, import.meta.url).href`;
          return { contents: readFileSync(args.path, 'utf8').replaceAll('import.meta.url', url), loader: 'js' };
        });
      },
    };
    const result = await esbuild.build({
      entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile, write: false, sourcemap: true, external, logLevel: 'error',
      banner: { js: BANNER },
      plugins: [ownUrls],
    });
    outputs = result.outputFiles;
  } catch (error) {
    process.stderr.write(`finish-build: ${entry} left unbundled (${String(error?.message ?? error).split('\n')[0]})\n`);
    return;
  }
  for (const output of outputs) writeFileSync(output.path, output.contents);
}

/** Without PGlite installed (a server-only install), no template: nothing here opens an embedded PostgreSQL. */
async function writeTemplate(file) {
  const { writePgliteTemplate } = await import('../dist/engines/pglite.js');
  const { MissingEngineError } = await import('../dist/engines/optional.js');
  try {
    await writePgliteTemplate(file);
  } catch (error) {
    if (!(error instanceof MissingEngineError)) throw error;
    rmSync(file, { force: true });
    process.stderr.write(`finish-build: ${file} not written (PGlite is not installed)\n`);
  }
}
