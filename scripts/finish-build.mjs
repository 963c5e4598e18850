// Completes `tsc`: copies the .sql files beside their compiled repositories, makes the CLI executable
// and links it as node_modules/.bin/medallion, so `npx medallion` works inside this checkout too
// (npm links the bins of dependencies, never the project's own), and writes the task graph the Airflow DAG
// reads (`medallion dag --json` into airflow/dags/medallion_graph.json), so that parsing the DAG runs nothing.
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';

cpSync('src', 'dist', { recursive: true, filter: (source) => !source.endsWith('.ts') });
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
