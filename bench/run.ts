/**
 * `npm run bench [-- options]`: the script builds dist/ first (`npm run build && tsx bench/run.ts`), then this
 * runs the pipeline bench with the options given (npm passes what follows `--` to this last command only),
 * then the ingest bench, each in a process of its own. `--help` prints the options; `--no-ingest` stops after
 * the pipeline bench. The ingest bench's size is BENCH_INGEST_LINES.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const bench = (name: string, benchArgs: readonly string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(new URL(`./${name}.bench.ts`, import.meta.url)), ...benchArgs], { stdio: 'inherit' }).status ?? 1;

const pipeline = bench('pipeline', args);
if (pipeline !== 0 || args.some((arg) => ['--help', '-h', '--no-ingest'].includes(arg))) process.exit(pipeline);
process.exit(bench('ingest', []));
