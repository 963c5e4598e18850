import type { RunEvent } from '../events.js';

/** Where events go: the OpenLineage clients' transports that Medallion implements (http, file, console). */
export interface Transport {
  /** Where, fit to print (a URL is shown parsed, its password masked). */
  readonly description: string;
  /**
   * True when `send` has done its work by the time it returns (a file or the console): such events are
   * written at once, in order; the others are queued and delivered in order in the background.
   */
  readonly immediate: boolean;
  /** Delivers one event; rejects saying why it could not (after the transport's own retries). */
  send(event: RunEvent): Promise<void>;
}
