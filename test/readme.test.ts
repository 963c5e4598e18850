/**
 * The README's commands are run, as written, so that what it tells people stays true to the code. Every
 * ```bash block is run line by line (bash, from the repository, on a temporary HOME and MEDALLION_HOME, 2 000
 * events an hour) unless a marker right above it excludes it, whole or some of its commands, saying why:
 *
 *   <!-- readme-test: skip — <why> -->                        the whole block
 *   <!-- readme-test: skip "npm install" "npm test" — <why> -->  the commands starting so (a line's `a && b` are two)
 *
 * The build runs first, so `npx medallion` is the code under test.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MARKER = /^<!-- readme-test: skip((?: "[^"]+")*) — (.+) -->$/;

interface Block {
  /** Line of the opening fence (1-based). */
  line: number;
  commands: string[];
  /** Command prefixes excluded, or 'all'. */
  skipped: string[] | 'all';
}

/** The ```bash blocks of the README with their markers. */
function bashBlocks(readme: string): Block[] {
  const lines = readme.split('\n');
  const blocks: Block[] = [];
  for (let index = 0; index < lines.length; index += 1) {
    if (!/^```(bash|sh|shell)\s*$/.test(lines[index]!)) continue;
    const skipped: string[] = [];
    let all = false;
    for (let above = index - 1; above >= 0 && MARKER.test(lines[above]!); above -= 1) {
      const quoted = [...MARKER.exec(lines[above]!)![1]!.matchAll(/"([^"]+)"/g)].map((match) => match[1]!);
      if (quoted.length === 0) all = true;
      skipped.push(...quoted);
    }
    const body: string[] = [];
    const start = index;
    for (index += 1; index < lines.length && !lines[index]!.startsWith('```'); index += 1) body.push(lines[index]!);
    blocks.push({ line: start + 1, commands: commandLines(body), skipped: all ? 'all' : skipped });
  }
  return blocks;
}

/** Command lines: continuations joined, comments and blank lines left out. */
function commandLines(body: readonly string[]): string[] {
  const commands: string[] = [];
  let pending = '';
  for (const line of body) {
    if (!pending && (/^\s*#/.test(line) || line.trim() === '')) continue;
    pending += line.replace(/\\$/, ' ');
    if (!line.endsWith('\\')) {
      commands.push(pending.replace(/\s+#.*$/, '').trim());
      pending = '';
    }
  }
  return commands;
}

/** What a run command must have printed, beyond exiting 0: the data it shows. */
const EXPECTED: [RegExp, (stdout: string, env: Record<string, string>) => void][] = [
  [/^npm start$/, (stdout) => assert.match(stdout, /All 3 runs succeeded\./)],
  [/^npx medallion status$/, (stdout) => assert.equal(stdout.split('\n').filter((line) => /^scheduled__\S+ +\S+ \S+ +success /.test(line)).length, 3, stdout)],
  [/^npx medallion query "SELECT \* FROM gold\.rpt_daily_summary/, (stdout) => assert.match(stdout, /^event_date +total_events +unique_users .*\n-+.*\n\d{4}-\d\d-\d\d +\d+ /)],
  [/^npx medallion query --target postgres/, (stdout) => assert.equal(stdout.trim().split('\n').length, 12, `a header, a rule and 10 rows:\n${stdout}`)],
  [/^MEDALLION_HOME=~\/airflow\/medallion npx medallion status/, (stdout, env) => assert.equal(stdout, `No runs yet in ${env.HOME}/airflow/medallion: medallion start, or medallion run --from <hour>, makes some.\n`)],
  [/^npm run bench -- --help$/, (stdout) => assert.match(stdout, /--events <n>/)],
];

function bash(command: string, env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('bash', ['-c', command], { cwd: ROOT, env, timeout: 300_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

describe('the README', () => {
  let scratch: string;
  let env: Record<string, string>;
  let blocks: Block[];

  before(async () => {
    scratch = await mkdtemp(path.join(os.tmpdir(), 'medallion-readme-'));
    env = {
      ...(Object.fromEntries(Object.entries(process.env).filter(([key, value]) => !key.startsWith('MEDALLION_') && value !== undefined)) as Record<string, string>),
      HOME: scratch,
      MEDALLION_HOME: path.join(scratch, 'home'),
      MEDALLION_EVENTS_PER_HOUR: '2000',
      npm_config_update_notifier: 'false',
    };
    blocks = bashBlocks(await readFile(path.join(ROOT, 'README.md'), 'utf8'));
    // `npx medallion` runs dist/: built from the code under test.
    const build = await bash('npm run build', env);
    assert.equal(build.code, 0, build.stderr);
  });
  after(() => rm(scratch, { recursive: true, force: true }));

  it('marks every command block that is not run, and runs the others: each command exits 0 and shows its data', async () => {
    assert.ok(blocks.length >= 10, `${blocks.length} bash blocks`);
    const ran: string[] = [];
    for (const block of blocks) {
      if (block.skipped === 'all') continue;
      const skipped = block.skipped;
      for (const line of block.commands) {
        const parts = line.split(' && ').filter((part) => !skipped.some((prefix) => part.startsWith(prefix)));
        if (parts.length === 0) continue;
        const command = parts.join(' && ');
        const result = await bash(command, env);
        assert.equal(result.code, 0, `README line ${block.line}: ${command} exited ${result.code}\n${result.stderr.slice(-3000)}\n(mark the block with <!-- readme-test: skip … — why --> if it cannot run here)`);
        for (const [pattern, check] of EXPECTED) if (pattern.test(command)) check(result.stdout, env);
        ran.push(command);
      }
    }
    // The commands whose data is checked were all found and run (a README edit cannot drop one unnoticed).
    for (const [pattern] of EXPECTED) assert.ok(ran.some((command) => pattern.test(command)), `no README command matched ${pattern}; ran: ${ran.join(' | ')}`);
  });
});
