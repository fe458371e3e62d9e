import { setImmediate as tick } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { workflow } from '../builder/workflow-builder.js';
import { createMemoryCacheStore } from '../defaults/memory-cache-store.js';
import { useEngines } from '../engine/engines.test-helper.js';
import type { CacheEntry, CacheStore } from '../plugin/types.js';

const engine = useEngines();

/** A real in-memory store whose every call completes a few event-loop turns later (like a network store). */
function asyncStore(turns = 3, setTurns = turns): CacheStore & { sets: number } {
  const inner = createMemoryCacheStore();
  const later = async (n = turns): Promise<void> => {
    for (let k = 0; k < n; k++) await tick();
  };
  const store = {
    name: 'async-memory',
    sets: 0,
    async get(key: string): Promise<CacheEntry | undefined> {
      await later();
      return inner.get(key) as CacheEntry | undefined;
    },
    async set(key: string, value: unknown, ttl: number): Promise<void> {
      store.sets++;
      await later(setTurns);
      await inner.set(key, value, ttl);
    },
    async delete(key: string): Promise<void> {
      await inner.delete(key);
    },
  };
  return store;
}

describe('cache single-flight', () => {
  it('one computation per key with an async store and a synchronous node body (200 concurrent runs)', async () => {
    let computed = 0;
    const store = asyncStore();
    const wf = workflow('sf')
      .addNode(
        'n',
        () => {
          computed++;
          return 'value';
        },
        { cache: { ttl: 60_000, keyFn: () => 'k', store } },
      )
      .build();
    const e = engine();
    const results = await Promise.all(Array.from({ length: 200 }, () => e.run(wf, {}).result));
    expect(results.every((r) => r.status === 'success' && r.outputs.n === 'value')).toBe(true);
    expect(computed).toBe(1);
    expect(store.sets).toBe(1);
    // Later runs hit the store.
    const again = await e.run(wf, {}).result;
    expect(again.nodes.n!.cacheHit).toBe(true);
    expect(computed).toBe(1);
  });

  it('a run arriving after the value was computed but before the async store saved it joins, not recomputes', async () => {
    let computed = 0;
    const store = asyncStore(1, 20); // reads are quick, writes slow
    const wf = workflow('sf2')
      .addNode('n', () => ++computed, { cache: { ttl: 60_000, keyFn: () => 'k', store } })
      .build();
    const e = engine();
    const first = await e.run(wf, {}).result; // settles while the store is still saving
    const second = await e.run(wf, {}).result;
    expect([first.outputs.n, second.outputs.n]).toEqual([1, 1]);
    expect(second.nodes.n!.cacheHit).toBe(true);
    expect(computed).toBe(1);
  });

  it('cancelling the leader cancels only the leader: joined runs compute again and succeed', async () => {
    let computed = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const wf = workflow('leader')
      .addNode(
        'slow',
        async (ctx) => {
          computed++;
          await new Promise<void>((resolve, reject) => {
            ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason), { once: true });
            void gate.then(resolve);
          });
          return `computed by attempt ${computed}`;
        },
        { cache: { ttl: 60_000, keyFn: () => 'shared' } },
      )
      .build();
    const e = engine();
    const leader = e.run(wf, {});
    await tick();
    const joiners = Array.from({ length: 199 }, () => e.run(wf, {}));
    await tick();
    expect(computed).toBe(1);
    leader.cancel('user pressed stop');
    release();
    const r = await leader.result;
    expect(r.status).toBe('cancelled');
    const rs = await Promise.all(joiners.map((j) => j.result));
    expect(rs.map((x) => x.status)).toEqual(rs.map(() => 'success'));
    expect(new Set(rs.map((x) => x.outputs.slow))).toEqual(new Set(['computed by attempt 2']));
    expect(computed).toBe(2);
  });

  it('a failing leader (not cancelled) still fails the runs that joined it, as before', async () => {
    let computed = 0;
    const wf = workflow('fail')
      .addNode(
        'n',
        async () => {
          computed++;
          await tick();
          throw new Error('backend down');
        },
        { cache: { ttl: 60_000, keyFn: () => 'k' } },
      )
      .build();
    const e = engine();
    const rs = await Promise.all(Array.from({ length: 5 }, () => e.run(wf, {}).result));
    expect(rs.map((r) => r.status)).toEqual(['failed', 'failed', 'failed', 'failed', 'failed']);
    expect(computed).toBe(1);
  });
});
