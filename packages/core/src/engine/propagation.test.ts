import { AsyncLocalStorage } from 'node:async_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { workflow } from '../builder/workflow-builder.js';
import { createMemoryExecutionStore } from '../defaults/memory-execution-store.js';
import type { QueuedRun } from '../plugin/contracts/run-queue.js';
import { definePlugin } from '../plugin/define-plugin.js';
import type {
  ContextPropagator,
  FlowlanePlugin,
  Logger,
  PluginApi,
  PropagationCarrier,
  PropagationScope,
  RunOrigin,
} from '../plugin/types.js';
import { createEngine, type Engine } from './engine.js';
import { runNodeOnWorker } from './node-runner.js';

const engines: Engine[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.close()));
});

function recordingLogger() {
  const warnings: { message: string; fields: unknown }[] = [];
  const logger: Logger = {
    debug() {},
    info() {},
    warn: (message, fields) => void warnings.push({ message, fields }),
    error() {},
  };
  return { logger, warnings };
}

const withPropagators = (...ps: ContextPropagator[]): FlowlanePlugin =>
  definePlugin({
    name: 'test-propagators',
    version: '1.0.0',
    flowlane: '>=0.0.0',
    setup(api) {
      for (const p of ps) api.propagation.add(p);
    },
  });

/** A node whose command (a real child process, argv) prints the listed variables. */
const printEnv = (names: string[], env?: Record<string, string>) =>
  workflow('print-env')
    .addNode('cmd', async (ctx) => {
      const script = `process.stdout.write(JSON.stringify(${JSON.stringify(names)}.map((n) => process.env[n] ?? null)))`;
      const { stdout } = await ctx.exec(process.execPath, { args: ['-e', script], ...(env ? { env } : {}) });
      return JSON.parse(stdout) as (string | null)[];
    })
    .build();

describe('context propagators: commands (ctx.exec)', () => {
  it("adds a propagator's variables for the attempt, unless the node sets one of them; drops invalid names", async () => {
    const scopes: PropagationScope[] = [];
    const trace: ContextPropagator = {
      name: 'trace',
      env: (s) => {
        scopes.push(s);
        return { TRACEPARENT: `tp-${s.nodeId}-${s.attempt}`, TRACESTATE: 'ts', 'BAD-NAME': 'x' };
      },
    };
    const baggage: ContextPropagator = { name: 'baggage', env: () => ({ BAGGAGE: 'k=v' }) };
    const engine = createEngine({ plugins: [withPropagators(trace, baggage)] });
    engines.push(engine);
    const names = ['TRACEPARENT', 'TRACESTATE', 'BAGGAGE', 'BAD-NAME'];
    const plain = await engine.run(printEnv(names), undefined, { executionId: 'p-1' }).result;
    expect(plain.outputs.cmd).toEqual(['tp-cmd-1', 'ts', 'k=v', null]);
    expect(scopes[0]).toEqual({ executionId: 'p-1', workflow: 'print-env', nodeId: 'cmd', attempt: 1 });
    // The node's own TRACEPARENT: the whole "trace" contribution is left out, the other propagator's stays.
    const own = await engine.run(printEnv(names, { TRACEPARENT: 'mine' }), undefined).result;
    expect(own.outputs.cmd).toEqual(['mine', null, 'k=v', null]);
  });

  it('a propagator that throws is logged and skipped; the command runs', async () => {
    const { logger, warnings } = recordingLogger();
    const broken: ContextPropagator = {
      name: 'broken',
      env: () => {
        throw new Error('no context today');
      },
    };
    const engine = createEngine({ logger, plugins: [withPropagators(broken)] });
    engines.push(engine);
    const result = await engine.run(printEnv(['TRACEPARENT']), undefined).result;
    expect(result.status).toBe('success');
    expect(result.outputs.cmd).toEqual([null]);
    expect(warnings).toEqual([
      expect.objectContaining({
        fields: expect.objectContaining({ propagator: 'broken', what: 'env', error: 'no context today' }),
      }),
    ]);
  });
});

describe('context propagators: carriers and remote attempts', () => {
  it('api.propagation.carrier merges every propagator (later wins, non-strings dropped); one name per engine', async () => {
    let api!: PluginApi;
    const grab = definePlugin({ name: 'grab', version: '1.0.0', flowlane: '>=0.0.0', setup: (a) => void (api = a) });
    const a: ContextPropagator = { name: 'a', carrier: (s) => ({ traceparent: `a-${s.nodeId}`, shared: 'a' }) };
    const b: ContextPropagator = { name: 'b', carrier: () => ({ shared: 'b', bad: 7 as unknown as string }) };
    const engine = createEngine({ plugins: [withPropagators(a, b), grab] });
    engines.push(engine);
    await engine.ready();
    const scope = { executionId: 'e', workflow: 'w', nodeId: 'n', attempt: 1 };
    expect(api.propagation.carrier(scope)).toEqual({ traceparent: 'a-n', shared: 'b' });

    const twice = createEngine({ plugins: [withPropagators(a, { name: 'a' })] });
    await expect(twice.ready()).rejects.toMatchObject({ code: 'FL_PLUGIN_CONFLICT' });
    await twice.close();
    const invalid = createEngine({ plugins: [withPropagators(null as unknown as ContextPropagator)] });
    await expect(invalid.ready()).rejects.toMatchObject({
      code: 'FL_PLUGIN_SETUP_FAILED',
      cause: { code: 'FL_PLUGIN_INVALID' },
    });
    await invalid.close();
  });

  it('runNodeOnWorker runs the node inside runRemote with the carrier; its commands get the env', async () => {
    const seen: { scope: PropagationScope; carrier: PropagationCarrier }[] = [];
    const order: string[] = [];
    const remote: ContextPropagator = {
      name: 'remote',
      env: (s) => ({ TRACEPARENT: `worker-${s.workerId}-${s.attempt}` }),
      async runRemote(scope, carrier, run) {
        seen.push({ scope, carrier });
        order.push('enter');
        const out = await run();
        order.push(`exit ${out.ok}`);
        return out;
      },
    };
    const engine = createEngine({ plugins: [withPropagators(remote)] });
    engines.push(engine);
    await engine.ready();
    const wf = printEnv(['TRACEPARENT']);
    const out = await runNodeOnWorker(engine, wf as never, {
      executionId: 'r-1',
      nodeId: 'cmd',
      attempt: 2,
      input: undefined,
      results: {},
      signal: new AbortController().signal,
      workerId: 'w7',
      carrier: { traceparent: 'from-coordinator' },
    });
    expect(out).toEqual({ ok: true, value: ['worker-w7-2'] });
    expect(seen).toEqual([
      {
        scope: { executionId: 'r-1', workflow: 'print-env', nodeId: 'cmd', attempt: 2, workerId: 'w7' },
        carrier: { traceparent: 'from-coordinator' },
      },
    ]);
    expect(order).toEqual(['enter', 'exit true']);
  });

  it('a runRemote that throws or never calls run still runs the node exactly once, with its own outcome', async () => {
    const { logger, warnings } = recordingLogger();
    let calls = 0;
    const wf = workflow('count')
      .addNode('n', () => ++calls)
      .build();
    const skipper: ContextPropagator = { name: 'skipper', runRemote: async () => ({ ok: true, value: 'forged' }) };
    const thrower: ContextPropagator = {
      name: 'thrower',
      runRemote: async (_s, _c, run) => {
        await run();
        throw new Error('after run');
      },
    };
    const engine = createEngine({ logger, plugins: [withPropagators(skipper, thrower)] });
    engines.push(engine);
    await engine.ready();
    const out = await runNodeOnWorker(engine, wf as never, {
      executionId: 'x',
      nodeId: 'n',
      attempt: 1,
      input: undefined,
      results: {},
      signal: new AbortController().signal,
    });
    expect(out).toEqual({ ok: true, value: 1 });
    expect(calls).toBe(1);
    expect(warnings.map((w) => (w.fields as { propagator: string }).propagator)).toEqual(['thrower']);
  });
});

describe('run origins (captureRun / runStarting / runCarrier)', () => {
  it('a run waiting for admission is announced with what captureRun returned in the call that asked for it', async () => {
    const caller = new AsyncLocalStorage<string>();
    const seen: string[] = [];
    const { logger, warnings } = recordingLogger();
    const engine = createEngine({
      logger,
      maxConcurrentRuns: 1,
      plugins: [
        withPropagators(
          {
            name: 'caller',
            captureRun: () => caller.getStore(),
            runStarting: (run, origin) =>
              void seen.push(
                `${run.workflow}:${String(origin.captured)}:${run.resumed}:${origin.carrier === undefined}`,
              ),
          },
          {
            name: 'broken',
            captureRun: () => {
              throw new Error('capture failed');
            },
            runStarting: () => {
              throw new Error('start failed');
            },
          },
        ),
      ],
    });
    engines.push(engine);
    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    const slow = workflow('slow')
      .addNode('a', () => held)
      .build();
    const quick = workflow('quick')
      .addNode('a', () => 1)
      .build();
    // The first run is asked for before plugin setup finished: its caller's async context is kept until then.
    const first = caller.run('request-1', () => engine.run(slow, undefined));
    await engine.ready();
    const second = caller.run('request-2', () => engine.run(quick, undefined));
    const third = engine.run(quick, undefined);
    release();
    const results = await Promise.all([first.result, second.result, third.result]);
    expect(results.map((r) => r.status)).toEqual(['success', 'success', 'success']);
    expect(seen).toEqual(['slow:request-1:false:true', 'quick:request-2:false:true', 'quick:undefined:false:true']);
    // A throwing propagator is logged and skipped: runs start all the same.
    expect(warnings.map((w) => w.message)).toContain(
      'context propagator failed to capture the caller of a run; the run starts without it',
    );
    expect(warnings.map((w) => w.message)).toContain(
      'context propagator failed when a run started; the run starts without its context',
    );
  });

  it('engine.enqueue sends runCarrier with the queued run; api.runQueue.start hands it back as origin.carrier', async () => {
    const caller = new AsyncLocalStorage<string>();
    const queued: QueuedRun[] = [];
    const origins: RunOrigin[] = [];
    let startQueued!: (run: QueuedRun) => unknown;
    const wf = workflow('served', { version: '1' })
      .addNode('a', () => 1)
      .build();
    const engine = createEngine({
      workflows: [wf],
      plugins: [
        withPropagators({
          name: 'caller',
          captureRun: () => caller.getStore(),
          runCarrier: () => ({ 'x-request': caller.getStore() ?? 'none' }),
          runStarting: (_run, origin) => void origins.push(origin),
        }),
        definePlugin({
          name: 'test-queue',
          version: '1.0.0',
          flowlane: '>=0.0.0',
          setup(api: PluginApi) {
            startQueued = (run) => api.runQueue.start(run);
            api.runQueue.set({
              enqueue: async (run) => void queued.push(run),
              result: () => new Promise(() => undefined),
            });
          },
        }),
      ],
    });
    engines.push(engine);
    await engine.ready();
    await caller.run('request-9', () => engine.enqueue(wf, undefined, { executionId: 'q-1' }));
    expect(queued[0]?.carrier).toEqual({ 'x-request': 'request-9' });
    // Served by this engine (a coordinator): the carrier is the origin, nothing is captured from the queue's context.
    const run = caller.run('queue-consumer', () => startQueued(queued[0]!)) as { result: Promise<unknown> };
    await run.result;
    expect(origins).toEqual([{ carrier: { 'x-request': 'request-9' } }]);
  });

  it('a durable run records runContext in its first log record; a resumed run gets it back as origin.started', async () => {
    const executions = createMemoryExecutionStore();
    const wf = workflow('durable', { version: '1' })
      .addNode('wait', (ctx) => ctx.waitForSignal('go'))
      .build();
    const calls: string[] = [];
    const origins: RunOrigin[] = [];
    const propagator = (engineName: string): ContextPropagator => ({
      name: 'run-context',
      runStarting: (run, origin) => {
        calls.push(`${engineName} runStarting resumed=${run.resumed}`);
        origins.push(origin);
      },
      runContext: (run, at) => {
        calls.push(`${engineName} runContext`);
        return { 'x-run': `${engineName}/${run.executionId}`, at: String(at), dropped: 1 as unknown as string };
      },
    });
    const a = createEngine({ executions, workflows: [wf], plugins: [withPropagators(propagator('A'))] });
    engines.push(a);
    const first = a.run(wf, undefined, { executionId: 'd-1' });
    const started = await new Promise<number>((resolve) =>
      first.events$.subscribe((e) => e.type === 'workflow.started' && resolve(e.timestamp)),
    );
    const records = await a.runs.records('d-1');
    expect(records?.[0]).toMatchObject({
      type: 'workflow.started',
      carrier: { 'x-run': 'A/d-1', at: String(started) },
    });
    expect(calls).toEqual(['A runStarting resumed=false', 'A runContext']);
    // Another engine takes the run over (as after a crash of A): it is announced with where the run began.
    const b = createEngine({ executions, workflows: [wf], plugins: [withPropagators(propagator('B'))] });
    engines.push(b);
    const resumed = await b.resume('d-1');
    await resumed.signal('go', 'ok');
    expect((await resumed.result).status).toBe('success');
    expect(calls.slice(2)).toEqual(['B runStarting resumed=true']);
    expect(origins[1]).toEqual({ started: { 'x-run': 'A/d-1', at: String(started) } });
    // The log keeps where the run began: the takeover records no context of its own.
    expect((await b.runs.records('d-1'))?.[0]).toMatchObject({ carrier: { 'x-run': 'A/d-1' } });
  });
});
