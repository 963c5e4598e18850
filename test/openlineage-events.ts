import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An OpenLineage RunEvent as read back from a transport (JSON), typed only as far as the tests look. */
export interface OpenLineageEvent {
  eventType: string;
  eventTime: string;
  producer: string;
  schemaURL: string;
  run: { runId: string; facets: Record<string, Record<string, unknown>> };
  job: { namespace: string; name: string; facets: Record<string, Record<string, unknown>> };
  inputs: DatasetOfEvent[];
  outputs: DatasetOfEvent[];
}

export interface DatasetOfEvent {
  namespace: string;
  name: string;
  facets?: Record<string, Record<string, unknown>>;
  inputFacets?: Record<string, Record<string, unknown>>;
  outputFacets?: Record<string, Record<string, unknown>>;
}

/** The events of a JSON-lines file, in the order written. */
export function readEventLines(file: string): OpenLineageEvent[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as OpenLineageEvent);
}

/** The parent run facet's run id and job, as a test compares them. */
export function parentOf(event: OpenLineageEvent): { runId: string; namespace: string; name: string; root?: { runId: string; namespace: string; name: string } } | undefined {
  const facet = event.run.facets.parent as { run: { runId: string }; job: { namespace: string; name: string }; root?: { run: { runId: string }; job: { namespace: string; name: string } } } | undefined;
  if (!facet) return undefined;
  return {
    runId: facet.run.runId,
    ...facet.job,
    ...(facet.root ? { root: { runId: facet.root.run.runId, ...facet.root.job } } : {}),
  };
}

/** What a lineage server received: each POST's path, headers and body. */
export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * A local HTTP receiver standing in for a Marquez-compatible endpoint (127.0.0.1, a port of its own):
 * it answers 201 to every POST and keeps what it received.
 */
export async function startReceiver(): Promise<{ url: string; requests: ReceivedRequest[]; close(): Promise<void> }> {
  const requests: ReceivedRequest[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      requests.push({ method: request.method ?? '', path: request.url ?? '', headers: request.headers, body });
      response.writeHead(201).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}

/** A port on 127.0.0.1 that nothing listens on: bound once by the system, then released. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
