import { setImmediate as tick } from 'node:timers/promises';
import { firstValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { workflow } from '../builder/workflow-builder.js';
import { createMemoryCacheStore } from '../defaults/memory-cache-store.js';
import type { CacheEntry, CacheStore } from '../plugin/types.js';
import { createVirtualClock } from '../runtime/virtual-clock.js';
import { useEngines } from './engines.test-helper.js';

const engine = useEngines();

/** The real in-memory store, counting calls; `async` answers every call a few event-loop turns later. */
function countingStore(async: boolean): CacheStore & { gets: number; sets: number } {
  const inner = createMemoryCacheStore();
  const later = async <T>(v: () => T): Promise<T> => {
    await tick();
    await tick();
    return v();
  };
  const store = {
    name: async ? 'async-counting' : 'counting',
    gets: 0,
    sets: 0,
    get(key: string): CacheEntry | undefined | Promise<CacheEntry | undefined> {
      store.gets++;
      return async ? later(() => inner.get(key) as CacheEntry | undefined) : inner.get(key);
    },
    set(key: string, value: unknown, ttl: number): void | Promise<void> {
      store.sets++;
      return async ? later(() => void inner.set(key, value, ttl)) : void inner.set(key, value, ttl);
    },
    delete: (key: string) => inner.delete(key),
  };
  return store;
}

describe('cached nodes: the run looks the key up before any operator pipeline', () => {
  for (const async of [false, true])
    it(`asks the key function and the ${async ? 'asynchronous' : 'synchronous'} store once per run, on a miss and on a hit`, async () => {
      const store = countingStore(async);
      let keys = 0;
      let calls = 0;
      const wf = workflow('once')
        .addNode('n', (ctx) => `v${++calls}:${(ctx.input as { k: string }).k}`, {
          cache: {
            ttl: 60_000,
            store,
            keyFn: (ctx) => {
              keys++;
              return (ctx.input as { k: string }).k;
            },
          },
        })
        .build();
      const e = engine();
      const miss = await e.run(wf, { k: 'a' }).result;
      expect([keys, store.gets, store.sets, calls]).toEqual([1, 1, 1, 1]);
      // Until the store has saved the value, later runs join the computation rather than ask the store.
      for (let k = 0; k < 5; k++) await tick();
      const hit = await e.run(wf, { k: 'a' }).result;
      expect([keys, store.gets, store.sets, calls]).toEqual([2, 2, 1, 1]);
      expect(miss.outputs.n).toBe('v1:a');
      expect(hit.outputs.n).toBe('v1:a');
      expect(miss.nodes.n!.cacheHit).toBeUndefined();
      expect(hit.nodes.n!.cacheHit).toBe(true);
      const other = await e.run(wf, { k: 'b' }).result;
      expect(other.outputs.n).toBe('v2:b');
      expect([keys, store.gets, store.sets, calls]).toEqual([3, 3, 2, 2]);
    });

  it('a synchronous hit: node.started, node.cache-hit, node.completed at the clock time, the node not called', async () => {
    const clock = createVirtualClock();
    let calls = 0;
    const wf = workflow('hit')
      .addNode('a', () => 1)
      .addNode('n', () => ++calls, { dependsOn: ['a'], cache: { ttl: 60_000, keyFn: () => 'k' } })
      .build();
    const e = engine({ clock });
    await e.run(wf, {}).result;
    await clock.advanceBy(5000);
    const run = e.run(wf, {}, { executionId: 'second' });
    const r = await run.result;
    const events = await firstValueFrom(run.events$.pipe(toArray()));
    expect(calls).toBe(1);
    expect(events.filter((x) => (x as { nodeId?: string }).nodeId === 'n')).toEqual([
      { type: 'node.started', executionId: 'second', workflow: 'hit', timestamp: 5000, nodeId: 'n', attempt: 1 },
      { type: 'node.cache-hit', executionId: 'second', workflow: 'hit', timestamp: 5000, nodeId: 'n', shared: false },
      {
        type: 'node.completed',
        executionId: 'second',
        workflow: 'hit',
        timestamp: 5000,
        nodeId: 'n',
        attempt: 0,
        durationMs: 0,
      },
    ]);
    expect(r.nodes.n).toEqual({ status: 'success', output: 1, attempts: 0, durationMs: 0, cacheHit: true });
    expect(r.outputs.n).toBe(1);
  });

  it('a key function or a store lookup that throws fails the node with that error', async () => {
    const broken: CacheStore = {
      name: 'broken',
      get: () => {
        throw new Error('store down');
      },
      set: () => undefined,
      delete: () => undefined,
    };
    const wf = workflow('throws')
      .addNode('key', () => 1, {
        cache: {
          ttl: 1000,
          keyFn: () => {
            throw new Error('no key');
          },
        },
        onError: 'continue',
      })
      .addNode('store', () => 2, { cache: { ttl: 1000, store: broken }, onError: 'continue' })
      .build();
    const r = await engine().run(wf, {}).result;
    expect(r.nodes.key).toMatchObject({ status: 'failed', error: { message: 'no key' } });
    expect(r.nodes.store).toMatchObject({ status: 'failed', error: { message: 'store down' } });
  });
});
