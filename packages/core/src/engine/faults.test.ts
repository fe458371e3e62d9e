import { setImmediate as tick } from 'node:timers/promises';
import { filter } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { workflow } from '../builder/workflow-builder.js';
import { isFlowlaneError } from '../errors.js';
import { definePlugin } from '../plugin/define-plugin.js';
import type { Logger } from '../plugin/types.js';
import { CORE_VERSION } from '../version.js';
import { CUSTOM_EVENT_NAMES_KEPT } from './custom-event-board.js';
import { useEngines } from './engines.test-helper.js';

const engine = useEngines();

const one = workflow('one')
  .addNode('a', () => 1)
  .build();

function recordingLogger() {
  const lines: { message: string; fields: unknown }[] = [];
  const log = (message: string, fields?: unknown): void => void lines.push({ message, fields });
  const logger: Logger = { debug: log, info: log, warn: log, error: log };
  return { logger, lines };
}

describe('node ids that are Object.prototype names', () => {
  it('__proto__, constructor and prototype appear in result.nodes and in the default cache key', async () => {
    const ids = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty'] as const;
    // Built through the untyped surface: the ids are only known as a list here.
    type Loose = {
      addNode(id: string, fn: (ctx: { input: { v: number } }) => unknown, options?: object): Loose;
      build(): ReturnType<ReturnType<typeof workflow>['build']>;
    };
    let wfb = workflow('proto').input<{ v: number }>() as unknown as Loose;
    for (const id of ids) wfb = wfb.addNode(id, (ctx) => ctx.input.v);
    let computed = 0;
    const wf = wfb
      .addNode(
        'cached',
        () => {
          computed++;
          return computed;
        },
        { dependsOn: [...ids], cache: { ttl: 60_000 } },
      )
      .build();
    const e = engine();
    const r1 = await e.run(wf, { v: 1 }).result;
    expect(r1.status).toBe('success');
    expect(Object.keys(r1.nodes).sort()).toEqual([...ids, 'cached'].sort());
    for (const id of ids) expect(Object.hasOwn(r1.nodes, id) && r1.nodes[id]!.status).toBe('success');
    // A different parent output (here: of __proto__) is a different default cache key.
    const wf2 = workflow('proto')
      .input<{ v: number }>()
      .addNode('__proto__', (ctx) => ctx.input.v * 10)
      .addNode('c', () => ++computed, { dependsOn: ['__proto__'], cache: { ttl: 60_000 } })
      .build();
    const a = await e.run(wf2, { v: 1 }).result;
    const b = await e.run(wf2, { v: 1 }).result;
    expect(b.nodes.c!.cacheHit).toBe(true);
    const seen = computed;
    const c = await e.run(
      workflow('proto')
        .input<{ v: number }>()
        .addNode('__proto__', () => 99)
        .addNode('c', () => ++computed, { dependsOn: ['__proto__'], cache: { ttl: 60_000 } })
        .build(),
      { v: 1 },
    ).result;
    expect(c.nodes.c!.cacheHit).toBeUndefined();
    expect(computed).toBe(seen + 1);
    expect(a.outputs.c).toBe(b.outputs.c);
  });
});

describe('run options are checked before the run takes a slot', () => {
  it('run(wf, input, { signal: {} }) throws FL_INVALID_OPTION; the next run starts under maxConcurrentRuns: 1', async () => {
    const e = engine({ maxConcurrentRuns: 1 });
    for (const options of [{ signal: {} }, { signal: 'abort' }, { executionId: 42 }, { executionId: '' }, null])
      expect(() => e.run(one, {}, options as never)).toThrow(expect.objectContaining({ code: 'FL_INVALID_OPTION' }));
    expect(e.activeRuns).toBe(0);
    expect((await e.run(one, {}).result).status).toBe('success');
    await expect(e.close()).resolves.toBeUndefined();
  });
});

describe('thrown values that cannot be read', () => {
  const hostile = (): unknown[] => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    const getters = Object.create(Error.prototype, {
      message: {
        get() {
          throw new Error('message getter');
        },
      },
      stack: {
        get() {
          throw new Error('stack getter');
        },
      },
    }) as Error;
    const trap = new Proxy(
      {},
      {
        get() {
          throw new Error('get trap');
        },
        getPrototypeOf() {
          throw new Error('proto trap');
        },
      },
    );
    return [proxy, getters, trap];
  };

  it('fail the node with FL_NODE_FAILED and [unreadable error]; the run settles and close() resolves', async () => {
    for (const thrown of hostile()) {
      for (const mode of ['sync', 'async', 'retry'] as const) {
        const e = engine();
        const wf = workflow('hostile')
          .addNode(
            'n',
            mode === 'async'
              ? async () => {
                  await tick();
                  throw thrown;
                }
              : () => {
                  throw thrown;
                },
            mode === 'retry' ? { retry: { maxAttempts: 2, initialInterval: 0 } } : {},
          )
          .build();
        const r = await e.run(wf, {}).result;
        expect(r.status).toBe('failed');
        expect(isFlowlaneError(r.error, 'FL_NODE_FAILED')).toBe(true);
        expect(r.nodes.n!.error?.message).toBe('[unreadable error]');
        expect(r.error!.message).toContain('[unreadable error]');
        await expect(e.close()).resolves.toBeUndefined();
      }
    }
  });

  it('isFlowlaneError and serializeError never throw', async () => {
    const { serializeError, errorCodeOf } = await import('../errors.js');
    for (const v of hostile()) {
      expect(isFlowlaneError(v)).toBe(false);
      expect(serializeError(v).message).toBe('[unreadable error]');
      expect(errorCodeOf(v)).toBeUndefined();
    }
  });
});

describe('plugin code cannot crash the process', () => {
  const plugin = (name: string, setup: Parameters<typeof definePlugin>[0]['setup']) =>
    definePlugin({ name, version: '1.0.0', flowlane: `^${CORE_VERSION}`, setup });

  it('an exporter whose async handle rejects and throwing events$ subscribers are logged, throttled, by plugin', async () => {
    const { logger, lines } = recordingLogger();
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown): void => void unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    process.on('uncaughtException', onUnhandled);
    try {
      const e = engine({
        logger,
        plugins: [
          plugin('rejecting-exporter', (api) =>
            api.metrics.addExporter({
              name: 'rejecting',
              handle: async () => {
                throw new Error('push failed');
              },
            }),
          ),
          plugin('attach-exporter', (api) =>
            api.metrics.addExporter({
              name: 'attaching',
              attach: (events$) => {
                const s = events$.pipe(filter((x) => x.type === 'node.completed')).subscribe(() => {
                  throw new Error('attach subscriber bug');
                });
                return () => s.unsubscribe();
              },
            }),
          ),
          plugin('subscriber', (api) => {
            const s = api.events$.subscribe({
              next: () => {
                throw new Error('events$ subscriber bug');
              },
            });
            api.onClose(() => s.unsubscribe());
          }),
        ],
      });
      await e.ready();
      const rs = await Promise.all(Array.from({ length: 20 }, () => e.run(one, {}).result));
      expect(rs.every((r) => r.status === 'success')).toBe(true);
      await new Promise((r) => setTimeout(r, 20)); // let RxJS's asynchronous unhandled-error reporter run, if used
      await e.close();
      expect(unhandled).toEqual([]);
      const by = (s: string) => lines.filter((l) => l.message.includes(s));
      expect(by('metrics exporter "rejecting" failed on an event').length).toBe(10);
      expect(by('metrics exporter "rejecting" failed').at(-1)!.message).toMatch(/failed \d+ times in all/);
      expect(by('metrics exporter "attaching" failed on a subscriber').length).toBe(10);
      expect(by('plugin "subscriber" failed on a subscriber').length).toBe(10);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      process.off('uncaughtException', onUnhandled);
    }
  });

  it('a synchronous throw in setup fails runs with FL_PLUGIN_SETUP_FAILED (not FL_ENGINE_CLOSED)', async () => {
    const e = engine({
      plugins: [
        plugin('sync-boom', () => {
          throw new Error('no config');
        }),
      ],
    });
    const first = e.run(one, {});
    await expect(e.ready()).rejects.toMatchObject({ code: 'FL_PLUGIN_SETUP_FAILED' });
    const later = e.run(one, {});
    for (const r of [await first.result, await later.result]) {
      expect(r.status).toBe('failed');
      expect(r.error).toMatchObject({ code: 'FL_PLUGIN_SETUP_FAILED', details: { plugin: 'sync-boom' } });
    }
    await e.close();
    expect(() => e.run(one, {})).toThrow(expect.objectContaining({ code: 'FL_ENGINE_CLOSED' }));
  });
});

describe('custom events seen by getEvent', () => {
  it('a later run cannot read an earlier run’s payload; a run sees events emitted while it runs', async () => {
    const e = engine();
    const emit = workflow('emit')
      .addNode('n', (ctx) => ctx.emitEvent('token', { secret: 'from-earlier-run' }))
      .build();
    const read = workflow('read')
      .addNode('n', (ctx) => ctx.getEvent('token')?.payload ?? null)
      .build();
    await e.run(emit, {}).result;
    expect((await e.run(read, {}).result).outputs.n).toBeNull();
  });

  it('the engine-wide board stays bounded with unique names while runs overlap', async () => {
    const { CustomEventBoard } = await import('./custom-event-board.js');
    const board = new CustomEventBoard();
    const mark = board.mark();
    for (let k = 0; k < CUSTOM_EVENT_NAMES_KEPT * 3; k++)
      board.publish({ type: 'custom', name: `n${k}`, payload: k, executionId: 'x', workflow: 'w', timestamp: 0 });
    expect(board.size).toBe(CUSTOM_EVENT_NAMES_KEPT);
    expect(board.since(`n${CUSTOM_EVENT_NAMES_KEPT * 3 - 1}`, mark)?.payload).toBe(CUSTOM_EVENT_NAMES_KEPT * 3 - 1);
    expect(board.since('n0', mark)).toBeUndefined();

    // Through the engine: 3,000 runs with unique names while one long run stays active.
    const e = engine();
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const holder = e.run(
      workflow('hold')
        .addNode('wait', () => gate)
        .chain('seen', (ctx) => ctx.getEvent('u2999')?.payload ?? null)
        .build(),
      {},
    );
    const emitter = workflow('u')
      .input<{ k: number }>()
      .addNode('n', (ctx) => ctx.emitEvent(`u${ctx.input.k}`, ctx.input.k))
      .build();
    for (let k = 0; k < 3000; k++) await e.run(emitter, { k }).result;
    release();
    expect((await holder.result).outputs.seen).toBe(2999);
  });
});

describe('a returned value that cannot be read', () => {
  it('a node returning a revoked Proxy fails instead of leaving the run unsettled', async () => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    const e = engine();
    const r = await e.run(
      workflow('ret')
        .addNode('n', () => proxy)
        .build(),
      {},
    ).result;
    expect(r.status).toBe('failed');
    expect(r.nodes.n!.status).toBe('failed');
    await expect(e.close()).resolves.toBeUndefined();
  });
});
