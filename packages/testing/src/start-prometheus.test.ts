import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PrometheusService, startPrometheus } from './start-prometheus.js';

describe('startPrometheus', () => {
  let metrics: Server;
  let target: string;
  const scrapes: string[] = [];
  let prometheus: PrometheusService;

  beforeAll(async () => {
    metrics = createServer((req, res) => {
      scrapes.push(req.url ?? '');
      res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });
      res.end('# HELP flowlane_test_up A test gauge.\n# TYPE flowlane_test_up gauge\nflowlane_test_up 1\n');
    });
    await new Promise<void>((resolve) => metrics.listen(0, '127.0.0.1', resolve));
    target = `127.0.0.1:${(metrics.address() as AddressInfo).port}`;
    prometheus = await startPrometheus({ scrapeTargets: [target] });
  }, 30_000);

  afterAll(async () => {
    await prometheus?.dispose();
    metrics?.closeAllConnections();
    await new Promise((resolve) => metrics?.close(resolve));
  });

  it('is ready and evaluates queries', async () => {
    expect(prometheus.url).toBe(`http://127.0.0.1:${prometheus.port}`);
    const ready = await fetch(`${prometheus.url}/-/ready`);
    expect(ready.status).toBe(200);
    await ready.body?.cancel();
    const [two] = await prometheus.query('1 + 1');
    expect(two?.value).toBe(2);
    await expect(prometheus.query('sum(')).rejects.toThrow(/Prometheus query "sum\(" failed/);
  });

  it('scrapes the target and returns the sample', async () => {
    const samples = await prometheus.waitFor('flowlane_test_up', (s) => s.some((x) => x.value === 1));
    expect(samples).toHaveLength(1);
    expect(samples[0]?.metric).toEqual({ __name__: 'flowlane_test_up', instance: target, job: 'flowlane-test' });
    expect(samples[0]?.value).toBe(1);
    expect(samples[0]?.timestamp).toBeGreaterThan(Date.now() / 1000 - 60);
    expect(scrapes.length).toBeGreaterThan(0);
    expect(new Set(scrapes)).toEqual(new Set(['/metrics']));
  }, 40_000);
});
