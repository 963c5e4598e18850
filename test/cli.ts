import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface CliResult {
  code: number | null;
  /** The signal that ended the process (e.g. SIGKILL from a crash drill), or null when it exited. */
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BUILT_CLI = path.join(ROOT, 'dist/cli/main.js');
let buildChecked = false;

/**
 * The medallion CLI the tests run: the build (dist/cli/main.js, the CLI bundled into one module), as users and
 * the Airflow DAG run it. A process of it starts in about 0.15 s, where the sources through tsx take 0.6–0.8 s,
 * and the suites start hundreds. `npm test` builds first; a test file run by itself stops at its first
 * command when a source file is newer than the build, saying so.
 */
export function builtCli(): string {
  if (!buildChecked) {
    const built = statSync(BUILT_CLI, { throwIfNoEntry: false })?.mtimeMs ?? 0;
    const newer = readdirSync(path.join(ROOT, 'src'), { recursive: true, encoding: 'utf8' })
      .map((file) => path.join(ROOT, 'src', file))
      .find((file) => {
        const stat = statSync(file);
        return stat.isFile() && stat.mtimeMs > built;
      });
    if (built === 0 || newer) throw new Error(`the tests run the built CLI and ${built === 0 ? 'there is none' : `${path.relative(ROOT, newer!)} is newer than it`}: run \`npm run build\` first (npm test does)`);
    buildChecked = true;
  }
  return BUILT_CLI;
}

/** The process environment without any MEDALLION_ variable of the shell that runs the tests: a child sees only what a test gives it. */
export function baseEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('MEDALLION_')));
}

/** Runs the medallion CLI (the build, see {@link builtCli}) in a child process, as a user would. */
export function medallion(args: readonly string[], env: Record<string, string> = {}, baseEnv: NodeJS.ProcessEnv = process.env): Promise<CliResult> {
  return runNode([builtCli(), ...args], env, baseEnv);
}

/** `medallion run --from <hour>` on a home with the drills' small window: 1 000 events, seed 7, no retries; `extra` on top. */
export function runSmallWindow(home: string, from: string, extra: Record<string, string> = {}): Promise<CliResult> {
  return medallion(['run', '--from', from], { MEDALLION_EVENTS_PER_HOUR: '1000', MEDALLION_SEED: '7', MEDALLION_TASK_RETRIES: '0', MEDALLION_HOME: home, ...extra }, baseEnv());
}

/** Runs a TypeScript script of this repository that prints JSON (a home's dump, say) without MEDALLION_ variables; its output parsed. */
export async function scriptOutput(script: string, args: readonly string[]): Promise<unknown> {
  const result = await runScript(script, args, {}, baseEnv());
  if (result.code !== 0) throw new Error(`${script} exited with ${result.code ?? result.signal}: ${result.stderr}`);
  return JSON.parse(result.stdout);
}

/** Runs a TypeScript entry point of this repository (through tsx) in a child process and collects its output. */
export function runScript(script: string, args: readonly string[], env: Record<string, string> = {}, baseEnv: NodeJS.ProcessEnv = process.env): Promise<CliResult> {
  return runNode(['--import', 'tsx', script, ...args], env, baseEnv);
}

function runNode(args: readonly string[], env: Record<string, string>, baseEnv: NodeJS.ProcessEnv): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env: { ...baseEnv, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** A medallion process running in the background, its stderr watched line by line. */
export interface RunningCli {
  child: ChildProcess;
  pid: number;
  /** performance.now() of this process when the child was spawned. */
  spawnedAt: number;
  /** The first stderr line matching `pattern` and when it arrived (performance.now()); rejects if the process ends first. */
  line(pattern: RegExp): Promise<{ text: string; at: number }>;
  /** The process's end, and when it was seen (performance.now()). */
  done: Promise<CliResult & { endedAt: number }>;
}

/** Starts the medallion CLI, as {@link medallion} does, without waiting for it. */
export function startMedallion(args: readonly string[], env: Record<string, string> = {}, baseEnv: NodeJS.ProcessEnv = process.env): RunningCli {
  const child = spawn(process.execPath, [builtCli(), ...args], { env: { ...baseEnv, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const spawnedAt = performance.now();
  const lines: { text: string; at: number }[] = [];
  const waiters: { pattern: RegExp; resolve: (line: { text: string; at: number }) => void }[] = [];
  let stdout = '';
  let stderr = '';
  let partial = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => {
    const at = performance.now();
    stderr += chunk.toString();
    const parts = (partial + chunk.toString()).split('\n');
    partial = parts.pop()!;
    for (const text of parts) {
      lines.push({ text, at });
      for (const waiter of waiters.filter((candidate) => candidate.pattern.test(text))) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve({ text, at });
      }
    }
  });
  const done = new Promise<CliResult & { endedAt: number }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr, endedAt: performance.now() }));
  });
  return {
    child,
    pid: child.pid!,
    spawnedAt,
    done,
    line: (pattern) =>
      new Promise((resolve, reject) => {
        const seen = lines.find((line) => pattern.test(line.text));
        if (seen) return resolve(seen);
        waiters.push({ pattern, resolve });
        void done.then((result) => reject(new Error(`the process ended (${result.code ?? result.signal}) before printing ${pattern}:\n${result.stderr}`)));
      }),
  };
}

const shellQuote = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;

/**
 * Runs the medallion CLI on a pseudo-terminal (util-linux `script`), as a person at a terminal does: stdout and
 * stderr are the terminal, so what comes back is what the screen received, escape codes included. `env` is the
 * whole environment (TERM, NO_COLOR, … decide the output).
 */
export function medallionOnTerminal(args: readonly string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; screen: string }> {
  const command = [process.execPath, builtCli(), ...args].map(shellQuote).join(' ');
  return new Promise((resolve, reject) => {
    // -q no banner, -f flush at once, -e the command's exit status, -c the command; the typescript file is discarded.
    const child = spawn('script', ['-qfec', command, '/dev/null'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let screen = '';
    child.stdout.on('data', (chunk: Buffer) => (screen += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (screen += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, screen }));
  });
}
