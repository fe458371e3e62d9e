import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '@flowlane/core';
import type { Registry, RegistryContentType } from 'prom-client';
import { PrometheusMetricsError } from './errors.js';

/**
 * Where the `/metrics` server listens (`plugin.address()`).
 *
 * @example
 * ```ts
 * import { createEngine } from '@flowlane/core';
 * import { prometheus } from '@flowlane/metrics-prometheus';
 *
 * const metrics = prometheus({ server: { port: 0 } });
 * const engine = createEngine({ plugins: [metrics] });
 * await engine.ready();
 * console.log(metrics.address()?.url); // http://127.0.0.1:<port>/metrics
 * ```
 */
export interface MetricsServerAddress {
  readonly host: string;
  readonly port: number;
  /** `http://host:port/path` */
  readonly url: string;
}

/** Internal: a running `/metrics` server. */
export interface MetricsServer {
  readonly address: MetricsServerAddress;
  /** Stops listening and ends open (keep-alive) connections. */
  close(): Promise<void>;
}

/**
 * Internal: serves `registry` as Prometheus text on `GET|HEAD path`; other paths get 404, other methods 405.
 * Rejects with `FL_PROMETHEUS_SERVER_FAILED` when it cannot listen.
 */
export async function startMetricsServer(options: {
  readonly host: string;
  readonly port: number;
  readonly path: string;
  readonly registry: Registry<RegistryContentType>;
  readonly logger: Logger;
}): Promise<MetricsServer> {
  const { registry, path, logger } = options;
  const server: Server = createServer((req, res) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    if ((q === -1 ? url : url.slice(0, q)) !== path) {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`Not found. Metrics are at ${path}\n`);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' }).end();
      return;
    }
    registry.metrics().then(
      (text) => {
        res.writeHead(200, { 'Content-Type': registry.contentType, 'Content-Length': Buffer.byteLength(text) });
        res.end(req.method === 'HEAD' ? undefined : text);
      },
      (e: unknown) => {
        const reason = e instanceof Error ? e.message : String(e);
        logger.error('prometheus: collecting metrics failed', { error: reason });
        res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Collecting metrics failed\n');
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException): void => {
      reject(
        new PrometheusMetricsError(
          'FL_PROMETHEUS_SERVER_FAILED',
          { host: options.host, port: options.port, reason: e.code ?? e.message },
          { cause: e },
        ),
      );
    };
    server.once('error', onError);
    server.listen(options.port, options.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  server.on('error', (e) => logger.error('prometheus: metrics server error', { error: e.message }));
  const bound = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  let closing: Promise<void> | undefined;
  return {
    address: { host: options.host, port: bound.port, url: `http://${host}:${bound.port}${path}` },
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
