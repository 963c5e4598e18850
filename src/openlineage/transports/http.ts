import type { TransportSettings } from '../config.js';
import { displayUrl } from '../../secrets.js';
import type { Transport } from './transport.js';

type HttpSettings = Extract<TransportSettings, { type: 'http' }>;

/** The statuses the Python client retries (urllib3's status_forcelist): the server may recover. */
const RETRIED_STATUSES = new Set([500, 502, 503, 504]);

class DeliveryError extends Error {
  constructor(message: string, readonly retryable: boolean) {
    super(message);
  }
}

/**
 * POSTs each event as JSON to `<url>/<endpoint>` (an OpenLineage HTTP endpoint: Marquez's api/v1/lineage),
 * as the Python client's HttpTransport does: the API key as a Bearer token, a timeout per request, and
 * retries with exponential backoff after a connection error, a timeout or a 5xx answer. A redirect is not
 * followed (a 301/302/303 would turn the POST into a GET).
 */
export function httpTransport(settings: HttpSettings): Transport {
  const target = new URL(settings.endpoint, settings.url);
  // fetch refuses a URL holding a login: it is sent as Basic authentication instead (the Python client's
  // requests does the same), unless an API key is configured.
  const basic = target.username || target.password ? Buffer.from(`${decodeURIComponent(target.username)}:${decodeURIComponent(target.password)}`).toString('base64') : undefined;
  target.username = '';
  target.password = '';
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    ...(settings.apiKey ? { Authorization: `Bearer ${settings.apiKey}` } : basic ? { Authorization: `Basic ${basic}` } : {}),
  };
  const post = async (body: string): Promise<void> => {
    let response: Response;
    try {
      response = await fetch(target, { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.timeout(settings.timeoutMs) });
    } catch (error) {
      throw new DeliveryError(networkReason(error, settings.timeoutMs), true);
    }
    // The body is not needed: reading it frees the connection.
    await response.arrayBuffer().catch(() => undefined);
    if (response.ok) return;
    throw new DeliveryError(`HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`, RETRIED_STATUSES.has(response.status));
  };
  return {
    description: displayUrl(new URL(settings.endpoint, settings.url).href),
    immediate: false,
    async send(event) {
      const body = JSON.stringify(event);
      for (let attempt = 0; ; attempt += 1) {
        try {
          return await post(body);
        } catch (error) {
          const failure = error as DeliveryError;
          if (!failure.retryable || attempt >= settings.retries) {
            throw new Error(`${failure.message}${attempt > 0 ? `, after ${attempt + 1} attempts` : ''}`, { cause: error });
          }
          await new Promise((resolve) => setTimeout(resolve, settings.backoffSeconds * 1000 * 2 ** attempt));
        }
      }
    },
  };
}

/** Why fetch failed, as a person reads it: undici hides the socket's error (ECONNREFUSED, ENOTFOUND, …) in `cause`. */
function networkReason(error: unknown, timeoutMs: number): string {
  if (error instanceof DOMException && error.name === 'TimeoutError') return `no answer within ${timeoutMs / 1000} s`;
  const cause = (error as { cause?: { message?: string } }).cause;
  return cause?.message ?? (error instanceof Error ? error.message : String(error));
}
