import { maskSecrets } from '../secrets.js';

/** Socket-level failures: the target is down, unreachable or dropped the connection. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE',
  'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT',
]);

/** PostgreSQL SQLSTATEs of a server that went away or is not accepting connections (class 08, 57P0x). */
const POSTGRES_GONE = /^(08|57P0[1-3])/;

const PG_CLIENT_GONE = /Connection terminated|connection timeout|timeout expired|Client has encountered a connection error|not queryable/i;

interface ErrorLike {
  message?: string;
  code?: string;
  name?: string;
  cause?: unknown;
  errors?: unknown[];
}

/** A short reason when `error` means "the server is not there" rather than "the server said no". */
export function connectionProblem(error: unknown): string | undefined {
  const seen = new Set<unknown>();
  const visit = (candidate: unknown): string | undefined => {
    if (!candidate || typeof candidate !== 'object' || seen.has(candidate)) return undefined;
    seen.add(candidate);
    const e = candidate as ErrorLike;
    if (e.code && NETWORK_CODES.has(e.code)) return e.message || e.code;
    if (e.code && POSTGRES_GONE.test(e.code)) return e.message || e.code;
    if (e.message && PG_CLIENT_GONE.test(e.message)) return e.message;
    if (e.name === 'TimeoutError') return e.message || 'timed out';
    // Node reports a refused connection to several addresses (IPv4 and IPv6) as an AggregateError.
    for (const inner of e.errors ?? []) {
      const found = visit(inner);
      if (found) return found;
    }
    return visit(e.cause);
  };
  return visit(error);
}

/** What an unreachable target's message advises by default: the pipeline's runs are what meets one. */
export const RERUN_THE_WINDOW = 'then rerun the window';

/**
 * Says which target failed and how, keeping the original as `cause` (and its `code`, so callers can still
 * match SQLSTATEs). The message passes through maskSecrets: no secret of the configuration, in any form, and
 * no URL with a password is printed. `advice` ends the sentence for an unreachable target: what to do once it
 * is back (a pipeline run: rerun the window; an ad hoc query: try again).
 */
export function targetError(target: string, action: string, error: unknown, advice: string = RERUN_THE_WINDOW): Error {
  const original = error as ErrorLike;
  const problem = connectionProblem(error);
  const detail = original?.message || original?.code || original?.name || String(error);
  const message = problem
    ? `${target} is unreachable while ${action} (${problem}); check that it is running and reachable, ${advice}`
    : `${target} failed while ${action}: ${detail}`;
  const wrapped = new Error(maskSecrets(message), { cause: error }) as Error & { code?: string };
  if (original?.code) wrapped.code = original.code;
  return wrapped;
}

/** Rethrows `error` as a {@link targetError} when the target is unreachable; other errors pass unchanged. */
export function whenUnreachable(target: string, action: string, error: unknown, advice?: string): unknown {
  return connectionProblem(error) ? targetError(target, action, error, advice) : error;
}
