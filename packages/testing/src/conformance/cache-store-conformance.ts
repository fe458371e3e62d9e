import type { CacheStore } from '@flowlane/core';
import { describe, expect, it } from 'vitest';
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
}

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
        await s.set('short', 's', short);
        await s.set('long', 'l', injected ? 10_000 : realTtl * 20);
        await pass(Math.floor(short / 2));
        expect(await s.get('short')).toEqual({ value: 's' });
        await pass(short);
        expect(await s.get('short')).toBeUndefined();
        expect(await s.get('long')).toEqual({ value: 'l' });
      },
      injected ? 5000 : realTtl * 10 + 5000,
    );

    it(
      'restarts the TTL when a key is set again',
      async () => {
        const s = await make();
        const short = injected ? 1000 : realTtl;
        await s.set('k', 1, short);
        await pass(Math.floor(short * 0.6));
        await s.set('k', 2, short);
        await pass(Math.floor(short * 0.6));
        expect(await s.get('k')).toEqual({ value: 2 });
      },
      injected ? 5000 : realTtl * 10 + 5000,
    );

    it('disposes (when implemented) without throwing', async () => {
      const s = await factory({ now: () => time });
      await s.dispose?.();
    });
  });
}
