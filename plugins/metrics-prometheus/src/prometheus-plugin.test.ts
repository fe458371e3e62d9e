import { createVirtualClock, type Scheduler, type SecretsProvider, type VirtualClock, workflow } from '@flowlane/core';
import { createEventSourceScheduler, useEngines } from '@flowlane/testing';
import { type OpenMetricsContentType, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parseExposition, samplesOf, sampleValue } from './exposition.test-helper.js';
import { METRIC_NAMES, PrometheusMetricsError, type PrometheusOptions, prometheus } from './index.js';

const engine = useEngines();

/** A node that takes `ms` of (virtual) engine time. */
const sleep =
  <T>(clock: VirtualClock, ms: number, value: T) =>
  () =>
    new Promise<T>((resolve) => clock.schedule(() => resolve(value), ms));

async function setup(options: PrometheusOptions = {}, extra: { concurrency?: number } = {}) {
  const clock = createVirtualClock();
  const plugin = prometheus(options);
  const e = engine({ plugins: [plugin], clock, ...extra });
  await e.ready();
  return { clock, plugin, engine: e };
}

/** etl: extract (250 ms), flaky (fails its first attempt, retried after 100 ms), load (fails when asked). */
const etl = (clock: VirtualClock) =>
  workflow('etl')
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

describe('prometheus(): metrics from engine events', () => {
  it('counts runs and nodes by final status, with retries and durations in seconds', async () => {
    const { clock, plugin, engine: e } = await setup();
    const wf = etl(clock);
    for (const failLoad of [false, false, true]) {
      const run = e.run(wf, { failLoad });
      await clock.runAll();
      expect((await run.result).status).toBe(failLoad ? 'failed' : 'success');
    }
    const text = await plugin.metrics();
    const runs = 'flowlane_workflow_runs_total';
    expect(sampleValue(text, runs, { workflow: 'etl', status: 'success' })).toBe(2);
    expect(sampleValue(text, runs, { workflow: 'etl', status: 'failed' })).toBe(1);
    expect(sampleValue(text, runs, { workflow: 'etl', status: 'cancelled' })).toBe(0);

    const nodes = 'flowlane_node_executions_total';
    expect(sampleValue(text, nodes, { node: 'extract', status: 'success' })).toBe(3);
    expect(sampleValue(text, nodes, { node: 'flaky', status: 'success' })).toBe(3);
    expect(sampleValue(text, nodes, { node: 'load', status: 'success' })).toBe(2);
    expect(sampleValue(text, nodes, { node: 'load', status: 'failed' })).toBe(1);
    expect(sampleValue(text, 'flowlane_node_retries_total', { workflow: 'etl', node: 'flaky' })).toBe(3);
    expect(samplesOf(text, 'flowlane_node_retries_total').map((s) => s.labels.node)).toEqual(['flaky']);

    const extract = { workflow: 'etl', node: 'extract', status: 'success' };
    expect(sampleValue(text, 'flowlane_node_duration_seconds_sum', extract)).toBeCloseTo(0.75, 9);
    expect(sampleValue(text, 'flowlane_node_duration_seconds_count', extract)).toBe(3);
    expect(sampleValue(text, 'flowlane_node_duration_seconds_bucket', { ...extract, le: '0.1' })).toBe(0);
    expect(sampleValue(text, 'flowlane_node_duration_seconds_bucket', { ...extract, le: '0.25' })).toBe(3);
    expect(sampleValue(text, 'flowlane_node_duration_seconds_bucket', { ...extract, le: '+Inf' })).toBe(3);
    // The node's duration spans its attempts and the retry delay.
    const flaky = { workflow: 'etl', node: 'flaky', status: 'success' };
    expect(sampleValue(text, 'flowlane_node_duration_seconds_sum', flaky)).toBeCloseTo(0.3, 9);
    const ok = { workflow: 'etl', status: 'success' };
    expect(sampleValue(text, 'flowlane_workflow_duration_seconds_sum', ok)).toBeCloseTo(0.5, 9);
    expect(sampleValue(text, 'flowlane_workflow_duration_seconds_count', { workflow: 'etl', status: 'failed' })).toBe(
      1,
    );
    // No histogram series for a status that never happened.
    expect(samplesOf(text, 'flowlane_workflow_duration_seconds_count').map((s) => s.labels.status)).toEqual([
      'success',
      'failed',
    ]);
    expect(sampleValue(text, 'flowlane_runs_in_flight', { workflow: 'etl' })).toBe(0);
    expect(sampleValue(text, 'flowlane_nodes_in_flight', { workflow: 'etl' })).toBe(0);
  });

  it('gives timeouts, skips, continued failures, fallbacks, boundaries and cancellations their own status', async () => {
    const { clock, plugin, engine: e } = await setup();
    const wf = workflow('recovery')
      .addNode('slow', sleep(clock, 1000, 0), { timeout: 50, onError: 'continue' })
      .addNode('never', () => 1, { condition: () => false })
      .addNode(
        'primary',
        () => {
          throw new Error('primary down');
        },
        { fallback: 'backup' },
      )
      .addNode('backup', () => 'copy')
      .addNode('risky', () => {
        throw new Error('risky broke');
      })
      .boundary('handler', () => 'handled', { forNodes: ['risky'] })
      .build();
    const run = e.run(wf, {});
    await clock.runAll();
    expect((await run.result).status).toBe('success');

    const hang = workflow('hang')
      .addNode('wait', sleep(clock, 10_000, 0))
      .build();
    const hung = e.run(hang, {});
    await clock.advanceBy(10);
    hung.cancel('operator');
    await clock.runAll();
    expect((await hung.result).status).toBe('cancelled');

    const text = await plugin.metrics();
    const nodes = 'flowlane_node_executions_total';
    expect(sampleValue(text, nodes, { node: 'slow', status: 'timeout' })).toBe(1);
    expect(sampleValue(text, 'flowlane_node_duration_seconds_sum', { node: 'slow', status: 'timeout' })).toBeCloseTo(
      0.05,
      9,
    );
    expect(sampleValue(text, nodes, { node: 'never', status: 'skipped' })).toBe(1);
    expect(samplesOf(text, 'flowlane_node_duration_seconds_count').some((s) => s.labels.node === 'never')).toBe(false);
    expect(sampleValue(text, nodes, { node: 'primary', status: 'success' })).toBe(1);
    expect(sampleValue(text, nodes, { node: 'backup', status: 'success' })).toBe(1);
    // The guarded node failed (its boundary handled it); the boundary node itself succeeded.
    expect(samplesOf(text, nodes).filter((s) => s.labels.node === 'risky')).toEqual([
      expect.objectContaining({ labels: expect.objectContaining({ status: 'failed' }), value: 1 }),
    ]);
    expect(sampleValue(text, nodes, { node: 'handler', status: 'success' })).toBe(1);
    expect(sampleValue(text, 'flowlane_workflow_runs_total', { workflow: 'hang', status: 'cancelled' })).toBe(1);
    expect(sampleValue(text, 'flowlane_runs_in_flight', { workflow: 'hang' })).toBe(0);
    expect(sampleValue(text, 'flowlane_nodes_in_flight', { workflow: 'hang' })).toBe(0);
  });

  it('tracks runs and nodes in flight, including nodes cut short by a failing run', async () => {
    const { clock, plugin, engine: e } = await setup();
    const wf = workflow('fan')
      .input<{ fail: boolean }>()
      .addNode('a', sleep(clock, 100, 1))
      .addNode('b', sleep(clock, 200, 2))
      .addNode('c', async (ctx) => {
        await sleep(clock, 50, 0)();
        if (ctx.input.fail) throw new Error('c failed');
        return 3;
      })
      .build();
    const first = e.run(wf, { fail: false });
    const second = e.run(wf, { fail: false });
    await clock.advanceBy(1);
    let text = await plugin.metrics();
    expect(sampleValue(text, 'flowlane_runs_in_flight', { workflow: 'fan' })).toBe(2);
    expect(sampleValue(text, 'flowlane_nodes_in_flight', { workflow: 'fan' })).toBe(6);
    await clock.advanceBy(100);
    text = await plugin.metrics();
    expect(sampleValue(text, 'flowlane_nodes_in_flight', { workflow: 'fan' })).toBe(2);
    await clock.runAll();
    await Promise.all([first.result, second.result]);

    const failing = e.run(wf, { fail: true });
    await clock.advanceBy(1);
    expect(sampleValue(await plugin.metrics(), 'flowlane_nodes_in_flight', { workflow: 'fan' })).toBe(3);
    await clock.runAll();
    expect((await failing.result).status).toBe('failed');
    text = await plugin.metrics();
    expect(sampleValue(text, 'flowlane_runs_in_flight', { workflow: 'fan' })).toBe(0);
    expect(sampleValue(text, 'flowlane_nodes_in_flight', { workflow: 'fan' })).toBe(0);
  });

  it('bounds label cardinality: extra node ids and workflow names become "other"; execution ids are never labels', async () => {
    const { plugin, engine: e } = await setup({ maxNodeIds: 2, maxWorkflows: 1 });
    const wide = workflow('wide')
      .addNode('a', () => 1)
      .addNode('b', () => 2)
      .addNode('c', () => 3)
      .addNode('d', () => 4)
      .build();
    const ids: string[] = [];
    for (let k = 0; k < 2; k++) ids.push((await e.run(wide, {}).result).executionId);
    ids.push(
      (
        await e.run(
          workflow('second')
            .addNode('x', () => 1)
            .build(),
          {},
        ).result
      ).executionId,
    );
    const text = await plugin.metrics();
    const nodes = samplesOf(text, 'flowlane_node_executions_total');
    expect(nodes.map((s) => `${s.labels.workflow}/${s.labels.node}=${s.value}`)).toEqual([
      'wide/a=2',
      'wide/b=2',
      'wide/other=4',
      'other/x=1',
    ]);
    expect(sampleValue(text, 'flowlane_workflow_runs_total', { workflow: 'other', status: 'success' })).toBe(1);
    for (const id of ids) expect(text).not.toContain(id);
    expect(parseExposition(text).every((s) => !('executionId' in s.labels || 'execution_id' in s.labels))).toBe(true);
  });

  it('never puts secret values or error messages in labels', async () => {
    const secret = 'sk_live_S3CR3T_value';
    const secrets: SecretsProvider = { name: 'test', get: (n) => (n === 'api-key' ? secret : undefined) };
    const clock = createVirtualClock();
    const plugin = prometheus();
    const e = engine({ plugins: [plugin], clock, secrets: [secrets] });
    const wf = workflow('leaky')
      .addNode('use', async (ctx) => {
        const key = await ctx.getSecret('api-key');
        ctx.log.info(`calling with ${key}`);
        ctx.emitEvent('called', { token: key });
        throw new Error(`request with ${key} failed`);
      })
      .build();
    const run = e.run(wf, {});
    await clock.runAll();
    expect((await run.result).status).toBe('failed');
    const text = await plugin.metrics();
    expect(sampleValue(text, 'flowlane_node_executions_total', { node: 'use', status: 'failed' })).toBe(1);
    expect(text).not.toContain(secret);
    expect(text).not.toContain('request with');
  });

  it('applies the prefix, static labels, the label allow-list and custom buckets', async () => {
    const { plugin, engine: e } = await setup({
      prefix: 'app_',
      staticLabels: { service: 'billing', env: 'prod' },
      allowedLabels: ['workflow', 'status'],
      buckets: { node: [0.1, 1], workflow: [5] },
    });
    const wf = workflow('etl')
      .addNode('a', () => 1)
      .addNode('b', () => 2)
      .addNode('c', () => {
        throw new Error('no');
      })
      .build();
    await e.run(wf, {}).result;
    const text = await plugin.metrics();
    expect(parseExposition(text).every((s) => s.name.startsWith('app_'))).toBe(true);
    const nodes = samplesOf(text, 'app_node_executions_total');
    // Without the node label, the nodes of a workflow share one series per status.
    expect(nodes.map((s) => s.labels)).toEqual(
      expect.arrayContaining([
        { workflow: 'etl', status: 'success', service: 'billing', env: 'prod' },
        { workflow: 'etl', status: 'failed', service: 'billing', env: 'prod' },
      ]),
    );
    expect(sampleValue(text, 'app_node_executions_total', { status: 'success' })).toBe(2);
    expect(
      samplesOf(text, 'app_node_duration_seconds_bucket')
        .filter((s) => s.labels.status === 'success')
        .map((s) => s.labels.le),
    ).toEqual(['0.1', '1', '+Inf']);
    expect(samplesOf(text, 'app_workflow_duration_seconds_bucket').map((s) => s.labels.le)).toEqual(['5', '+Inf']);
    expect(sampleValue(text, 'app_runs_in_flight', {})).toBe(0);
  });

  it("reports the scheduler's queue depth when the scheduler has one", async () => {
    const { clock, plugin, engine: e } = await setup({}, { concurrency: 1 });
    const wf = workflow('queue')
      .addNode('a', sleep(clock, 100, 1))
      .addNode('b', sleep(clock, 100, 2))
      .addNode('c', sleep(clock, 100, 3))
      .build();
    const run = e.run(wf, {});
    await clock.advanceBy(1);
    const during = samplesOf(await plugin.metrics(), 'flowlane_scheduler_queue_depth');
    expect(during).toHaveLength(1);
    expect(during[0]!.value).toBe(2);
    expect(during[0]!.labels.scheduler).toEqual(expect.any(String));
    await clock.runAll();
    await run.result;
    expect(sampleValue(await plugin.metrics(), 'flowlane_scheduler_queue_depth')).toBe(0);

    const { plugin: unscheduled } = await setup();
    expect(samplesOf(await unscheduled.metrics(), 'flowlane_scheduler_queue_depth')).toEqual([]);
  });

  it('turns worker.down / worker.up into flowlane_worker_up and counts resource.expired, per scheduler', async () => {
    const { scheduler, events } = createEventSourceScheduler('fleet');
    const plugin = prometheus({ staticLabels: { region: 'eu' } });
    const e = engine({ plugins: [plugin], scheduler });
    await e.ready();
    expect(samplesOf(await plugin.metrics(), 'flowlane_worker_up')).toEqual([]);
    events.next({ type: 'worker.down', workerId: 'w1', reason: 'probe timed out', timestamp: 1 });
    events.next({ type: 'worker.down', workerId: 'w2', reason: 'probe timed out', timestamp: 1 });
    events.next({ type: 'worker.up', workerId: 'w2', timestamp: 2 });
    events.next({
      type: 'resource.expired',
      executionId: 'x',
      nodeId: 'n',
      amounts: { cpu: 1 },
      heldMs: 9,
      timestamp: 3,
    });
    events.next({
      type: 'resource.expired',
      executionId: 'y',
      nodeId: 'n',
      amounts: { cpu: 1 },
      heldMs: 9,
      timestamp: 4,
    });
    const text = await plugin.metrics();
    expect(sampleValue(text, 'flowlane_worker_up', { scheduler: 'fleet', worker: 'w1', region: 'eu' })).toBe(0);
    expect(sampleValue(text, 'flowlane_worker_up', { scheduler: 'fleet', worker: 'w2', region: 'eu' })).toBe(1);
    expect(sampleValue(text, 'flowlane_resource_expirations_total', { scheduler: 'fleet', region: 'eu' })).toBe(2);
    // The reason (free text) and execution ids never become labels.
    expect(text).not.toContain('probe timed out');
    const labelValues = parseExposition(text).flatMap((x) => Object.entries(x.labels).flat());
    expect(labelValues).not.toContain('x');
    expect(labelValues).not.toContain('executionId');
    events.next({ type: 'worker.up', workerId: 'w1', timestamp: 5 });
    expect(sampleValue(await plugin.metrics(), 'flowlane_worker_up', { worker: 'w1' })).toBe(1);
  });

  it('registers into a given registry, refuses a name clash, and frees the names on close', async () => {
    const registry = new Registry();
    const first = engine({ plugins: [prometheus({ registry })] });
    await first.ready();
    expect(registry.getSingleMetric('flowlane_workflow_runs_total')).toBeDefined();
    await first.run(
      workflow('w')
        .addNode('a', () => 1)
        .build(),
      {},
    ).result;

    const clash = engine({ plugins: [prometheus({ registry })] });
    const failure = await clash.ready().catch((err: unknown) => err);
    expect(failure).toMatchObject({ code: 'FL_PLUGIN_SETUP_FAILED' });
    expect(String((failure as Error).message)).toContain('already holds a metric named "flowlane_workflow_runs_total"');
    expect((failure as Error).cause).toSatisfy((c: unknown) =>
      PrometheusMetricsError.is(c, 'FL_PROMETHEUS_METRIC_CONFLICT'),
    );

    await first.close();
    expect(registry.getMetricsAsArray()).toEqual([]);
    const next = engine({ plugins: [prometheus({ registry })] });
    await next.ready();
    expect(registry.getMetricsAsArray()).toHaveLength(METRIC_NAMES.length);

    // The plugin's own registry keeps the final values after close.
    const own = prometheus();
    const e = engine({ plugins: [own] });
    await e.run(
      workflow('w')
        .addNode('a', () => 1)
        .build(),
      {},
    ).result;
    await e.close();
    expect(sampleValue(await own.metrics(), 'flowlane_workflow_runs_total', { status: 'success' })).toBe(1);
  });

  it('works with the rest of the registry API: JSON, reset, OpenMetrics', async () => {
    // prom-client's typings leave out the constructor's content-type parameter.
    const OpenMetricsRegistry = Registry as unknown as new (
      contentType: OpenMetricsContentType,
    ) => Registry<OpenMetricsContentType>;
    const registry = new OpenMetricsRegistry(Registry.OPENMETRICS_CONTENT_TYPE);
    const plugin = prometheus({ registry });
    const e = engine({ plugins: [plugin] });
    await e.run(
      workflow('w')
        .addNode('a', () => 1)
        .build(),
      {},
    ).result;
    expect(plugin.contentType).toBe(Registry.OPENMETRICS_CONTENT_TYPE);
    const open = await plugin.metrics();
    expect(open).toContain('# TYPE flowlane_workflow_runs counter');
    expect(open).toContain('flowlane_workflow_runs_total{workflow="w",status="success"} 1');
    expect(open.endsWith('# EOF\n')).toBe(true);
    const json = await registry.getMetricsAsJSON();
    const hist = json.find((m) => m.name === 'flowlane_node_duration_seconds');
    expect(hist).toMatchObject({ type: 'histogram', help: expect.any(String) });
    registry.resetMetrics();
    const after = await registry.getMetricsAsJSON();
    const runs = after.find((m) => m.name.startsWith('flowlane_workflow_runs'))!;
    expect(runs.values.every((v) => v.value === 0)).toBe(true);
  });

  it('collects even when the scheduler cannot tell its queue depth', async () => {
    const scheduler: Scheduler = {
      name: 'broken',
      acquire: (request) => ({ request }),
      release: () => undefined,
      pending: () => {
        throw new Error('no idea');
      },
    };
    const plugin = prometheus();
    const e = engine({ plugins: [plugin], scheduler });
    expect(
      (
        await e.run(
          workflow('w')
            .addNode('a', () => 1)
            .build(),
          {},
        ).result
      ).status,
    ).toBe('success');
    const text = await plugin.metrics();
    expect(samplesOf(text, 'flowlane_scheduler_queue_depth')).toEqual([]);
    expect(sampleValue(text, 'flowlane_workflow_runs_total', { status: 'success' })).toBe(1);
  });

  it('rejects an unknown option key (also in server, pushgateway, buckets) naming the closest known key', () => {
    const cases: [unknown, string, string][] = [
      [{ prefx: 'app_' }, 'prefx', 'prefix'],
      [{ server: { prot: 9464 } }, 'server.prot', 'port'],
      [{ pushgateway: { url: 'http://gw', jobname: 'x' } }, 'pushgateway.jobname', 'jobName'],
      [{ buckets: { nodes: [1] } }, 'buckets.nodes', 'node'],
    ];
    for (const [options, option, meant] of cases) {
      let thrown: unknown;
      try {
        prometheus(options as PrometheusOptions);
      } catch (e) {
        thrown = e;
      }
      expect(PrometheusMetricsError.is(thrown, 'FL_PROMETHEUS_INVALID_OPTION'), option).toBe(true);
      expect((thrown as PrometheusMetricsError<'FL_PROMETHEUS_INVALID_OPTION'>).details.option).toBe(option);
      expect((thrown as Error).message).toContain(`did you mean "${meant}"?`);
    }
  });

  it('checks options when the plugin is created', () => {
    const bad: [PrometheusOptions, string][] = [
      [{ prefix: 'my-app_' }, 'prefix'],
      [{ staticLabels: { workflow: 'x' } }, 'staticLabels'],
      [{ staticLabels: { 'bad-name': 'x' } }, 'staticLabels'],
      [{ staticLabels: { __reserved: 'x' } }, 'staticLabels'],
      [{ allowedLabels: ['executionId' as never] }, 'allowedLabels'],
      [{ maxNodeIds: 0 }, 'maxNodeIds'],
      [{ maxWorkflows: 1.5 }, 'maxWorkflows'],
      [{ buckets: { node: [1, 0.5] } }, 'buckets.node'],
      [{ buckets: { workflow: [] } }, 'buckets.workflow'],
      [{ buckets: { node: [-1] } }, 'buckets.node'],
      [{ server: { port: 70_000 } }, 'server.port'],
      [{ server: { port: 0, path: 'metrics' } }, 'server.path'],
      [{ pushgateway: { url: 'not a url' } }, 'pushgateway.url'],
      [{ pushgateway: { url: 'ftp://gw' } }, 'pushgateway.url'],
      [{ pushgateway: { url: 'http://gw', method: 'post' as never } }, 'pushgateway.method'],
    ];
    for (const [options, option] of bad) {
      let thrown: unknown;
      try {
        prometheus(options);
      } catch (e) {
        thrown = e;
      }
      expect(PrometheusMetricsError.is(thrown, 'FL_PROMETHEUS_INVALID_OPTION'), option).toBe(true);
      expect((thrown as PrometheusMetricsError<'FL_PROMETHEUS_INVALID_OPTION'>).details.option).toBe(option);
    }
  });
});
