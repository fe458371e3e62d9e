import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Observable, Subject } from 'rxjs';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { workflow } from '../builder/workflow-builder.js';
import type { FlowEvent, SystemEvent } from '../contracts/events.js';
import { createFifoScheduler } from '../defaults/fifo-scheduler.js';
import { createMemoryCacheStore } from '../defaults/memory-cache-store.js';
import { createMemoryExecutionStore } from '../defaults/memory-execution-store.js';
import { createMemoryStateStore } from '../defaults/memory-state-store.js';
import { createEngine } from '../engine/engine.js';
import { useEngines } from '../engine/engines.test-helper.js';
import { FlowlaneError, isFlowlaneError } from '../errors.js';
import { createVirtualClock } from '../runtime/virtual-clock.js';
import { CORE_VERSION } from '../version.js';
import { definePlugin } from './define-plugin.js';
import { Tokens } from './tokens.js';
import type { Executor, FlowlanePlugin, Logger, Middleware, PluginApi, Scheduler } from './types.js';

const engine = useEngines();

/** A plugin with the usual metadata; `setup` is the only part tests vary. */
const plugin = (name: string, setup: FlowlanePlugin['setup'], extra: Partial<FlowlanePlugin> = {}) =>
  definePlugin({ name, version: '1.0.0', flowlane: '^0.1.0', setup, ...extra });

/** Settles `p` and returns its rejection reason (fails the test when it resolves). */
async function rejectionOf(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

/** Returns what `fn` throws synchronously (fails the test when it returns). */
function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

const noopExecutor = (): Executor => ({
  exec: () => {
    throw new Error('not used');
  },
  copyIn: async () => ({ bytes: 0, files: 0 }),
  copyOut: async () => ({ bytes: 0, files: 0 }),
  healthCheck: async () => ({ healthy: true }),
  dispose: async () => undefined,
});

const tick = (ms = 1): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('plugin lifecycle', () => {
  it('sets plugins up in list order, awaiting async setups one after the other', async () => {
    const log: string[] = [];
    const e = engine({
      plugins: [
        plugin('a', async () => {
          log.push('a:start');
          await tick(5);
          log.push('a:end');
        }),
        plugin('b', () => void log.push('b')),
        plugin('c', async () => {
          log.push('c:start');
          await tick(1);
          log.push('c:end');
        }),
      ],
    });
    await e.ready();
    expect(log).toEqual(['a:start', 'a:end', 'b', 'c:start', 'c:end']);
  });

  it('runs started before setup finished wait for it and see what the plugins registered', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const seen: string[] = [];
    const e = engine({
      plugins: [
        plugin('slow', async (api) => {
          await gate;
          api.middleware.use(async (ctx, next) => {
            seen.push(ctx.nodeId);
            return next();
          });
        }),
      ],
    });
    const run = e.run(
      workflow('w')
        .addNode('a', () => 1)
        .build(),
      {},
    );
    await tick(5);
    expect(seen).toEqual([]);
    release();
    expect((await run.result).status).toBe('success');
    expect(seen).toEqual(['a']);
  });

  it('a failing setup disposes the plugins already set up (newest first) and ready() rejects with FL_PLUGIN_SETUP_FAILED', async () => {
    const log: string[] = [];
    const boom = new Error('no credentials');
    const third = { setup: 0 };
    const e = createEngine({
      plugins: [
        plugin('a', (api) => {
          api.onClose(() => void log.push('a:onClose'));
          return () => void log.push('a:dispose');
        }),
        plugin('b', async () => async () => {
          await tick(1);
          log.push('b:dispose');
        }),
        plugin('c', async () => {
          await tick(1);
          throw boom;
        }),
        plugin('d', () => void third.setup++),
      ],
    });
    const err = await rejectionOf(e.ready());
    expect(isFlowlaneError(err, 'FL_PLUGIN_SETUP_FAILED')).toBe(true);
    expect((err as FlowlaneError<'FL_PLUGIN_SETUP_FAILED'>).details).toEqual({ plugin: 'c', reason: 'no credentials' });
    expect((err as Error).cause).toBe(boom);
    expect(log).toEqual(['b:dispose', 'a:dispose', 'a:onClose']);
    expect(third.setup).toBe(0);
    // Runs on an engine whose setup failed settle as failed with the same error; close() disposes nothing twice.
    await e.close();
    expect(log).toEqual(['b:dispose', 'a:dispose', 'a:onClose']);
  });

  it('a run queued while setup fails settles as failed with the setup error', async () => {
    const e = createEngine({
      plugins: [
        plugin('bad', async () => {
          await tick(1);
          throw new Error('nope');
        }),
      ],
    });
    const run = e.run(
      workflow('w')
        .addNode('a', () => 1)
        .build(),
      {},
    );
    const r = await run.result;
    expect(r.status).toBe('failed');
    expect(isFlowlaneError(r.error, 'FL_PLUGIN_SETUP_FAILED')).toBe(true);
    await e.close();
  });

  it("api.executions.resume is the engine's resume option ('manual' by default), for plugins that take over runs themselves", async () => {
    const seen: string[] = [];
    const probe = plugin('resume-probe', (api) => void seen.push(api.executions.resume));
    await engine({ plugins: [probe] }).ready();
    await engine({ plugins: [probe], resume: 'manual' }).ready();
    await engine({ plugins: [probe], resume: 'auto', executions: createMemoryExecutionStore() }).ready();
    expect(seen).toEqual(['manual', 'manual', 'auto']);
  });

  it('close() disposes plugins in reverse setup order (per plugin: its disposer, then its onClose callbacks)', async () => {
    const log: string[] = [];
    const e = createEngine({
      plugins: [
        plugin('a', (api) => {
          api.onClose(() => void log.push('a:onClose'));
          return () => void log.push('a:dispose');
        }),
        plugin('b', async () => async () => {
          await tick(2);
          log.push('b:dispose');
        }),
        plugin('c', (api) => {
          api.onClose(async () => {
            await tick(1);
            log.push('c:onClose');
          });
        }),
      ],
    });
    await e.ready();
    await e.close();
    expect(log).toEqual(['c:onClose', 'b:dispose', 'a:dispose', 'a:onClose']);
    await e.close(); // idempotent
    expect(log).toHaveLength(4);
  });

  it('close() disposes executors registered by plugins and cancels active runs first', async () => {
    const log: string[] = [];
    const ex = { ...noopExecutor(), dispose: async () => void log.push('executor:dispose') };
    const e = createEngine({
      plugins: [
        plugin('x', (api) => {
          api.executors.register('x', ex);
          return () => void log.push('plugin:dispose');
        }),
      ],
    });
    const run = e.run(
      workflow('w')
        .addNode(
          'wait',
          (ctx) => new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason))),
        )
        .build(),
      {},
    );
    await e.ready();
    await tick(1);
    await e.close();
    expect((await run.result).status).toBe('cancelled');
    expect(log).toEqual(['plugin:dispose', 'executor:dispose']);
  });
});

describe('engine.close() while plugin setup runs', () => {
  afterEach(() => void vi.useRealTimers());
  const errorsOf = () => {
    const errors: { message: string; data: unknown }[] = [];
    const logger: Logger = {
      debug: () => undefined,
      info: () => undefined,
      warn: () => undefined,
      error: (message, data) => void errors.push({ message, data }),
    };
    return { errors, logger };
  };
  const oneNode = workflow('w')
    .addNode('a', () => 1)
    .build();

  it('aborts api.signal with FL_ENGINE_CLOSED: a setup that honours it lets close() settle at once; ready() and queued runs fail with FL_ENGINE_CLOSED; later plugins never run setup, earlier ones are disposed', async () => {
    const log: string[] = [];
    let signal: AbortSignal | undefined;
    const e = createEngine({
      plugins: [
        plugin('first', () => () => void log.push('first:dispose')),
        plugin('connecting', (api) => {
          signal = api.signal;
          api.onClose(() => void log.push('connecting:onClose'));
          // Stands for a connect() that waits for a server that never answers, and gives up on abort.
          return new Promise((_, reject) => api.signal.addEventListener('abort', () => reject(api.signal.reason)));
        }),
        plugin('after', () => void log.push('after:setup')),
      ],
    });
    const run = e.run(oneNode, {});
    await tick(1);
    expect(signal?.aborted).toBe(false);
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] }); // the grace timer never fires here
    await e.close();
    expect(signal?.aborted).toBe(true);
    expect(isFlowlaneError(signal?.reason, 'FL_ENGINE_CLOSED')).toBe(true);
    expect(isFlowlaneError(await rejectionOf(e.ready()), 'FL_ENGINE_CLOSED')).toBe(true);
    const r = await run.result;
    expect(r.status).toBe('failed');
    expect(isFlowlaneError(r.error, 'FL_ENGINE_CLOSED')).toBe(true);
    expect(log).toEqual(['connecting:onClose', 'first:dispose']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a setup that ignores api.signal holds close() for at most 5 s (virtual time); the plugin is torn down when its setup settles later, and registers nothing after', async () => {
    const { errors, logger } = errorsOf();
    const log: string[] = [];
    let finish!: () => void;
    let lateRegistration: unknown;
    const e = createEngine({
      logger,
      plugins: [
        plugin('first', () => () => void log.push('first:dispose')),
        plugin('stubborn', async (api) => {
          api.onClose(() => void log.push('stubborn:onClose'));
          await new Promise<void>((resolve) => (finish = resolve)); // ignores api.signal
          try {
            api.executors.register('late', noopExecutor());
          } catch (err) {
            lateRegistration = err;
          }
          return () => void log.push('stubborn:dispose');
        }),
      ],
    });
    await tick(1);
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    let closed = false;
    const closing = e.close().then(() => (closed = true));
    await vi.advanceTimersByTimeAsync(4999);
    expect(closed).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await closing;
    expect(isFlowlaneError(await rejectionOf(e.ready()), 'FL_ENGINE_CLOSED')).toBe(true);
    expect(log).toEqual(['first:dispose']);
    expect(errors).toEqual([
      {
        message: 'plugin setup ignored engine.close(); it is torn down when its setup settles',
        data: { plugin: 'stubborn' },
      },
    ]);
    finish();
    await vi.waitFor(() => expect(log).toEqual(['first:dispose', 'stubborn:dispose', 'stubborn:onClose']));
    expect(isFlowlaneError(lateRegistration, 'FL_PLUGIN_INVALID')).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a setup that finishes within the grace period after close() started is disposed with the others', async () => {
    const log: string[] = [];
    let finish!: () => void;
    const e = createEngine({
      plugins: [
        plugin('slow', async () => {
          await new Promise<void>((resolve) => (finish = resolve));
          return () => void log.push('slow:dispose');
        }),
      ],
    });
    await tick(1);
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const closing = e.close();
    await vi.advanceTimersByTimeAsync(1000);
    finish();
    await closing;
    await e.ready(); // its setup succeeded
    expect(log).toEqual(['slow:dispose']);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('static plugin checks (thrown by createEngine, before any setup)', () => {
  it('the same plugin twice → FL_PLUGIN_CONFLICT', () => {
    const setup = { calls: 0 };
    const p = plugin('dup', () => void setup.calls++);
    const err = thrownBy(() => createEngine({ plugins: [p, p] }));
    expect(isFlowlaneError(err, 'FL_PLUGIN_CONFLICT')).toBe(true);
    expect((err as FlowlaneError<'FL_PLUGIN_CONFLICT'>).details).toMatchObject({ kind: 'plugin', name: 'dup' });
    expect(setup.calls).toBe(0);
  });

  it('a core range that excludes this core → FL_PLUGIN_INCOMPATIBLE, and no plugin was set up', () => {
    const calls: string[] = [];
    const err = thrownBy(() =>
      createEngine({
        plugins: [
          plugin('fine', () => void calls.push('fine')),
          plugin('old', () => void calls.push('old'), { flowlane: '^0.0.1' }),
        ],
      }),
    );
    expect(isFlowlaneError(err, 'FL_PLUGIN_INCOMPATIBLE')).toBe(true);
    expect((err as FlowlaneError<'FL_PLUGIN_INCOMPATIBLE'>).details).toEqual({
      plugin: 'old',
      range: '^0.0.1',
      core: CORE_VERSION,
    });
    expect(calls).toEqual([]);
  });

  it('accepts ranges that include this core (exact, caret, x-range, prerelease-inclusive)', async () => {
    for (const range of [CORE_VERSION, `^${CORE_VERSION}`, '0.x', '>=0.1.0-0 <1.0.0']) {
      const e = engine({ plugins: [plugin(`r${range}`, () => undefined, { flowlane: range })] });
      await expect(e.ready()).resolves.toBeUndefined();
    }
  });

  it('a missing dependsOn → FL_PLUGIN_DEPENDENCY_MISSING; a dependency listed after its dependant is missing too', () => {
    const err = thrownBy(() => createEngine({ plugins: [plugin('app', () => undefined, { dependsOn: ['store'] })] }));
    expect(isFlowlaneError(err, 'FL_PLUGIN_DEPENDENCY_MISSING')).toBe(true);
    expect((err as FlowlaneError<'FL_PLUGIN_DEPENDENCY_MISSING'>).details).toEqual({
      plugin: 'app',
      dependency: 'store',
    });
    const late = thrownBy(() =>
      createEngine({
        plugins: [plugin('app', () => undefined, { dependsOn: ['store'] }), plugin('store', () => undefined)],
      }),
    );
    expect(isFlowlaneError(late, 'FL_PLUGIN_DEPENDENCY_MISSING')).toBe(true);
  });

  it('a satisfied dependsOn sets up the dependency first', async () => {
    const log: string[] = [];
    const e = engine({
      plugins: [
        plugin('store', () => void log.push('store')),
        plugin('app', () => void log.push('app'), { dependsOn: ['store'] }),
      ],
    });
    await e.ready();
    expect(log).toEqual(['store', 'app']);
  });

  it('a hand-made object is not a plugin → FL_PLUGIN_INVALID; definePlugin checks the shape', () => {
    const err = thrownBy(() => createEngine({ plugins: [{ name: 'raw' } as unknown as FlowlanePlugin] }));
    expect(isFlowlaneError(err, 'FL_PLUGIN_INVALID')).toBe(true);
    const bad = thrownBy(() => definePlugin({ name: 'x', version: 'one', flowlane: '^0.1.0', setup: () => undefined }));
    expect(isFlowlaneError(bad, 'FL_PLUGIN_INVALID')).toBe(true);
    const p = plugin('frozen', () => undefined);
    expect(Object.isFrozen(p)).toBe(true);
  });
});

describe('registration conflicts (surface through ready())', () => {
  it('two plugins registering the same executor name → FL_PLUGIN_CONFLICT naming both, not wrapped', async () => {
    const disposed: string[] = [];
    const e = createEngine({
      plugins: [
        plugin('@acme/executor-a', (api) => {
          api.executors.register('remote', noopExecutor());
          return () => void disposed.push('a');
        }),
        plugin('@acme/executor-b', (api) => api.executors.register('remote', noopExecutor())),
      ],
    });
    const err = await rejectionOf(e.ready());
    expect(isFlowlaneError(err, 'FL_PLUGIN_CONFLICT')).toBe(true);
    expect((err as FlowlaneError<'FL_PLUGIN_CONFLICT'>).details).toEqual({
      kind: 'executor',
      name: 'remote',
      first: '@acme/executor-a',
      second: '@acme/executor-b',
    });
    expect((err as Error).message).toContain('@acme/executor-a');
    expect((err as Error).message).toContain('@acme/executor-b');
    expect(disposed).toEqual(['a']);
    await e.close();
  });

  it.each([
    ['scheduler', (api: PluginApi) => api.schedulers.set(createFifoScheduler({ concurrency: 1 }))],
    ['cache store', (api: PluginApi) => api.cache.setStore(createMemoryCacheStore())],
    ['state store', (api: PluginApi) => api.state.setStore(createMemoryStateStore())],
    ['permission policy', (api: PluginApi) => api.permissions.setPolicy({ check: () => ({ allowed: true }) })],
    ['secrets provider', (api: PluginApi) => api.secrets.addProvider({ name: 'vault', get: () => undefined })],
    ['audit sink', (api: PluginApi) => api.audit.addSink({ name: 'siem', write: () => undefined })],
    ['metrics exporter', (api: PluginApi) => api.metrics.addExporter({ name: 'prom', attach: () => undefined })],
  ])('two plugins setting the %s → FL_PLUGIN_CONFLICT', async (kind, register) => {
    const e = createEngine({ plugins: [plugin('one', register), plugin('two', register)] });
    const err = await rejectionOf(e.ready());
    expect(isFlowlaneError(err, 'FL_PLUGIN_CONFLICT')).toBe(true);
    expect((err as FlowlaneError<'FL_PLUGIN_CONFLICT'>).details).toMatchObject({ kind, first: 'one', second: 'two' });
    await e.close();
  });

  it('replacing a built-in default (local executor, memory stores) is not a conflict', async () => {
    const e = engine({
      plugins: [
        plugin('replace', (api) => {
          api.executors.register('local', noopExecutor());
          api.cache.setStore(createMemoryCacheStore());
          api.state.setStore(createMemoryStateStore());
        }),
      ],
    });
    await expect(e.ready()).resolves.toBeUndefined();
  });
});

describe('middleware', () => {
  const mw =
    (name: string, log: string[]): Middleware =>
    async (ctx, next) => {
      log.push(`${name}>${ctx.nodeId}`);
      const out = await next();
      log.push(`${name}<${ctx.nodeId}`);
      return out;
    };

  it('wraps each node like an onion: engine options first, then plugins in setup order', async () => {
    const log: string[] = [];
    const e = engine({
      middleware: [mw('opt', log)],
      plugins: [
        plugin('m1', (api) => api.middleware.use(mw('m1', log))),
        plugin('m2', (api) => api.middleware.use(mw('m2', log))),
      ],
    });
    const wf = workflow('onion')
      .addNode('a', () => {
        log.push('node:a');
        return 1;
      })
      .build();
    const r = await e.run(wf, {}).result;
    expect(r.status).toBe('success');
    expect(log).toEqual(['opt>a', 'm1>a', 'm2>a', 'node:a', 'm2<a', 'm1<a', 'opt<a']);
  });

  it('sees the node description, attempt, input and parent results, and can replace the output', async () => {
    const seen: unknown[] = [];
    const e = engine({
      plugins: [
        plugin('inspect', (api) =>
          api.middleware.use(async (ctx, next) => {
            seen.push({
              id: ctx.node.id,
              dependsOn: ctx.node.dependsOn,
              meta: ctx.node.options.meta,
              attempt: ctx.attempt,
              input: ctx.input,
              results: { ...ctx.results },
              workflow: ctx.workflow,
              executionId: typeof ctx.executionId,
            });
            const out = await next();
            return ctx.nodeId === 'b' ? `${String(out)}!` : out;
          }),
        ),
      ],
    });
    const wf = workflow('see')
      .input<{ n: number }>()
      .addNode('a', (ctx) => ctx.input.n)
      .addNode('b', (ctx) => `b${ctx.results.a}`, { dependsOn: ['a'], meta: { owner: 'team' } })
      .build();
    const r = await e.run(wf, { n: 7 }).result;
    expect(r.outputs).toEqual({ a: 7, b: 'b7!' });
    expect(seen).toEqual([
      {
        id: 'a',
        dependsOn: [],
        meta: undefined,
        attempt: 1,
        input: { n: 7 },
        results: {},
        workflow: 'see',
        executionId: 'string',
      },
      {
        id: 'b',
        dependsOn: ['a'],
        meta: { owner: 'team' },
        attempt: 1,
        input: { n: 7 },
        results: { a: 7 },
        workflow: 'see',
        executionId: 'string',
      },
    ]);
  });

  it('short-circuits: not calling next() skips the inner layers and the node; the returned value is the output', async () => {
    const log: string[] = [];
    let called = 0;
    const e = engine({
      plugins: [
        plugin('outer', (api) => api.middleware.use(mw('outer', log))),
        plugin('cache', (api) =>
          api.middleware.use(async (ctx, next) => (ctx.nodeId === 'cached' ? 'from-middleware' : next())),
        ),
        plugin('inner', (api) => api.middleware.use(mw('inner', log))),
      ],
    });
    const wf = workflow('sc')
      .addNode('cached', () => {
        called++;
        return 'from-node';
      })
      .build();
    const r = await e.run(wf, {}).result;
    expect(r.outputs).toEqual({ cached: 'from-middleware' });
    expect(called).toBe(0);
    expect(log).toEqual(['outer>cached', 'outer<cached']);
  });

  it('a middleware error fails the node like a node error (and is retried)', async () => {
    let calls = 0;
    const e = engine({
      plugins: [
        plugin('deny', (api) =>
          api.middleware.use(async (_ctx, next) => {
            if (++calls < 2) throw new Error('middleware says no');
            return next();
          }),
        ),
      ],
    });
    const wf = workflow('err')
      .addNode('a', () => 'ok', { retry: { maxAttempts: 2, initialInterval: 1 } })
      .addNode('b', () => 'never', { dependsOn: ['a'] })
      .build();
    const r = await e.run(wf, {}).result;
    expect(r.status).toBe('success');
    expect(r.nodes.a).toMatchObject({ status: 'success', attempts: 2 });
    const e2 = engine({
      plugins: [
        plugin('deny', (api) =>
          api.middleware.use(async () => {
            throw new Error('middleware says no');
          }),
        ),
      ],
    });
    const r2 = await e2.run(wf, {}).result;
    expect(r2.status).toBe('failed');
    expect(r2.nodes.a?.error?.message).toContain('middleware says no');
  });

  it('sees retries as separate calls (one per attempt, each with its own state bag)', async () => {
    const clock = createVirtualClock();
    const calls: { attempt: number; outcome: string; stateWasEmpty: boolean }[] = [];
    let tries = 0;
    const e = engine({
      clock,
      plugins: [
        plugin('count', (api) =>
          api.middleware.use(async (ctx, next) => {
            const stateWasEmpty = Object.keys(ctx.state).length === 0;
            ctx.state.touched = true;
            try {
              const out = await next();
              calls.push({ attempt: ctx.attempt, outcome: 'ok', stateWasEmpty });
              return out;
            } catch (err) {
              calls.push({ attempt: ctx.attempt, outcome: (err as Error).message, stateWasEmpty });
              throw err;
            }
          }),
        ),
      ],
    });
    const wf = workflow('retry')
      .addNode(
        'flaky',
        () => {
          if (++tries < 3) throw new Error(`fail ${tries}`);
          return 'ok';
        },
        { retry: { maxAttempts: 3, initialInterval: 1000 } },
      )
      .build();
    const run = e.run(wf, {});
    await clock.runAll();
    const r = await run.result;
    expect(r.status).toBe('success');
    expect(calls).toEqual([
      { attempt: 1, outcome: 'fail 1', stateWasEmpty: true },
      { attempt: 2, outcome: 'fail 2', stateWasEmpty: true },
      { attempt: 3, outcome: 'ok', stateWasEmpty: true },
    ]);
  });

  it('composes with node timeouts: the node times out inside the middleware and the middleware sees FL_TIMEOUT', async () => {
    const clock = createVirtualClock();
    const seen: unknown[] = [];
    const e = engine({
      clock,
      plugins: [
        plugin('watch', (api) =>
          api.middleware.use(async (ctx, next) => {
            try {
              return await next();
            } catch (err) {
              seen.push((err as FlowlaneError).code);
              throw err;
            } finally {
              seen.push(ctx.signal.aborted);
            }
          }),
        ),
      ],
    });
    const wf = workflow('to')
      .addNode(
        'slow',
        (ctx) => new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason))),
        { timeout: 500 },
      )
      .build();
    const run = e.run(wf, {});
    await clock.advanceBy(1000);
    const r = await run.result;
    expect(r.nodes.slow?.status).toBe('timeout');
    expect(seen).toEqual(['FL_TIMEOUT', true]);
  });
});

describe('metrics exporters', () => {
  it('receive the engine event stream of every run, and are torn down then disposed on close', async () => {
    const events: string[] = [];
    const log: string[] = [];
    const e = createEngine({
      plugins: [
        plugin('@acme/metrics-test', (api) =>
          api.metrics.addExporter({
            name: 'test',
            attach(events$: Observable<FlowEvent>) {
              const sub = events$.subscribe({
                next: (ev) => void events.push('nodeId' in ev ? `${ev.type}:${ev.nodeId}` : ev.type),
                complete: () => void log.push('complete'),
              });
              return () => {
                log.push('teardown');
                sub.unsubscribe();
              };
            },
            dispose: () => void log.push('dispose'),
          }),
        ),
      ],
    });
    const wf = workflow('m')
      .addNode('a', () => 1)
      .addNode(
        'b',
        () => {
          throw new Error('x');
        },
        { onError: 'continue' },
      )
      .build();
    await e.run(wf, {}).result;
    await e.run(wf, {}).result;
    expect(events.filter((x) => x === 'workflow.started')).toHaveLength(2);
    expect(events).toContain('node.completed:a');
    expect(events).toContain('node.failed:b');
    expect(events.filter((x) => x === 'workflow.completed')).toHaveLength(2);
    await e.close();
    expect(log).toEqual(['teardown', 'dispose']);
  });

  it('api.events$ is the same engine-wide stream, available in setup', async () => {
    const seen: string[] = [];
    const e = engine({
      plugins: [plugin('listen', (api) => void api.events$.subscribe((ev) => seen.push(ev.type)))],
    });
    await e.run(
      workflow('w')
        .addNode('a', () => 1)
        .build(),
      {},
    ).result;
    expect(seen).toEqual(['workflow.started', 'node.started', 'node.completed', 'workflow.completed']);
  });
});

describe('system events (scheduler events$)', () => {
  /** A FIFO scheduler that also publishes whatever the test pushes on `events`. */
  const withEvents = (name: string) => {
    const events = new Subject<SystemEvent>();
    const fifo = createFifoScheduler({ concurrency: 2 });
    const scheduler: Scheduler = {
      name,
      acquire: (r, s) => fifo.acquire(r, s),
      release: (l, o) => fifo.release(l, o),
      events$: events,
      dispose: () => events.complete(),
    };
    return { scheduler, events };
  };
  const memoryLogger = () => {
    const lines: string[] = [];
    const logger: Logger = {
      debug: () => undefined,
      info: (m) => void lines.push(`info ${m}`),
      warn: (m) => void lines.push(`warn ${m}`),
      error: (m) => void lines.push(`error ${m}`),
    };
    return { lines, logger };
  };

  it("republishes a plugin-installed scheduler's events on engine.systemEvents$, api.systemEvents$ and handleSystem, with the scheduler name, and logs them", async () => {
    const { scheduler, events } = withEvents('sched-a');
    const { lines, logger } = memoryLogger();
    const viaEngine: SystemEvent[] = [];
    const viaApi: SystemEvent[] = [];
    const viaExporter: SystemEvent[] = [];
    const e = createEngine({
      logger,
      plugins: [
        plugin('sched', (api) => api.schedulers.set(scheduler)),
        plugin('observe', (api) => {
          api.systemEvents$.subscribe((ev) => viaApi.push(ev));
          api.metrics.addExporter({ name: 'x', handleSystem: (ev) => void viaExporter.push(ev) });
        }),
      ],
    });
    e.systemEvents$.subscribe((ev) => viaEngine.push(ev));
    events.next({ type: 'worker.down', workerId: 'w1', reason: 'probe failed', timestamp: 1 }); // before ready: dropped
    await e.ready();
    events.next({ type: 'worker.down', workerId: 'w1', reason: 'probe failed', timestamp: 2 });
    events.next({ type: 'worker.up', workerId: 'w1', timestamp: 3 });
    events.next({
      type: 'resource.expired',
      executionId: 'x1',
      nodeId: 'n',
      amounts: { cpu: 2 },
      heldMs: 50,
      timestamp: 4,
    });
    const expected = [
      { type: 'worker.down', workerId: 'w1', reason: 'probe failed', timestamp: 2, scheduler: 'sched-a' },
      { type: 'worker.up', workerId: 'w1', timestamp: 3, scheduler: 'sched-a' },
      {
        type: 'resource.expired',
        executionId: 'x1',
        nodeId: 'n',
        amounts: { cpu: 2 },
        heldMs: 50,
        timestamp: 4,
        scheduler: 'sched-a',
      },
    ];
    expect(viaEngine).toEqual(expected);
    expect(viaApi).toEqual(expected);
    expect(viaExporter).toEqual(expected);
    expect(lines).toEqual([
      'warn worker down: w1',
      'info worker up: w1',
      'warn resources of node n expired after 50 ms',
    ]);
    let completed = false;
    e.systemEvents$.subscribe({ complete: () => void (completed = true) });
    await e.close();
    expect(completed).toBe(true);
    events.next({ type: 'worker.up', workerId: 'late', timestamp: 5 }); // after close: nowhere
    expect(viaEngine).toHaveLength(3);
  });

  it("watches a scheduler passed in options, keeps an event's own scheduler name, and survives a throwing exporter", async () => {
    const { scheduler, events } = withEvents('opt');
    const { lines, logger } = memoryLogger();
    const seen: SystemEvent[] = [];
    const e = createEngine({
      logger,
      scheduler,
      plugins: [
        plugin('bad-exporter', (api) =>
          api.metrics.addExporter({
            name: 'bad',
            handleSystem: () => {
              throw new Error('boom');
            },
          }),
        ),
      ],
    });
    await e.ready();
    e.systemEvents$.subscribe((ev) => seen.push(ev));
    events.next({ type: 'worker.up', workerId: 'w', timestamp: 1, scheduler: 'inner' });
    expect(seen).toEqual([{ type: 'worker.up', workerId: 'w', timestamp: 1, scheduler: 'inner' }]);
    expect(lines).toContain('error metrics exporter "bad" failed on a system event');
    await e.close();
  });

  it('logs the first 10 failures of a throwing exporter, then only their count on close; runs are unaffected', async () => {
    const errors: { message: string; fields: Readonly<Record<string, unknown>> | undefined }[] = [];
    const logger: Logger = {
      debug: () => undefined,
      info: () => undefined,
      warn: () => undefined,
      error: (message, fields) => void errors.push({ message, fields }),
    };
    let calls = 0;
    const e = createEngine({
      logger,
      plugins: [
        plugin('broken-metrics', (api) =>
          api.metrics.addExporter({
            name: 'broken',
            handle: () => {
              calls++;
              throw new Error('registry gone');
            },
          }),
        ),
      ],
    });
    const wf = workflow('w')
      .addNode('a', () => 1)
      .chain('b', () => 2)
      .build();
    for (let i = 0; i < 5; i++) expect((await e.run(wf, {}).result).status).toBe('success');
    expect(calls).toBeGreaterThan(20);
    expect(errors).toHaveLength(10);
    expect(errors[0]).toEqual({
      message: 'metrics exporter "broken" failed on an event',
      fields: { exporter: 'broken', type: 'workflow.started', error: 'registry gone' },
    });
    expect(errors[9]!.fields).toMatchObject({ further: 'counted, logged once on close' });
    await e.close();
    expect(errors).toHaveLength(11);
    expect(errors[10]).toEqual({
      message: `metrics exporter "broken" failed ${calls} times in all`,
      fields: { exporter: 'broken', failures: calls, logged: 10 },
    });
  });
});

describe('setup-time rules', () => {
  it('runs several onClose callbacks of one plugin in the same order on close() and on a failed setup', async () => {
    const order = async (fail: boolean): Promise<string[]> => {
      const log: string[] = [];
      const e = createEngine({
        plugins: [
          plugin('multi', (api) => {
            api.onClose(() => void log.push('first'));
            api.onClose(() => void log.push('second'));
            return () => void log.push('disposer');
          }),
          plugin('maybe-fail', () => {
            if (fail) throw new Error('fail');
          }),
        ],
      });
      await e.ready().catch(() => undefined);
      await e.close();
      return log;
    };
    expect(await order(false)).toEqual(['disposer', 'first', 'second']);
    expect(await order(true)).toEqual(['disposer', 'first', 'second']);
  });

  it('exporters with handle() get every event directly; a throwing handler is logged, never breaks runs', async () => {
    const seen: string[] = [];
    const errors: string[] = [];
    const logger: Logger = { debug() {}, info() {}, warn() {}, error: (m) => void errors.push(m) };
    const e = createEngine({
      logger,
      plugins: [
        plugin('fast-exporter', (api) => {
          api.metrics.addExporter({ name: 'fast', handle: (ev) => void seen.push(ev.type) });
          api.metrics.addExporter({
            name: 'broken',
            handle: () => {
              throw new Error('boom');
            },
          });
        }),
      ],
    });
    const wf = workflow('h')
      .addNode('a', () => 1)
      .build();
    const r = await e.run(wf, {}).result;
    expect(r.status).toBe('success');
    expect(seen).toEqual(['workflow.started', 'node.started', 'node.completed', 'workflow.completed']);
    expect(errors).toHaveLength(4);
    await e.close();
  });

  it('rejects registrations after setup finished (they would bypass planned workflows)', async () => {
    let saved: PluginApi | undefined;
    const e = createEngine({
      plugins: [
        plugin('late', (api) => {
          saved = api;
        }),
      ],
    });
    await e.ready();
    expect(() => saved!.middleware.use(async (_ctx, next) => next())).toThrow(
      expect.objectContaining({
        code: 'FL_PLUGIN_INVALID',
        message: expect.stringContaining('after its setup finished'),
      }),
    );
    await e.close();
  });

  it("middleware can redact the run's secrets", async () => {
    const seen: unknown[] = [];
    const e = createEngine({
      secrets: [{ name: 's', get: () => 'top-secret-value' }],
      plugins: [
        plugin('redacting', (api) => {
          api.middleware.use(async (ctx, next) => {
            const out = await next();
            seen.push(ctx.redact({ out }));
            return out;
          });
        }),
      ],
    });
    const wf = workflow('r')
      .addNode('n', (ctx) => ctx.getSecret('x'))
      .build();
    const r = await e.run(wf, {}).result;
    expect(r.outputs.n).toBe('top-secret-value');
    expect(seen).toEqual([{ out: '[REDACTED]' }]);
    await e.close();
  });
});

describe('api.container and Tokens', () => {
  it('resolves every Tokens.* to what the engine uses, including what earlier plugins set', async () => {
    const logger: Logger = {
      debug: () => undefined,
      info: () => undefined,
      warn: () => undefined,
      error: () => undefined,
    };
    const clock = createVirtualClock();
    const cache = createMemoryCacheStore();
    const state = createMemoryStateStore();
    const scheduler = createFifoScheduler({ concurrency: 2 });
    const policy = { check: () => ({ allowed: true as const }) };
    const ex = noopExecutor();
    let resolved: Record<string, unknown> = {};
    const e = engine({
      logger,
      clock,
      plugins: [
        plugin('provide', (api) => {
          api.cache.setStore(cache);
          api.state.setStore(state);
          api.schedulers.set(scheduler);
          api.permissions.setPolicy(policy);
          api.executors.register('remote', ex);
        }),
        plugin('consume', (api) => {
          const c = api.container;
          resolved = {
            engine: c.resolve(Tokens.Engine),
            logger: c.resolve(Tokens.Logger),
            clock: c.resolve(Tokens.Clock),
            cache: c.resolve(Tokens.CacheStore),
            state: c.resolve(Tokens.StateStore),
            scheduler: c.resolve(Tokens.Scheduler),
            policy: c.resolve(Tokens.PermissionPolicy),
            executors: c.resolve(Tokens.Executors),
          };
          expect(api.logger).toBe(logger);
          expect(api.coreVersion).toBe(CORE_VERSION);
          expect(api.executors.get('remote')).toBe(ex);
        }),
      ],
    });
    await e.ready();
    expect(resolved.engine).toBe(e);
    expect(resolved.logger).toBe(logger);
    expect(resolved.clock).toBe(clock);
    expect(resolved.cache).toBe(cache);
    expect(resolved.state).toBe(state);
    expect(resolved.scheduler).toBe(scheduler);
    expect(resolved.policy).toBe(policy);
    const executors = resolved.executors as ReadonlyMap<string, Executor>;
    expect([...executors.keys()].sort()).toEqual(['local', 'remote']);
    expect(executors.get('remote')).toBe(ex);
  });

  it('a plugin registers its own service; nodes resolve it with ctx.resolve; engines do not share containers', async () => {
    const Greeter = Symbol.for('test.Greeter') as import('tsyringe').InjectionToken<{ greet(n: string): string }>;
    const e1 = engine({
      plugins: [
        plugin('greeter', (api) => {
          api.container.register(Greeter, {
            useFactory: (c) => ({ greet: (n) => `hi ${n} from ${c.isRegistered(Tokens.Engine)}` }),
          });
        }),
      ],
    });
    const e2 = engine();
    await e1.ready();
    const wf = workflow('di')
      .addNode('a', (ctx) => ctx.resolve(Greeter).greet('bob'))
      .addNode('b', (ctx) => ctx.resolve(Tokens.Engine) === e1)
      .build();
    const r = await e1.run(wf, {}).result;
    expect(r.outputs).toEqual({ a: 'hi bob from true', b: true });
    const r2 = await e2.run(wf, {}).result;
    expect(r2.status).toBe('failed');
    expect(r2.nodes.a?.status).toBe('failed');
  });
});

describe('a process running 1,000 workflow runs with every built-in exits on its own', () => {
  // Compile core's sources into a private folder (not dist/, which a parallel build may be writing): the child
  // process runs what this checkout's sources say, resolving rxjs & co. from core's node_modules.
  const pkgDir = fileURLToPath(new URL('../../', import.meta.url));
  const outDir = join(pkgDir, 'node_modules', '.cache', `flowlane-exit-check-${process.pid}`);
  const distIndex = join(outDir, 'index.js');
  beforeAll(async () => {
    const tsc = join(pkgDir, 'node_modules', '.bin', 'tsc');
    const flags = ['--composite', 'false', '--incremental', 'false', '--declaration', 'false'];
    const args = ['-p', join(pkgDir, 'tsconfig.json'), '--outDir', outDir, ...flags, '--declarationMap', 'false'];
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn(tsc, [...args, '--sourceMap', 'false'], { stdio: 'inherit' });
      child.on('close', resolve);
    });
    expect(code).toBe(0);
  }, 60_000);
  afterAll(() => rm(outDir, { recursive: true, force: true }));

  /** Runs `script` with node; resolves with its exit code and output, or rejects after `ms`. */
  const runScript = async (
    script: string,
    ms: number,
  ): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> => {
    const dir = await mkdtemp(join(tmpdir(), 'flowlane-exit-'));
    const file = join(dir, 'script.mjs');
    await writeFile(file, script);
    try {
      return await new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(new Error(`still running after ${ms} ms (leaked handle?)\nstdout: ${stdout}\nstderr: ${stderr}`));
        }, ms);
        child.on('close', (code, signal) => {
          clearTimeout(timer);
          resolve({ code, signal, stdout, stderr });
        });
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };

  const script = (close: boolean) => `
import { createEngine, definePlugin, workflow, createMemoryAuditSink, isFlowlaneError } from ${JSON.stringify(distIndex)};
process.env.FLOWLANE_SECRET_API_TOKEN = 'tok-123456';
const audit = createMemoryAuditSink();
const seen = { events: 0, mw: 0 };
const engine = createEngine({
  concurrency: 8,          // FIFO scheduler
  maxConcurrentRuns: 16,   // run queue
  audit: [audit],
  plugins: [definePlugin({
    name: 'exit-check', version: '1.0.0', flowlane: '^0.1.0',
    setup(api) {
      api.middleware.use(async (ctx, next) => { seen.mw++; return next(); });
      api.metrics.addExporter({ name: 'count', attach: (e$) => { const s = e$.subscribe(() => seen.events++); return () => s.unsubscribe(); } });
    },
  })],
});
let undone = 0;
const wf = workflow('exit-check')
  .input()
  .addNode('secret', async (ctx) => (await ctx.getSecret('api-token')).length, { timeout: 5000 })
  .addNode('cached', (ctx) => ctx.input.i % 10, { cache: { ttl: 60_000, keyFn: (ctx) => String(ctx.input.i % 10) } })
  .addNode('store', async (ctx) => { await ctx.storage.set('k', ctx.input.i); return ctx.storage.get('k'); }, { dependsOn: ['cached'] })
  .addNode('guarded', (ctx) => ctx.actor.id, { permissions: { requiredRoles: ['ops'] } })
  .addNode('flaky', (ctx) => { if (ctx.attempt === 1) throw new Error('first try fails'); return ctx.attempt; }, { retry: { maxAttempts: 2, initialInterval: 1 } })
  .addNode('cmd', async (ctx) => ctx.input.i % 50 === 0 ? (await ctx.exec('printf', { args: ['%s', 'x'] })).stdout : 'skip',
    { dependsOn: ['store'], rollback: () => { undone++; } })
  .addNode('checked', () => 'ok', { healthCheck: { command: 'true', args: [] }, dependsOn: ['cmd'] })
  .addNode('last', (ctx) => { if (ctx.input.i % 100 === 99) throw new Error('planned failure'); return ctx.input.i; }, { dependsOn: ['checked', 'flaky', 'guarded', 'secret'] })
  .build();
const runs = [];
for (let i = 0; i < 1000; i++) runs.push(engine.run(wf, { i }, { actor: { id: 'u' + i, roles: ['ops'] } }).result);
const results = await Promise.all(runs);
const ok = results.filter((r) => r.status === 'success').length;
const failed = results.filter((r) => r.status === 'failed' && isFlowlaneError(r.error)).length;
${close ? 'await engine.close();' : ''}
console.log(JSON.stringify({ ok, failed, undone, audit: audit.records.length, events: seen.events, mw: seen.mw }));
`;

  it('after engine.close()', async () => {
    const r = await runScript(script(true), 120_000);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, number>;
    expect(out).toMatchObject({ ok: 990, failed: 10, undone: 10 });
    expect(out.events).toBeGreaterThan(10_000);
    // 8 nodes × 1000 runs + 1000 retries − 990 cache hits (a hit skips the node's middleware)
    expect(out.mw).toBe(8010);
  }, 150_000);

  it('without engine.close() (nothing left scheduled once the runs settled)', async () => {
    const r = await runScript(script(false), 120_000);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: 990, failed: 10 });
  }, 150_000);
});
