import type { RunEvent } from '../pipeline/runner.js';
import { formatDuration } from './format.js';
import type { Terminal } from './terminal.js';

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const REDRAW_MS = 100;

/**
 * Progress on stderr (stdout stays clean for --json and for results). Every finished task is a line; on a
 * terminal a status line below them shows the tasks running now with their elapsed time, rewritten in place,
 * so a long task is visibly alive. Into a pipe there is no status line: plain lines only.
 *
 * While the status line is drawn, whatever else writes to the stream (a lock wait, a warning) first clears
 * it and then has it redrawn, so no line is ever printed into the middle of it.
 */
export class Progress {
  private readonly running = new Map<string, { label: string; since: number }>();
  private timer: NodeJS.Timeout | undefined;
  private frame = 0;
  private drawn = false;
  private readonly write: NodeJS.WriteStream['write'];
  private restoreWrite: (() => void) | undefined;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly terminal: Terminal,
  ) {
    this.write = stream.write.bind(stream) as NodeJS.WriteStream['write'];
  }

  /** A permanent line (masked by the caller). */
  line(text: string): void {
    this.clear();
    this.write(`${text}\n`);
    this.draw();
  }

  /** Runs `write` (to stdout, which a terminal shows on the same screen) with the status line out of its way. */
  aside<T>(write: () => T): T {
    this.clear();
    try {
      return write();
    } finally {
      this.draw();
    }
  }

  /** Shows `label` in the status line from now until {@link end} with the same key. */
  begin(key: string, label: string): void {
    this.running.set(key, { label, since: performance.now() });
    if (!this.terminal.live) return;
    this.hookWrites();
    this.timer ??= setInterval(() => this.draw(), REDRAW_MS);
    this.draw();
  }

  end(key: string): void {
    this.running.delete(key);
    if (this.running.size === 0) this.stop();
    else this.draw();
  }

  /** Removes the status line and stops redrawing it. */
  stop(): void {
    this.running.clear();
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.clear();
    this.restoreWrite?.();
    this.restoreWrite = undefined;
  }

  /** The printer of the runner's task events: a line per finished attempt, the running tasks live. */
  taskEvents(): (event: RunEvent) => void {
    const { colours } = this.terminal;
    return (event) => {
      const key = `${event.runId}/${event.task}`;
      if (event.type === 'task-start') {
        if (event.attempt > 1) this.line(`  ${colours.yellow('↻')} ${event.task} attempt ${event.attempt}`);
        this.begin(key, event.task);
        return;
      }
      this.end(key);
      const mark = event.status === 'success' ? colours.green('✓') : colours.red('✗');
      const what = event.summary ?? (event.error ? colours.red(event.error) : '');
      this.line(`  ${mark} ${event.task.padEnd(24)} ${colours.dim(formatDuration(event.durationMs).padStart(9))}  ${what}`);
    };
  }

  private hookWrites(): void {
    if (this.restoreWrite) return;
    const stream = this.stream;
    const original = stream.write;
    stream.write = ((...args: Parameters<NodeJS.WriteStream['write']>) => {
      this.clear();
      const result = (original as (...rest: unknown[]) => boolean).apply(stream, args);
      this.draw();
      return result;
    }) as NodeJS.WriteStream['write'];
    this.restoreWrite = () => {
      stream.write = original;
    };
  }

  private draw(): void {
    if (!this.terminal.live || this.running.size === 0) return;
    const now = performance.now();
    const tasks = [...this.running.values()].map(({ label, since }) => `${label} ${formatDuration(now - since)}`).join(' · ');
    const spinner = SPINNER[this.frame++ % SPINNER.length]!;
    const text = `${spinner} ${tasks}`.slice(0, Math.max(10, this.terminal.columns() - 1));
    this.clear();
    this.write(this.terminal.colours.cyan(text));
    this.drawn = true;
  }

  private clear(): void {
    if (!this.drawn) return;
    this.drawn = false;
    // Back to the line's start, then erase the line (ECMA-48 EL 2).
    this.write('\r\x1b[2K');
  }
}
