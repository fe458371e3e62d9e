import { spawn } from 'node:child_process';
import { createVirtualClock, type VirtualClock, workflow } from '@flowlane/core';
import { startPrometheus, useEngines } from '@flowlane/testing';
import { describe, expect, it } from 'vitest';
import { prometheus } from './index.js';

const engine = useEngines();

/** `promtool check metrics` reads exposition text on stdin and prints one line per problem. */
function promtoolCheck(text: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => {
      output += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      output += c.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
    child.stdin.end(text);
  });
}

const sleep =
  <T>(clock: VirtualClock, ms: number, value: T) =>
  () =>
    new Promise<T>((resolve) => clock.schedule(() => resolve(value), ms));

/** Runs etl 4× (the last one fails in `load`) plus a run with a timeout, a skip and a cache hit. */
async function runWorkload(clock: VirtualClock, e: ReturnType<typeof engine>): Promise<void> {
  const etl = workflow('etl')
    .input<{ failLoad: boolean }>()
    .addNode('extract', sleep(clock, 250, 1))
    .addNode(
      'flaky',
      (ctx) => {
        if (ctx.attempt === 1) throw new Error('transient');
        return 2;
      },
      { retry: { maxAttempts: 3, initialInterval: 100 } },
    )
    .addNode(
      'load',
      (ctx) => {
        if (ctx.input.failLoad) throw new Error('disk full');
        return 3;
      },
      { dependsOn: ['extract', 'flaky'] },
    )
    .build();
  for (const failLoad of [false, false, false, true]) {
    const run = e.run(etl, { failLoad });
    await clock.runAll();
    expect((await run.result).status).toBe(failLoad ? 'failed' : 'success');
  }
  const misc = workflow('misc')
    .addNode('slow', sleep(clock, 5000, 0), { timeout: 100, onError: 'continue' })
    .addNode('never', () => 0, { condition: () => false })
    .addNode('cached', () => 1, { cache: { ttl: 60_000, keyFn: () => 'k' } })
    .build();
  for (let k = 0; k < 2; k++) {
    const run = e.run(misc, {});
    await clock.runAll();
    expect((await run.result).status).toBe('success');
  }
}

describe('against a real Prometheus server', { timeout: 90_000 }, () => {
  it('is scraped from /metrics; PromQL sees the run and node counts, retries and duration sums', async () => {
    const clock = createVirtualClock();
    const plugin = prometheus({ server: { port: 0 }, staticLabels: { service: 'billing' } });
    const e = engine({ plugins: [plugin], clock });
    await e.ready();
    await runWorkload(clock, e);
    const { port } = plugin.address()!;
    await using prom = await startPrometheus({ scrapeTargets: [`127.0.0.1:${port}`], scrapeInterval: '1s' });

    const value = async (promql: string): Promise<number> => {
      const samples = await prom.query(promql);
      expect(samples, promql).toHaveLength(1);
      return samples[0]!.value;
    };
    await prom.waitFor('flowlane_workflow_runs_total{workflow="etl",status="success"}', (s) => s[0]?.value === 3, {
      timeoutMs: 40_000,
    });
    expect(await value('up{job="flowlane-test"}')).toBe(1);
    expect(await value('flowlane_workflow_runs_total{workflow="etl",status="failed"}')).toBe(1);
    expect(await value('sum(flowlane_workflow_runs_total{workflow="etl"})')).toBe(4);
    expect(await value('flowlane_node_executions_total{workflow="etl",node="load",status="failed"}')).toBe(1);
    expect(await value('sum by (workflow) (flowlane_node_executions_total{workflow="etl"})')).toBe(12);
    expect(await value('flowlane_node_retries_total{workflow="etl",node="flaky"}')).toBe(4);
    // Virtual time: extract takes exactly 250 ms, flaky 100 ms (one retry delay), every run 250 ms.
    const extract = 'workflow="etl",node="extract",status="success"';
    expect(await value(`flowlane_node_duration_seconds_sum{${extract}}`)).toBeCloseTo(1.0, 9);
    expect(await value(`flowlane_node_duration_seconds_count{${extract}}`)).toBe(4);
    expect(await value(`flowlane_node_duration_seconds_bucket{${extract},le="0.25"}`)).toBe(4);
    expect(await value(`flowlane_node_duration_seconds_bucket{${extract},le="0.1"}`)).toBe(0);
    expect(await value('flowlane_node_duration_seconds_sum{workflow="etl",node="flaky",status="success"}')).toBeCloseTo(
      0.4,
      9,
    );
    expect(await value('flowlane_workflow_duration_seconds_sum{workflow="etl",status="success"}')).toBeCloseTo(0.75, 9);
    expect(
      await value(
        'histogram_quantile(0.5, sum by (le) (flowlane_node_duration_seconds_bucket{workflow="etl",node="extract"}))',
      ),
    ).toBeGreaterThan(0.1);
    expect(await value('flowlane_node_executions_total{workflow="misc",node="slow",status="timeout"}')).toBe(2);
    expect(await value('flowlane_node_executions_total{workflow="misc",node="never",status="skipped"}')).toBe(2);
    expect(await value('flowlane_cache_hits_total{workflow="misc",node="cached"}')).toBe(1);
    expect(await value('sum(flowlane_runs_in_flight)')).toBe(0);
    expect(await value('sum(flowlane_nodes_in_flight)')).toBe(0);
    expect(await value('count(flowlane_workflow_runs_total{service="billing"})')).toBe(6);
    // No execution id, error text or unexpected label reaches Prometheus.
    const labels = await prom.query('count by (__name__, workflow, node, status, service) ({__name__=~"flowlane_.+"})');
    const names = new Set(labels.flatMap((s) => Object.keys(s.metric)));
    expect([...names].sort()).toEqual(['__name__', 'node', 'service', 'status', 'workflow']);
  });

  it('passes promtool check metrics', async () => {
    const clock = createVirtualClock();
    const plugin = prometheus({ server: { port: 0 } });
    const e = engine({ plugins: [plugin], clock, concurrency: 4 });
    await e.ready();
    await runWorkload(clock, e);
    const text = await (await fetch(plugin.address()!.url)).text();
    expect(text).toContain('flowlane_scheduler_queue_depth');
    const { code, output } = await promtoolCheck(text);
    expect(output).toBe('');
    expect(code).toBe(0);
  });

  it('promtool does flag a broken exposition (the check is real)', async () => {
    const { code, output } = await promtoolCheck('# TYPE requests counter\nrequests 1\n');
    expect(output).toContain('counter metrics should have "_total" suffix');
    expect(code).not.toBe(0);
  });
});
