import { maskSecrets } from '../secrets.js';
import type { OpenLineageSettings } from './config.js';
import type { RunEvent } from './events.js';
import { consoleTransport } from './transports/console.js';
import { fileTransport } from './transports/file.js';
import { httpTransport } from './transports/http.js';
import type { Transport } from './transports/transport.js';

/**
 * Sends the events of one process, never failing or holding up the work they describe. A file or the
 * console is written at once; an HTTP endpoint is sent to in the background, in order (a START always
 * before its COMPLETE). When an event of a run cannot be delivered, one warning says so and the run's
 * remaining events are dropped (an endpoint that is down would otherwise cost each of them its retries);
 * the next run tries again.
 */
export class OpenLineageEmitter {
  private queue: Promise<void> = Promise.resolve();
  /** Runs (Medallion run ids) whose delivery failed: warned once, their other events dropped. */
  private readonly failedRuns = new Set<string>();

  constructor(
    private readonly transport: Transport,
    private readonly warn: (line: string) => void,
  ) {}

  emit(event: RunEvent, run: string): void {
    if (this.transport.immediate) {
      void this.deliver(event, run);
      return;
    }
    this.queue = this.queue.then(() => this.deliver(event, run));
  }

  /** Resolves once every event emitted so far is delivered or given up. */
  flush(): Promise<void> {
    return this.queue;
  }

  /** Reports, once per run, that something about its events went wrong; the run itself goes on. */
  problem(run: string, what: string): void {
    if (this.failedRuns.has(run)) return;
    this.failedRuns.add(run);
    this.warn(maskSecrets(`OpenLineage: ${what}. The run goes on; its remaining events are not sent.`));
  }

  private async deliver(event: RunEvent, run: string): Promise<void> {
    if (this.failedRuns.has(run)) return;
    try {
      await this.transport.send(event);
    } catch (error) {
      this.problem(run, `could not deliver the events of run ${run} to ${this.transport.description} (${error instanceof Error ? error.message : String(error)})`);
    }
  }
}

const emitters = new Map<OpenLineageSettings, OpenLineageEmitter>();

/** The emitter of a configuration, made once per process. */
export function emitterFor(settings: OpenLineageSettings): OpenLineageEmitter {
  let emitter = emitters.get(settings);
  if (!emitter) {
    emitter = new OpenLineageEmitter(transportOf(settings), (line) => process.stderr.write(`${line}\n`));
    emitters.set(settings, emitter);
  }
  return emitter;
}

/**
 * Waits until every event this process emitted is delivered or given up (a process that ends on its own
 * waits for them anyway: a pending request keeps Node running).
 */
export async function flushOpenLineage(): Promise<void> {
  await Promise.all([...emitters.values()].map((emitter) => emitter.flush()));
}

function transportOf(settings: OpenLineageSettings): Transport {
  switch (settings.transport.type) {
    case 'http':
      return httpTransport(settings.transport);
    case 'file':
      return fileTransport(settings.transport);
    case 'console':
      return consoleTransport();
  }
}
