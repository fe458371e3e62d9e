import type { StateStore } from '@flowlane/core';
import { describe, expect, it } from 'vitest';
import { suiteHarness, uniqueIds } from './suite-harness.js';

/** Options of {@link stateStoreConformance}. */
export interface StateStoreConformanceOptions {
  /**
   * `ephemeral` (default): `release(executionId)` drops that execution's state. `durable`: state survives
   * `release` (a store meant for resuming runs).
   */
  readonly retention?: 'ephemeral' | 'durable' | undefined;
}

/** JSON-like values every state store must return unchanged. */
export const STATE_VALUES: readonly unknown[] = [
  'text',
  '',
  0,
  42.5,
  true,
  false,
  null,
  [1, 'two', null],
  { nested: { list: [{ deep: 'ünïcødé ✓' }] } },
];

/**
 * Registers vitest tests that check a `StateStore` (behind `ctx.storage`) against the contract of `@flowlane/core`:
 * missing keys, JSON-like values, overwrite, delete, isolation between executions and `release`. A fresh store is
 * made per test.
 *
 * @example
 * ```ts
 * import { createMemoryStateStore } from '@flowlane/core';
 * import { stateStoreConformance } from '@flowlane/testing';
 *
 * stateStoreConformance('memory', () => createMemoryStateStore());
 * ```
 */
export function stateStoreConformance(
  name: string,
  factory: () => StateStore | Promise<StateStore>,
  options: StateStoreConformanceOptions = {},
): void {
  const durable = options.retention === 'durable';

  describe(`${name}: StateStore conformance`, () => {
    const make = suiteHarness(factory);
    const id = uniqueIds();

    it('returns undefined for a key never set (in a known and an unknown execution)', async () => {
      const s = await make();
      const run = id('missing');
      expect(await s.get(run, 'k')).toBeUndefined();
      await s.set(run, 'other', 1);
      expect(await s.get(run, 'k')).toBeUndefined();
    });

    it('returns JSON-like values unchanged, falsy values and null included', async () => {
      const s = await make();
      const run = id('values');
      for (const [i, v] of STATE_VALUES.entries()) await s.set(run, `k${i}`, v);
      for (const [i, v] of STATE_VALUES.entries()) expect(await s.get(run, `k${i}`)).toEqual(v);
    });

    it('overwrites and deletes keys (deleting a missing key is fine)', async () => {
      const s = await make();
      const run = id('rw');
      await s.set(run, 'k', 1);
      await s.set(run, 'k', 2);
      expect(await s.get(run, 'k')).toBe(2);
      await s.delete(run, 'k');
      await s.delete(run, 'never');
      await s.delete(id('unknown'), 'k');
      expect(await s.get(run, 'k')).toBeUndefined();
    });

    it('isolates executions: the same key in two executions holds two values', async () => {
      const s = await make();
      const a = id('a');
      const b = id('b');
      await s.set(a, 'shared-key', 'from a');
      await s.set(b, 'shared-key', 'from b');
      await s.delete(b, 'shared-key');
      expect(await s.get(a, 'shared-key')).toBe('from a');
      expect(await s.get(b, 'shared-key')).toBeUndefined();
    });

    it(
      durable
        ? 'keeps an execution state across release() (durable)'
        : 'release() drops only that execution, which can start afresh',
      async () => {
        const s = await make();
        if (s.release === undefined) return;
        const a = id('rel-a');
        const b = id('rel-b');
        await s.set(a, 'k', 'a');
        await s.set(a, 'k2', 'a2');
        await s.set(b, 'k', 'b');
        await s.release(a);
        expect(await s.get(a, 'k')).toBe(durable ? 'a' : undefined);
        expect(await s.get(a, 'k2')).toBe(durable ? 'a2' : undefined);
        expect(await s.get(b, 'k')).toBe('b');
        await s.set(a, 'k', 'again');
        expect(await s.get(a, 'k')).toBe('again');
        await s.release(id('never-used'));
      },
    );

    it('handles concurrent writes to different keys of one execution', async () => {
      const s = await make();
      const run = id('concurrent');
      await Promise.all(Array.from({ length: 50 }, (_, i) => s.set(run, `k${i}`, i)));
      const values = await Promise.all(Array.from({ length: 50 }, (_, i) => s.get(run, `k${i}`)));
      expect(values).toEqual(Array.from({ length: 50 }, (_, i) => i));
    });

    it('disposes (when implemented) without throwing', async () => {
      const s = await factory();
      await s.dispose?.();
    });
  });
}
