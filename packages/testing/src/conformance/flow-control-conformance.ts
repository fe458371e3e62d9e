import type { FlowControlBackend } from '@flowlane/core';
import { afterEach, describe, expect, it } from 'vitest';

/** Options of {@link flowControlBackendConformance}. */
export interface FlowControlConformanceOptions {
  /**
   * `given` (default): the backend measures windows on the `now` it is given (in-memory). `server`: on its own clock
   * (a shared store such as Redis); the window-expiry test then waits for real time to pass.
   */
  readonly clock?: 'given' | 'server' | undefined;
}

/**
 * Registers vitest tests that check a `FlowControlBackend` against core's contract: per-key slot limits, idempotent
 * acquire per holder, release, independent keys, and the sliding rate window (never more than `limit` starts in a
 * window, `retryAt` when the oldest start leaves it). A fresh backend is made per test; keys are unique per test.
 *
 * @example
 * ```ts
 * import { createMemoryFlowControlBackend } from '@flowlane/core';
 * import { flowControlBackendConformance } from '@flowlane/testing';
 *
 * flowControlBackendConformance('memory', () => createMemoryFlowControlBackend());
 * ```
 */
export function flowControlBackendConformance(
  name: string,
  factory: () => FlowControlBackend | Promise<FlowControlBackend>,
  options: FlowControlConformanceOptions = {},
): void {
  const server = options.clock === 'server';
  describe(`${name}: FlowControlBackend conformance`, () => {
    const made: FlowControlBackend[] = [];
    let n = 0;
    const make = async (): Promise<FlowControlBackend> => {
      const b = await factory();
      made.push(b);
      return b;
    };
    const key = (label: string): string => `conformance:${label}:${process.pid}:${Date.now()}:${n++}`;
    afterEach(async () => {
      for (const b of made.splice(0)) await b.dispose?.();
    });

    it('has a name', async () => {
      const b = await make();
      expect(typeof b.name).toBe('string');
      expect(b.name.length).toBeGreaterThan(0);
    });

    it('gives at most `limit` slots per key, idempotently per holder, and a released slot to the next holder', async () => {
      const b = await make();
      const k = key('slots');
      expect(await b.acquire({ key: k, limit: 2, holder: 'h1' })).toBe(true);
      expect(await b.acquire({ key: k, limit: 2, holder: 'h1' })).toBe(true);
      expect(await b.acquire({ key: k, limit: 2, holder: 'h2' })).toBe(true);
      expect(await b.acquire({ key: k, limit: 2, holder: 'h3' })).toBe(false);
      await b.release({ key: k, holder: 'h1' });
      expect(await b.acquire({ key: k, limit: 2, holder: 'h3' })).toBe(true);
      expect(await b.acquire({ key: k, limit: 2, holder: 'h4' })).toBe(false);
      await b.release({ key: k, holder: 'nobody' });
      expect(await b.acquire({ key: k, limit: 2, holder: 'h4' })).toBe(false);
    });

    it('keeps keys independent', async () => {
      const b = await make();
      const a = key('a');
      const c = key('c');
      expect(await b.acquire({ key: a, limit: 1, holder: 'x' })).toBe(true);
      expect(await b.acquire({ key: a, limit: 1, holder: 'y' })).toBe(false);
      expect(await b.acquire({ key: c, limit: 1, holder: 'y' })).toBe(true);
    });

    it('admits at most `limit` starts per window and says when the next one fits', async () => {
      const b = await make();
      const k = key('rate');
      const now = Date.now();
      const period = 60_000;
      expect(await b.take({ key: k, limit: 2, period, now, holder: 'r1' })).toEqual({ admitted: true });
      expect(await b.take({ key: k, limit: 2, period, now, holder: 'r2' })).toEqual({ admitted: true });
      const third = await b.take({ key: k, limit: 2, period, now, holder: 'r3' });
      expect(third.admitted).toBe(false);
      if (third.admitted) return;
      expect(third.retryAt).toBeGreaterThan(now);
      expect(third.retryAt).toBeLessThanOrEqual(now + period + 1);
      // Another key has its own window.
      expect(await b.take({ key: key('rate-other'), limit: 2, period, now, holder: 'r3' })).toEqual({ admitted: true });
    });

    it('admits again once the oldest start left the window', async () => {
      const b = await make();
      const k = key('window');
      const period = server ? 300 : 1_000;
      const t0 = Date.now();
      expect((await b.take({ key: k, limit: 1, period, now: t0, holder: 'w1' })).admitted).toBe(true);
      expect((await b.take({ key: k, limit: 1, period, now: t0 + 1, holder: 'w2' })).admitted).toBe(false);
      if (!server) {
        expect((await b.take({ key: k, limit: 1, period, now: t0 + period, holder: 'w2' })).admitted).toBe(true);
        return;
      }
      // The backend's own clock: poll until the window has moved on (bounded generously for loaded machines).
      const deadline = Date.now() + 10_000;
      for (;;) {
        const d = await b.take({ key: k, limit: 1, period, now: Date.now(), holder: 'w2' });
        if (d.admitted) break;
        expect(Date.now()).toBeLessThan(deadline);
        await new Promise((r) => setTimeout(r, Math.max(10, Math.min(100, d.retryAt - Date.now()))));
      }
      expect(Date.now() - t0).toBeGreaterThanOrEqual(period - 5);
    });
  });
}
