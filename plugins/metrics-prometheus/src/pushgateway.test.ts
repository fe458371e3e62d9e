import { createServer, type IncomingMessage, type Server } from 'node:http';
import { type Logger, workflow } from '@flowlane/core';
import { useEngines } from '@flowlane/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { sampleValue } from './exposition.test-helper.js';
import { prometheus } from './index.js';

const engine = useEngines();

interface Push {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

/** A stand-in Pushgateway: records every request (there is no pushgateway binary on this machine). */
async function startGateway(
  status = 200,
): Promise<{ url: string; pushes: Push[]; next(): Promise<Push>; server: Server }> {
  const pushes: Push[] = [];
  const waiters: ((p: Push) => void)[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      body += c;
    });
    req.on('end', () => {
      const push = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
      pushes.push(push);
      res.writeHead(status).end(status >= 400 ? 'nope' : '');
      waiters.shift()?.(push);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    pushes,
    server,
    next: () => new Promise((resolve) => waiters.push(resolve)),
  };
}

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
});

function recordingLogger(): Logger & { warnings: { message: string; fields: Record<string, unknown> }[] } {
  const warnings: { message: string; fields: Record<string, unknown> }[] = [];
  return {
    warnings,
    debug: () => undefined,
    info: () => undefined,
    warn: (message, fields) => void warnings.push({ message, fields: { ...fields } }),
    error: () => undefined,
  };
}

const etl = workflow('etl')
  .addNode('extract', () => 1)
  .build();

describe('prometheus({ pushgateway })', () => {
  it('pushes the registry when a run finishes (POST to /metrics/job/<job>/<grouping…>)', async () => {
    const gw = await startGateway();
    const plugin = prometheus({
      pushgateway: {
        url: gw.url,
        jobName: 'nightly etl',
        groupings: { instance: 'batch-1' },
        headers: { 'X-Team': 'data' },
      },
    });
    const e = engine({ plugins: [plugin] });
    const pushed = gw.next();
    expect((await e.run(etl, {}).result).status).toBe('success');
    const push = await pushed;
    expect(push.method).toBe('POST');
    expect(push.url).toBe('/metrics/job/nightly%20etl/instance/batch-1');
    expect(push.headers['x-team']).toBe('data');
    expect(sampleValue(push.body, 'flowlane_workflow_runs_total', { workflow: 'etl', status: 'success' })).toBe(1);
    expect(sampleValue(push.body, 'flowlane_runs_in_flight', { workflow: 'etl' })).toBe(0);
  });

  it("uses PUT with method 'push', and coalesces pushes of runs that finish together", async () => {
    const gw = await startGateway();
    const e = engine({ plugins: [prometheus({ pushgateway: { url: gw.url, method: 'push' } })] });
    await e.ready();
    await Promise.all(Array.from({ length: 5 }, () => e.run(etl, {}).result));
    await e.close();
    // Five runs finishing together: coalesced into fewer pushes, the last one carrying all five.
    expect(gw.pushes.length).toBeGreaterThanOrEqual(1);
    expect(gw.pushes.length).toBeLessThan(5);
    expect(gw.pushes.every((p) => p.method === 'PUT' && p.url === '/metrics/job/flowlane')).toBe(true);
    const last = gw.pushes.at(-1)!;
    expect(sampleValue(last.body, 'flowlane_workflow_runs_total', { status: 'success' })).toBe(5);
  });

  it('logs FL_PROMETHEUS_PUSH_FAILED when the gateway refuses, and runs are unaffected', async () => {
    const gw = await startGateway(500);
    const logger = recordingLogger();
    const e = engine({ plugins: [prometheus({ pushgateway: { url: gw.url } })], logger });
    const pushed = gw.next();
    expect((await e.run(etl, {}).result).status).toBe('success');
    await pushed;
    await e.close();
    expect(logger.warnings).toEqual([
      {
        message: expect.stringContaining(
          `Pushing metrics to the Pushgateway at ${gw.url} failed: push failed with status 500`,
        ),
        fields: { code: 'FL_PROMETHEUS_PUSH_FAILED', url: gw.url },
      },
    ]);
  });

  it('never logs the credentials of a URL with basic auth', async () => {
    const gw = await startGateway(401);
    const url = gw.url.replace('http://', 'http://pusher:s3cret-pw@');
    const logger = recordingLogger();
    const e = engine({ plugins: [prometheus({ pushgateway: { url } })], logger });
    const pushed = gw.next();
    expect((await e.run(etl, {}).result).status).toBe('success');
    const push = await pushed;
    await e.close();
    // The credentials still went to the gateway, as basic auth.
    expect(push.headers.authorization).toBe(`Basic ${Buffer.from('pusher:s3cret-pw').toString('base64')}`);
    const shown = gw.url.replace('http://', 'http://***:***@');
    expect(logger.warnings).toEqual([
      {
        message: expect.stringContaining(
          `Pushing metrics to the Pushgateway at ${shown}/ failed: push failed with status 401`,
        ),
        fields: { code: 'FL_PROMETHEUS_PUSH_FAILED', url: `${shown}/` },
      },
    ]);
    expect(JSON.stringify(logger.warnings)).not.toContain('s3cret-pw');
    expect(() => prometheus({ pushgateway: { url: 'ftp://pusher:s3cret-pw@gw:2121' } })).toThrow(
      'expected an http(s) URL, got ftp://***:***@gw:2121/',
    );
  });

  it('does not hang close() when the gateway is unreachable', async () => {
    const gw = await startGateway();
    const url = gw.url;
    gw.server.close();
    const logger = recordingLogger();
    const e = engine({ plugins: [prometheus({ pushgateway: { url, timeoutMs: 500 } })], logger });
    expect((await e.run(etl, {}).result).status).toBe('success');
    await e.close();
    expect(logger.warnings.map((w) => w.fields.code)).toEqual(['FL_PROMETHEUS_PUSH_FAILED']);
  });
});
