import { request } from 'node:http';
import { createServer } from 'node:net';
import { workflow } from '@flowlane/core';
import { useEngines } from '@flowlane/testing';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { sampleValue } from './exposition.test-helper.js';
import { PrometheusMetricsError, prometheus } from './index.js';

const engine = useEngines();

interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** One HTTP request with a keep-alive agent-less socket; resolves with status, headers and body. */
function call(url: string, method = 'GET'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('prometheus({ server })', () => {
  it('serves the registry on GET/HEAD path; other paths 404, other methods 405', async () => {
    const plugin = prometheus({ server: { port: 0 } });
    const e = engine({ plugins: [plugin] });
    await e.ready();
    const address = plugin.address()!;
    expect(address).toMatchObject({ host: '127.0.0.1', port: expect.any(Number) });
    expect(address.url).toBe(`http://127.0.0.1:${address.port}/metrics`);
    await e.run(
      workflow('etl')
        .addNode('extract', () => 1)
        .build(),
      {},
    ).result;

    const got = await call(address.url);
    expect(got.status).toBe(200);
    expect(got.headers['content-type']).toBe(Registry.PROMETHEUS_CONTENT_TYPE);
    expect(sampleValue(got.body, 'flowlane_workflow_runs_total', { workflow: 'etl', status: 'success' })).toBe(1);
    expect(got.body).toBe(await plugin.metrics());

    expect((await call(`${address.url}?debug=1`)).status).toBe(200);
    const head = await call(address.url, 'HEAD');
    expect([head.status, head.body]).toEqual([200, '']);
    expect((await call(`http://127.0.0.1:${address.port}/other`)).status).toBe(404);
    const post = await call(address.url, 'POST');
    expect([post.status, post.headers.allow]).toEqual([405, 'GET, HEAD']);
  });

  it('serves a custom path', async () => {
    const plugin = prometheus({ server: { port: 0, path: '/internal/metrics' } });
    const e = engine({ plugins: [plugin] });
    await e.ready();
    const { port } = plugin.address()!;
    expect((await call(`http://127.0.0.1:${port}/internal/metrics`)).status).toBe(200);
    expect((await call(`http://127.0.0.1:${port}/metrics`)).status).toBe(404);
  });

  it('fails setup with FL_PROMETHEUS_SERVER_FAILED when the port is taken, and leaves the registry clean', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const registry = new Registry();
      const e = engine({ plugins: [prometheus({ registry, server: { port } })] });
      const failure = await e.ready().catch((err: unknown) => err);
      expect(failure).toMatchObject({ code: 'FL_PLUGIN_SETUP_FAILED' });
      expect((failure as Error).message).toContain('EADDRINUSE');
      expect((failure as Error).cause).toSatisfy((c: unknown) =>
        PrometheusMetricsError.is(c, 'FL_PROMETHEUS_SERVER_FAILED'),
      );
      expect(registry.getMetricsAsArray()).toEqual([]);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('is closed by engine.close(), keep-alive connections included', async () => {
    const plugin = prometheus({ server: { port: 0 } });
    const e = engine({ plugins: [plugin] });
    await e.ready();
    const { url } = plugin.address()!;
    // fetch keeps its connection alive: close() must not wait for it to time out.
    expect((await fetch(url)).status).toBe(200);
    const t0 = performance.now();
    await e.close();
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(plugin.address()).toBeUndefined();
    await expect(call(url)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});
