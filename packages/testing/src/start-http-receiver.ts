import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServiceHandle, type ServiceHandle } from './service-handle.js';

/** One request received by {@link startHttpReceiver}. */
export interface ReceivedRequest {
  /** HTTP method. */
  readonly method: string;
  /** Path and query. */
  readonly url: string;
  /** Request headers (lower-case names). */
  readonly headers: IncomingHttpHeaders;
  /** The raw body. */
  readonly body: Buffer;
  /** The body as UTF-8 text. */
  readonly text: string;
  /** The status the receiver answered with. */
  readonly status: number;
}

/** Options of {@link startHttpReceiver}. */
export interface HttpReceiverOptions {
  /**
   * The status to answer the `n`-th request (0-based) with. Default: always 200. Use it to make a client retry
   * (`(n) => (n < 2 ? 503 : 202)`).
   */
  readonly status?: ((n: number, request: { method: string; url: string }) => number) | undefined;
}

/** A real HTTP server on 127.0.0.1 that records every request (webhooks, OTLP/HTTP exporters, …). */
export interface HttpReceiver extends ServiceHandle {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** The port it listens on. */
  readonly port: number;
  /** Every request so far, in arrival order. Live array. */
  readonly requests: ReceivedRequest[];
  /** Resolves once `predicate(requests)` holds (checked on each request); rejects after `timeoutMs` (default 10 000). */
  waitFor(predicate: (requests: readonly ReceivedRequest[]) => boolean, timeoutMs?: number): Promise<ReceivedRequest[]>;
}

/**
 * Starts an HTTP server on 127.0.0.1 and a random port that records each request (method, url, headers, body)
 * and answers with `options.status(n)` (default 200) — a real receiver for webhook and exporter tests.
 *
 * @example
 * ```ts
 * import { startHttpReceiver } from '@flowlane/testing';
 *
 * await using receiver = await startHttpReceiver();
 * await fetch(`${receiver.url}/hook`, { method: 'POST', body: '{"ok":true}' });
 * console.log(receiver.requests[0]?.text); // {"ok":true}
 * ```
 */
export async function startHttpReceiver(options: HttpReceiverOptions = {}): Promise<HttpReceiver> {
  const requests: ReceivedRequest[] = [];
  const waiters = new Set<() => void>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const method = req.method ?? 'GET';
      const url = req.url ?? '/';
      const status = options.status?.(requests.length, { method, url }) ?? 200;
      const body = Buffer.concat(chunks);
      requests.push({ method, url, headers: req.headers, body, text: body.toString('utf8'), status });
      res.writeHead(status, { 'content-type': 'application/json' }).end('{}');
      for (const w of [...waiters]) w();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const waitFor: HttpReceiver['waitFor'] = (predicate, timeoutMs = 10_000) =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        if (!predicate(requests)) return;
        waiters.delete(check);
        clearTimeout(timer);
        resolve([...requests]);
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(
          new Error(
            `HTTP receiver: condition not met within ${timeoutMs} ms; got ${requests.length} request(s): ${requests.map((r) => `${r.method} ${r.url}`).join(', ')}`,
          ),
        );
      }, timeoutMs);
      waiters.add(check);
      check();
    });
  return createServiceHandle({ url: `http://127.0.0.1:${port}`, port, requests, waitFor }, async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
}
