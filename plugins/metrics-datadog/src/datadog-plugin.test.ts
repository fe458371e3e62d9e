import { createServer } from 'node:net';
import {
  createVirtualClock,
  type Engine,
  type Logger,
  type SecretsProvider,
  type VirtualClock,
  workflow,
} from '@flowlane/core';
import { createEventSourceScheduler, type StatsdListener, startStatsdListener, useEngines } from '@flowlane/testing';
import { StatsD } from 'hot-shots';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DatadogMetricsError, type DatadogOptions, datadog } from './index.js';

// hot-shots reads DD_* variables (global tags, datadog mode); keep the lines of this suite independent of the machine.
const DD_VARS = Object.keys(process.env).filter((k) => k.startsWith('DD_') || k.startsWith('DATADOG_'));
const saved = Object.fromEntries(DD_VARS.map((k) => [k, process.env[k]]));
let statsd: StatsdListener;
beforeAll(async () => {
  for (const k of DD_VARS) delete process.env[k];
  statsd = await startStatsdListener();
});
afterAll(async () => {
  await statsd.dispose();
  Object.assign(process.env, saved);
});
afterEach(() => statsd.clear());
// Registered after the clear above, so it runs before it: engines are closed (and flushed) before lines are cleared.
const engine = useEngines();

const sleep =
  <T>(clock: VirtualClock, ms: number, value: T) =>
  () =>
    new Promise<T>((resolve) => clock.schedule(() => resolve(value), ms));

/** An engine on virtual time whose exporter sends to the test listener (flushing on close unless told otherwise). */
async function setup(options: DatadogOptions = {}, extra: { concurrency?: number; logger?: Logger } = {}) {
  const clock = createVirtualClock();
  const e = engine({
    plugins: [datadog({ host: statsd.host, port: statsd.port, flushInterval: 60_000, ...options })],
    clock,
    ...extra,
  });
  await e.ready();
  return { clock, engine: e };
}

async function runToEnd(clock: VirtualClock, e: Engine, wf: Parameters<Engine['run']>[0], input: unknown = {}) {
  const run = e.run(wf, input as never);
  await clock.runAll();
  return run.result;
}

/** Lines of this exporter (hot-shots may add its own telemetry lines in datadog mode). */
const ours = (lines: readonly string[]) => lines.filter((l) => l.startsWith('flowlane.'));

const etl = (clock: VirtualClock) =>
  workflow('etl')
    .addNode('extract', sleep(clock, 12, 1))
    .addNode(
      'flaky',
      (ctx) => {
        if (ctx.attempt === 1) throw new Error('transient');
        return 2;
      },
      { retry: { maxAttempts: 2, initialInterval: 30 } },
    )
    .addNode('load', () => 3, { dependsOn: ['extract', 'flaky'] })
    .build();

describe('datadog(): DogStatsD lines against a real UDP listener', () => {
  it('sends exact counts, timings and gauges tagged workflow, node and status', async () => {
    const { clock, engine: e } = await setup();
    expect((await runToEnd(clock, e, etl(clock))).status).toBe('success');
    await e.close();
    const lines = ours(await statsd.waitForLines((l) => l.some((x) => x.startsWith('flowlane.node.in_flight'))));
    expect(lines).toEqual([
      'flowlane.workflow.run:1|c|#workflow:etl,status:success',
      'flowlane.node.executions:1|c|#workflow:etl,node:extract,status:success',
      'flowlane.node.executions:1|c|#workflow:etl,node:flaky,status:success',
      'flowlane.node.executions:1|c|#workflow:etl,node:load,status:success',
      'flowlane.node.retries:1|c|#workflow:etl,node:flaky',
      'flowlane.workflow.duration:30|ms|#workflow:etl,status:success',
      'flowlane.node.duration:12|ms|#workflow:etl,node:extract,status:success',
      'flowlane.node.duration:30|ms|#workflow:etl,node:flaky,status:success',
      'flowlane.node.duration:0|ms|#workflow:etl,node:load,status:success',
      'flowlane.workflow.in_flight:0|g|#workflow:etl',
      'flowlane.node.in_flight:0|g|#workflow:etl',
    ]);
  });

  it('adds global tags first, honours the prefix and the tag allow-list, and sends distributions', async () => {
    const { clock, engine: e } = await setup({
      prefix: 'app.flow.',
      globalTags: { team: 'data', env: 'prod' },
      allowedTags: ['workflow', 'status'],
      durationType: 'distribution',
    });
    const wf = workflow('etl')
      .addNode('a', sleep(clock, 5, 1))
      .addNode('b', sleep(clock, 7, 2))
      .build();
    await runToEnd(clock, e, wf);
    await e.close();
    const lines = await statsd.waitForLines((l) => l.some((x) => x.startsWith('app.flow.node.in_flight')));
    expect(lines.filter((l) => l.startsWith('app.flow.node.'))).toEqual([
      'app.flow.node.executions:2|c|#team:data,env:prod,workflow:etl,status:success',
      'app.flow.node.duration:5|d|#team:data,env:prod,workflow:etl,status:success',
      'app.flow.node.duration:7|d|#team:data,env:prod,workflow:etl,status:success',
      'app.flow.node.in_flight:0|g|#team:data,env:prod,workflow:etl',
    ]);
    expect(lines.every((l) => !l.startsWith('flowlane.'))).toBe(true);
  });

  it('reports failures, timeouts, skips, cancellations and cache hits with their own status', async () => {
    const { clock, engine: e } = await setup({ globalTags: ['team:data'] });
    const wf = workflow('misc')
      .addNode('slow', sleep(clock, 1000, 0), { timeout: 40, onError: 'continue' })
      .addNode('never', () => 0, { condition: () => false })
      .addNode('cached', () => 1, { cache: { ttl: 60_000, keyFn: () => 'k' } })
      .addNode(
        'broken',
        () => {
          throw new Error('boom');
        },
        { onError: 'continue' },
      )
      .build();
    await runToEnd(clock, e, wf);
    await runToEnd(clock, e, wf);
    const hang = workflow('hang')
      .addNode('wait', sleep(clock, 10_000, 0))
      .build();
    const hung = e.run(hang, {});
    await clock.advanceBy(25);
    hung.cancel('operator');
    await clock.runAll();
    expect((await hung.result).status).toBe('cancelled');
    await e.close();
    const lines = ours(
      await statsd.waitForLines((l) => l.some((x) => x.includes('in_flight:0|g|#team:data,workflow:hang'))),
    );
    expect(lines).toEqual(
      expect.arrayContaining([
        'flowlane.workflow.run:2|c|#team:data,workflow:misc,status:success',
        'flowlane.workflow.run:1|c|#team:data,workflow:hang,status:cancelled',
        'flowlane.workflow.duration:25|ms|#team:data,workflow:hang,status:cancelled',
        'flowlane.node.executions:2|c|#team:data,workflow:misc,node:slow,status:timeout',
        'flowlane.node.executions:2|c|#team:data,workflow:misc,node:never,status:skipped',
        'flowlane.node.executions:2|c|#team:data,workflow:misc,node:broken,status:failed',
        'flowlane.node.executions:2|c|#team:data,workflow:misc,node:cached,status:success',
        'flowlane.node.cache_hits:1|c|#team:data,workflow:misc,node:cached',
        'flowlane.node.duration:40|ms|#team:data,workflow:misc,node:slow,status:timeout',
        'flowlane.node.in_flight:0|g|#team:data,workflow:hang',
      ]),
    );
    expect(lines.some((l) => l.startsWith('flowlane.node.duration') && l.includes('node:never'))).toBe(false);
  });

  it('samples duration values (sampleRate, maxDurationSamples) while counts stay exact', async () => {
    let b = workflow('many');
    for (let k = 0; k < 40; k++) b = b.addNode(`n${k}`, () => k) as unknown as typeof b;
    const wf = b.build();
    const sampled = await setup({ sampleRate: 0.5, allowedTags: ['workflow', 'status'] });
    await runToEnd(sampled.clock, sampled.engine, wf);
    await sampled.engine.close();
    let lines = await statsd.waitForLines((l) => l.includes('flowlane.node.in_flight:0|g|#workflow:many'));
    expect(lines).toContain('flowlane.node.executions:40|c|#workflow:many,status:success');
    const durations = lines.filter((l) => l.startsWith('flowlane.node.duration'));
    expect(durations.every((l) => l === 'flowlane.node.duration:0|ms|@0.5|#workflow:many,status:success')).toBe(true);
    expect(durations.length).toBeGreaterThan(0);
    expect(durations.length).toBeLessThan(40);
    statsd.clear();

    const capped = await setup({ maxDurationSamples: 5, allowedTags: ['workflow', 'status'] });
    await runToEnd(capped.clock, capped.engine, wf);
    await capped.engine.close();
    lines = await statsd.waitForLines((l) => l.includes('flowlane.node.in_flight:0|g|#workflow:many'));
    expect(lines).toContain('flowlane.node.executions:40|c|#workflow:many,status:success');
    expect(lines.filter((l) => l.startsWith('flowlane.node.duration'))).toHaveLength(5);
  });

  it('flushes on its interval: in-flight gauges and the scheduler queue depth while a run is under way', async () => {
    const { clock, engine: e } = await setup({ flushInterval: 25 }, { concurrency: 1 });
    const wf = workflow('busy')
      .addNode('a', sleep(clock, 100, 1))
      .addNode('b', sleep(clock, 100, 2))
      .addNode('c', sleep(clock, 100, 3))
      .build();
    const run = e.run(wf, {});
    await clock.advanceBy(1);
    const during = await statsd.waitForLines((l) => l.some((x) => x.startsWith('flowlane.scheduler.queue_depth')));
    expect(during).toEqual(
      expect.arrayContaining([
        'flowlane.workflow.in_flight:1|g|#workflow:busy',
        'flowlane.node.in_flight:1|g|#workflow:busy',
        expect.stringMatching(/^flowlane\.scheduler\.queue_depth:2\|g\|#scheduler:[^,|]+$/),
      ]),
    );
    await clock.runAll();
    expect((await run.result).status).toBe('success');
    await statsd.waitForLines((l) => l.includes('flowlane.workflow.run:1|c|#workflow:busy,status:success'));
    await e.close();
  });

  it('sends worker health as the flowlane.worker.up gauge and counts resource expirations, from system events', async () => {
    const { scheduler, events } = createEventSourceScheduler('fleet');
    const e = engine({
      scheduler,
      plugins: [datadog({ host: statsd.host, port: statsd.port, flushInterval: 60_000 })],
    });
    await e.ready();
    events.next({ type: 'worker.down', workerId: 'w1', reason: 'probe timed out', timestamp: 1 });
    events.next({ type: 'worker.down', workerId: 'w2', reason: 'probe timed out', timestamp: 1 });
    events.next({ type: 'worker.up', workerId: 'w2', timestamp: 2 });
    events.next({
      type: 'resource.expired',
      executionId: 'x1',
      nodeId: 'n',
      amounts: { cpu: 1 },
      heldMs: 9,
      timestamp: 3,
    });
    await e.close(); // flushes
    const lines = await statsd.waitForLines((l) => l.some((x) => x.startsWith('flowlane.resource.expirations')));
    expect(ours(lines)).toEqual(
      expect.arrayContaining([
        'flowlane.worker.up:0|g|#scheduler:fleet,worker:w1',
        'flowlane.worker.up:1|g|#scheduler:fleet,worker:w2',
        'flowlane.resource.expirations:1|c|#scheduler:fleet',
      ]),
    );
    expect(lines.join('\n')).not.toMatch(/probe timed out|x1/);
  });

  it('bounds tag cardinality; execution ids, error messages and secrets never become tags', async () => {
    const secret = 'sk_live_S3CR3T_value';
    const secrets: SecretsProvider = { name: 'test', get: (n) => (n === 'api-key' ? secret : undefined) };
    const clock = createVirtualClock();
    const e = engine({
      plugins: [
        datadog({ host: statsd.host, port: statsd.port, flushInterval: 60_000, maxNodeIds: 1, maxWorkflows: 1 }),
      ],
      clock,
      secrets: [secrets],
    });
    const wide = workflow('wide|odd,name')
      .addNode('a', () => 1)
      .addNode('b', () => 2)
      .addNode('c', async (ctx) => {
        const key = await ctx.getSecret('api-key');
        ctx.log.info(`using ${key}`);
        throw new Error(`request with ${key} failed`);
      })
      .build();
    const first = await runToEnd(clock, e, wide);
    const second = await runToEnd(
      clock,
      e,
      workflow('second')
        .addNode('x', () => 1)
        .build(),
    );
    await e.close();
    const lines = ours(await statsd.waitForLines((l) => l.includes('flowlane.node.in_flight:0|g|#workflow:other')));
    expect(lines).toEqual(
      expect.arrayContaining([
        'flowlane.node.executions:1|c|#workflow:wide_odd_name,node:a,status:success',
        'flowlane.node.executions:1|c|#workflow:wide_odd_name,node:other,status:success',
        'flowlane.node.executions:1|c|#workflow:wide_odd_name,node:other,status:failed',
        'flowlane.node.executions:1|c|#workflow:other,node:x,status:success',
      ]),
    );
    const all = lines.join('\n');
    for (const forbidden of [secret, 'request with', first.executionId, second.executionId])
      expect(all).not.toContain(forbidden);
  });

  it('uses a given hot-shots client as is: flushed on close, never closed', async () => {
    const client = new StatsD({ mock: true });
    const clock = createVirtualClock();
    const e = engine({ plugins: [datadog({ client, flushInterval: 60_000 })], clock });
    await runToEnd(
      clock,
      e,
      workflow('w')
        .addNode('a', sleep(clock, 3, 1))
        .build(),
    );
    await e.close();
    expect(client.mockBuffer).toEqual(
      expect.arrayContaining([
        'flowlane.workflow.run:1|c|#workflow:w,status:success',
        'flowlane.node.duration:3|ms|#workflow:w,node:a,status:success',
      ]),
    );
    client.increment('still.open');
    expect(client.mockBuffer?.at(-1)).toBe('still.open:1|c');
    await new Promise<void>((resolve) => client.close(() => resolve()));
  });

  it('finds the agent through DD_AGENT_HOST and DD_DOGSTATSD_PORT', async () => {
    process.env.DD_AGENT_HOST = statsd.host;
    process.env.DD_DOGSTATSD_PORT = String(statsd.port);
    let plugin: ReturnType<typeof datadog>;
    try {
      plugin = datadog({
        flushInterval: 60_000,
        clientOptions: { includeDatadogTelemetry: false, originDetection: false },
      });
    } finally {
      delete process.env.DD_AGENT_HOST;
      delete process.env.DD_DOGSTATSD_PORT;
    }
    const clock = createVirtualClock();
    const e = engine({ plugins: [plugin], clock });
    await runToEnd(
      clock,
      e,
      workflow('from-env')
        .addNode('a', () => 1)
        .build(),
    );
    await e.close();
    await statsd.waitForLines((l) => l.includes('flowlane.workflow.run:1|c|#workflow:from-env,status:success'));
  });

  it('reports client errors to the engine logger (throttled), never into runs', async () => {
    const warnings: { message: string; fields: Record<string, unknown> | undefined }[] = [];
    const logger: Logger = {
      debug: () => undefined,
      info: () => undefined,
      warn: (message, fields) => void warnings.push({ message, fields }),
      error: () => undefined,
    };
    // A TCP agent address where nothing listens: every send fails.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as { port: number }).port;
    await new Promise((resolve) => closed.close(resolve));
    const { clock, engine: e } = await setup(
      { port, flushInterval: 20, clientOptions: { protocol: 'tcp', tcpGracefulErrorHandling: false } },
      { logger },
    );
    for (let k = 0; k < 3; k++) expect((await runToEnd(clock, e, etl(clock))).status).toBe('success');
    await new Promise((resolve) => setTimeout(resolve, 100));
    await e.close();
    expect(warnings.length).toBeGreaterThanOrEqual(1);
    expect(warnings.length).toBeLessThanOrEqual(2);
    expect(warnings[0]).toEqual({
      message: expect.stringContaining('The DogStatsD client reported an error'),
      fields: { code: 'FL_DATADOG_CLIENT_ERROR', suppressed: 0 },
    });
  });

  it('keeps recording when a given client throws', async () => {
    const warnings: unknown[] = [];
    const logger: Logger = {
      debug: () => undefined,
      info: () => undefined,
      warn: (_m, f) => void warnings.push(f),
      error: () => undefined,
    };
    const broken = new StatsD({ mock: true });
    broken.increment = () => {
      throw new Error('socket gone');
    };
    const clock = createVirtualClock();
    const e = engine({ plugins: [datadog({ client: broken, flushInterval: 60_000 })], clock, logger });
    expect((await runToEnd(clock, e, etl(clock))).status).toBe('success');
    await e.close();
    expect(warnings).toEqual([{ code: 'FL_DATADOG_CLIENT_ERROR', suppressed: 0 }]);
  });

  it('rejects an unknown option key when the plugin is created, naming the closest known key', () => {
    let thrown: unknown;
    try {
      datadog({ prefx: 'app.' } as never);
    } catch (e) {
      thrown = e;
    }
    expect(DatadogMetricsError.is(thrown, 'FL_DATADOG_INVALID_OPTION')).toBe(true);
    expect((thrown as DatadogMetricsError<'FL_DATADOG_INVALID_OPTION'>).details.option).toBe('prefx');
    expect((thrown as Error).message).toContain('did you mean "prefix"?');
    expect(() => datadog({ sampelRate: 0.5 } as never)).toThrow(/did you mean "sampleRate"\?/);
  });

  it('checks options when the plugin is created', () => {
    const bad: [DatadogOptions, string][] = [
      [{ prefix: 'bad prefix|' }, 'prefix'],
      [{ port: 0 }, 'port'],
      [{ port: 70_000 }, 'port'],
      [{ sampleRate: 0 }, 'sampleRate'],
      [{ sampleRate: 1.5 }, 'sampleRate'],
      [{ durationType: 'histogram' as never }, 'durationType'],
      [{ allowedTags: ['executionId' as never] }, 'allowedTags'],
      [{ globalTags: { workflow: 'x' } }, 'globalTags'],
      [{ flushInterval: 0 }, 'flushInterval'],
      [{ maxDurationSamples: 0 }, 'maxDurationSamples'],
      [{ maxBufferSize: -1 }, 'maxBufferSize'],
      [{ maxNodeIds: 0 }, 'maxNodeIds'],
      [{ maxWorkflows: 2.5 }, 'maxWorkflows'],
    ];
    for (const [options, option] of bad) {
      let thrown: unknown;
      try {
        datadog(options);
      } catch (e) {
        thrown = e;
      }
      expect(DatadogMetricsError.is(thrown, 'FL_DATADOG_INVALID_OPTION'), option).toBe(true);
      expect((thrown as DatadogMetricsError<'FL_DATADOG_INVALID_OPTION'>).details.option).toBe(option);
    }
    process.env.DD_DOGSTATSD_PORT = 'eighty';
    try {
      expect(() => datadog()).toThrow(/DD_DOGSTATSD_PORT="eighty"/);
    } finally {
      delete process.env.DD_DOGSTATSD_PORT;
    }
  });
});
