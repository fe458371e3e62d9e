import {
  type CacheLock,
  type CacheStore,
  createEngine,
  FlowlaneError,
  unknownKeyHint,
  unknownKeys,
  workflow,
} from '@flowlane/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { suiteHarness } from './suite-harness.js';

/** What {@link cacheStoreConformance} hands the factory. */
export interface CacheStoreConformanceContext {
  /** The suite's clock in ms: pass it to stores that accept a time source (`createMemoryCacheStore({ now })`). */
  readonly now: () => number;
}

/** Options of {@link cacheStoreConformance}. */
export interface CacheStoreConformanceOptions {
  /**
   * `injected` (default): the store reads time from `context.now` and TTL checks move that clock. `real`: the store
   * keeps its own time (Redis…); TTL checks use `realTtlMs` and wait for real.
   */
  readonly clock?: 'injected' | 'real' | undefined;
  /** TTL used with `clock: 'real'`, ms. Default 300. */
  readonly realTtlMs?: number | undefined;
  /**
   * Whether the store implements `acquire` (single-flight of a miss across the engines and processes sharing it).
   * `true` (default): the suite checks the lock — one computation per key among concurrent callers on any handle,
   * waiters read the stored value, a released or expired lock frees the key, a stale release frees nothing, and two
   * engines sharing the store run a cached node once. `false`: the store must not have `acquire` (single-flight is then
   * per engine only), which the suite checks.
   */
  readonly acquire?: boolean | undefined;
  /**
   * Another handle on the same data as `store`, as a second process (or engine) would open it: for Redis, a store on
   * a new client with the same prefix. Disposed by the suite. Default: `store` itself (right for in-process stores).
   */
  readonly peer?: ((store: CacheStore) => CacheStore | Promise<CacheStore>) | undefined;
}

const OPTION_KEYS = ['clock', 'realTtlMs', 'acquire', 'peer'];

/** JSON-like values every cache store must return unchanged. */
export const CACHE_VALUES: readonly unknown[] = [
  'text',
  '',
  0,
  -1.5,
  true,
  false,
  null,
  [],
  [1, 'two', { three: 3 }],
  {},
  { nested: { list: [1, 2, { deep: 'ünïcødé ✓' }] }, n: 1e21, empty: '' },
];

/**
 * Registers vitest tests that check a `CacheStore` against the contract of `@flowlane/core`: misses, `{ value }`
 * entries for JSON-like values (including `null` and falsy values, which are hits), overwrite, delete, key
 * independence and TTL expiry. A fresh store is made per test.
 *
 * @example
 * ```ts
 * import { createMemoryCacheStore } from '@flowlane/core';
 * import { cacheStoreConformance } from '@flowlane/testing';
 *
 * cacheStoreConformance('memory', ({ now }) => createMemoryCacheStore({ now }));
 * ```
 */
export function cacheStoreConformance(
  name: string,
  factory: (context: CacheStoreConformanceContext) => CacheStore | Promise<CacheStore>,
  options: CacheStoreConformanceOptions = {},
): void {
  for (const u of unknownKeys(options, OPTION_KEYS))
    throw new FlowlaneError('FL_INVALID_OPTION', {
      where: 'cacheStoreConformance',
      option: u.key,
      reason: `unknown key, ${unknownKeyHint(u, OPTION_KEYS)}`,
    });
  const injected = (options.clock ?? 'injected') === 'injected';
  const realTtl = options.realTtlMs ?? 300;

  describe(`${name}: CacheStore conformance`, () => {
    let time = 1_000_000;
    const make = suiteHarness(async (): Promise<CacheStore> => {
      time = 1_000_000;
      return factory({ now: () => time });
    });
    /** Moves the injected clock, or waits for real. */
    const pass = async (ms: number): Promise<void> => {
      if (injected) time += ms;
      else await new Promise((r) => setTimeout(r, ms));
    };
    const ttl = injected ? 60_000 : realTtl;

    it('misses with undefined', async () => {
      const s = await make();
      expect(await s.get('never-set')).toBeUndefined();
    });

    it('returns { value } for JSON-like values, falsy values and null included', async () => {
      const s = await make();
      for (const [i, v] of CACHE_VALUES.entries()) await s.set(`k${i}`, v, ttl);
      for (const [i, v] of CACHE_VALUES.entries()) expect(await s.get(`k${i}`)).toEqual({ value: v });
    });

    it('overwrites a key', async () => {
      const s = await make();
      await s.set('k', { v: 1 }, ttl);
      await s.set('k', { v: 2 }, ttl);
      expect(await s.get('k')).toEqual({ value: { v: 2 } });
    });

    it('deletes a key (and deleting a missing key is fine)', async () => {
      const s = await make();
      await s.set('k', 'v', ttl);
      await s.set('other', 'o', ttl);
      await s.delete('k');
      await s.delete('missing');
      expect(await s.get('k')).toBeUndefined();
      expect(await s.get('other')).toEqual({ value: 'o' });
    });

    it('keeps keys independent (prefixes, separators, unicode, long keys)', async () => {
      const s = await make();
      const keys = ['a', 'ab', 'a:b', 'a/b', 'a b', 'wf:node:{"input":1}', 'ключ ✓', 'x'.repeat(1000)];
      for (const [i, k] of keys.entries()) await s.set(k, i, ttl);
      for (const [i, k] of keys.entries()) expect(await s.get(k)).toEqual({ value: i });
    });

    it(
      'expires an entry after its TTL, not before',
      async () => {
        const s = await make();
        const short = injected ? 1000 : realTtl;
        // On the real clock a stalled event loop (a loaded machine) can push the "not before" read past the TTL: such
        // a try proves nothing either way, so it is repeated with fresh keys (at most 5 tries, one must be timely).
        const fresh = await realClockTries(injected, short, async (n, timely) => {
          await s.set(`short${n}`, 's', short);
          await s.set(`long${n}`, 'l', injected ? 10_000 : realTtl * 20);
          await pass(Math.floor(short / 2));
          const got = await s.get(`short${n}`);
          if (!timely()) return false;
          expect(got).toEqual({ value: 's' });
          await pass(short);
          expect(await s.get(`short${n}`)).toBeUndefined();
          expect(await s.get(`long${n}`)).toEqual({ value: 'l' });
          return true;
        });
        expect(fresh).toBe(true);
      },
      injected ? 5000 : realTtl * 10 + 5000,
    );

    it(
      'restarts the TTL when a key is set again',
      async () => {
        const s = await make();
        const short = injected ? 1000 : realTtl;
        const fresh = await realClockTries(injected, short, async (n, timely) => {
          await s.set(`k${n}`, 1, short);
          await pass(Math.floor(short * 0.6));
          const restarted = performance.now();
          await s.set(`k${n}`, 2, short);
          await pass(Math.floor(short * 0.6));
          const got = await s.get(`k${n}`);
          // Timely: the read came within the TTL of the second set (the first alone would have expired by then).
          if (!timely(restarted)) return false;
          expect(got).toEqual({ value: 2 });
          return true;
        });
        expect(fresh).toBe(true);
      },
      injected ? 5000 : realTtl * 10 + 5000,
    );

    if (options.acquire === false)
      it('has no acquire (declared: single-flight is per engine only)', async () => {
        const s = await make();
        expect(s.acquire).toBeUndefined();
      });
    else acquireCases(make, options.peer, ttl);

    it('disposes (when implemented) without throwing', async () => {
      const s = await factory({ now: () => time });
      await s.dispose?.();
    });
  });
}

/** A settled-or-not view of a promise, to check that a waiter is still waiting. */
function track<T>(p: Promise<T>): { readonly promise: Promise<T>; settled(): boolean } {
  let done = false;
  const promise = p.finally(() => {
    done = true;
  });
  return { promise, settled: () => done };
}

/** The `acquire` cases of {@link cacheStoreConformance}. */
function acquireCases(
  make: () => Promise<CacheStore>,
  openPeer: ((store: CacheStore) => CacheStore | Promise<CacheStore>) | undefined,
  ttl: number,
): void {
  const LONG = 20_000;
  const peers: CacheStore[] = [];
  const peer = async (s: CacheStore): Promise<CacheStore> => {
    if (openPeer === undefined) return s;
    const p = await openPeer(s);
    peers.push(p);
    return p;
  };
  afterEach(async () => {
    for (const p of peers.splice(0)) await p.dispose?.();
  });
  const lockOf = async (s: CacheStore, key: string, lockMs = LONG): Promise<CacheLock> => {
    expect(typeof s.acquire, 'the store implements acquire (or declare acquire: false)').toBe('function');
    return s.acquire!(key, lockMs);
  };
  /** Round trips on both handles: a waiter that was going to answer early had the time to. */
  const roundTrips = async (...stores: CacheStore[]): Promise<void> => {
    for (let i = 0; i < 3; i++) for (const s of stores) await s.get('round-trip');
  };

  it('acquire: the first caller computes; a caller on another handle waits, then reads the stored value', async () => {
    const s = await make();
    const p = await peer(s);
    const first = await lockOf(s, 'k');
    expect(first.compute).toBe(true);
    const waiting = track(lockOf(p, 'k'));
    await roundTrips(s, p);
    expect(waiting.settled()).toBe(false);
    await s.set('k', { built: 1 }, ttl);
    if (first.compute) first.release();
    expect(await waiting.promise).toEqual({ compute: false, entry: { value: { built: 1 } } });
  });

  it('acquire: exactly one of many concurrent callers (on several handles) computes', async () => {
    const s = await make();
    expect(typeof s.acquire, 'the store implements acquire (or declare acquire: false)').toBe('function');
    const handles = [s, await peer(s), await peer(s), s, await peer(s)];
    const answers = handles.map((h) => track(lockOf(h, 'race')));
    let winner: CacheLock | undefined;
    await vi.waitFor(
      async () => {
        const settled = await Promise.all(answers.filter((a) => a.settled()).map((a) => a.promise));
        winner = settled.find((a) => a.compute);
        expect(winner).toBeDefined();
      },
      { timeout: LONG, interval: 20 },
    );
    await s.set('race', 'the value', ttl);
    if (winner?.compute) winner.release();
    const all = await Promise.all(answers.map((a) => a.promise));
    expect(all.filter((a) => a.compute)).toHaveLength(1);
    for (const a of all.filter((x) => !x.compute)) expect(a).toEqual({ compute: false, entry: { value: 'the value' } });
  });

  it('acquire: keys lock independently', async () => {
    const s = await make();
    const p = await peer(s);
    const a = await lockOf(s, 'a');
    const b = await lockOf(p, 'b');
    expect([a.compute, b.compute]).toEqual([true, true]);
    if (a.compute) a.release();
    if (b.compute) b.release();
  });

  it('acquire: a lock released without a value wakes waiters with no entry and frees the key', async () => {
    const s = await make();
    const p = await peer(s);
    const first = await lockOf(s, 'failed');
    const waiting = track(lockOf(p, 'failed'));
    await roundTrips(s, p);
    expect(waiting.settled()).toBe(false);
    if (first.compute) first.release();
    expect(await waiting.promise).toEqual({ compute: false, entry: undefined });
    const again = await lockOf(p, 'failed');
    expect(again.compute).toBe(true);
    if (again.compute) again.release();
  });

  it('acquire: a lock expires after lockMs when its holder never releases it', async () => {
    const s = await make();
    const p = await peer(s);
    const abandoned = await lockOf(s, 'expiring', 300);
    expect(abandoned.compute).toBe(true);
    expect(await lockOf(p, 'expiring')).toEqual({ compute: false, entry: undefined });
    const next = await lockOf(p, 'expiring');
    expect(next.compute).toBe(true);
    if (next.compute) next.release();
  });

  it('acquire: releasing twice, or after the lock passed to another caller, does not free the new holder’s lock', async () => {
    const s = await make();
    const p = await peer(s);
    const first = await lockOf(s, 'k');
    if (!first.compute) throw new Error('expected the first caller to compute');
    first.release();
    const second = await lockOf(p, 'k');
    expect(second.compute).toBe(true);
    first.release();
    const waiting = track(lockOf(s, 'k'));
    await roundTrips(s, p);
    expect(waiting.settled()).toBe(false);
    await p.set('k', 'second', ttl);
    if (second.compute) second.release();
    expect(await waiting.promise).toEqual({ compute: false, entry: { value: 'second' } });
  });

  it(
    'two engines sharing the store run a cached node once for the same key',
    async () => {
      const s = await make();
      const p = await peer(s);
      let acquiredByB = 0;
      const watchedPeer: CacheStore = {
        name: p.name,
        get: (k) => p.get(k),
        set: (k, v, t) => p.set(k, v, t),
        delete: (k) => p.delete(k),
        acquire: (k, ms) => {
          acquiredByB++;
          return p.acquire!(k, ms);
        },
      };
      let calls = 0;
      let open!: () => void;
      const gate = new Promise<void>((r) => {
        open = r;
      });
      const wf = workflow('conformance-single-flight')
        .addNode(
          'expensive',
          async () => {
            calls++;
            await gate;
            return { built: calls };
          },
          { cache: { ttl: Math.max(ttl, 60_000), keyFn: () => 'shared' } },
        )
        .build();
      const a = createEngine({ cache: s });
      const b = createEngine({ cache: watchedPeer });
      try {
        const runA = a.run(wf, undefined);
        await vi.waitFor(() => expect(calls).toBe(1), { timeout: LONG });
        const runB = b.run(wf, undefined);
        await vi.waitFor(() => expect(acquiredByB).toBe(1), { timeout: LONG });
        await roundTrips(s, p);
        open();
        const [ra, rb] = await Promise.all([runA.result, runB.result]);
        expect(ra.status).toBe('success');
        expect(rb.status).toBe('success');
        expect(rb.outputs).toEqual(ra.outputs);
        expect(calls).toBe(1);
      } finally {
        open();
        await a.close();
        await b.close();
      }
    },
    LONG * 2,
  );
}

/**
 * Runs `attempt` until one try was timely (at most 5 tries on the real clock, exactly one on an injected clock, where
 * every try is timely). `timely(from?)` says whether less than `ttlMs` of real time passed since `from` (default: the
 * start of the try) — a read that came later cannot tell an early expiry from a late read.
 */
async function realClockTries(
  injected: boolean,
  ttlMs: number,
  attempt: (n: number, timely: (from?: number) => boolean) => Promise<boolean>,
): Promise<boolean> {
  for (let n = 0; n < (injected ? 1 : 5); n++) {
    const start = performance.now();
    if (await attempt(n, (from = start) => injected || performance.now() - from < ttlMs)) return true;
  }
  return false;
}
