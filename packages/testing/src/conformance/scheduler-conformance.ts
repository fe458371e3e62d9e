import type { AdmissionRequest, Lease, Scheduler } from '@flowlane/core';
import { describe, expect, it } from 'vitest';
import { suiteHarness } from './suite-harness.js';

/** Options of {@link schedulerConformance}. */
export interface SchedulerConformanceOptions {
  /**
   * Order in which queued requests are admitted: `fifo` (arrival order), `priority` (higher `priority` first, arrival
   * order among equals) or `unordered` (not checked). Default `fifo`.
   */
  readonly ordering?: 'fifo' | 'priority' | 'unordered' | undefined;
  /** How long to wait for an admission that should happen, ms. Default 2000. */
  readonly admitWithinMs?: number | undefined;
}

/** An admission request for node `id` of a synthetic workflow. */
export function admissionRequest(id: string, priority = 0, executionId = 'conformance-run'): AdmissionRequest {
  return {
    executionId,
    workflow: 'conformance',
    node: { id, kind: 'task', dependsOn: [], standby: false, options: {} },
    priority,
  };
}

/** A request in flight: its lease once granted, or its rejection. */
interface Pending {
  readonly request: AdmissionRequest;
  readonly ctrl: AbortController;
  lease: Lease | undefined;
  error: unknown;
  readonly settled: Promise<void>;
}

const flush = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

/**
 * Registers vitest tests that check a `Scheduler` against the contract of `@flowlane/core`: leases up to the
 * capacity, waiting and admission on release (with every outcome), order, abort while queued, `pending()`, a
 * randomised workload that never exceeds the capacity, and `dispose()`. `factory` receives the capacity to enforce.
 *
 * @example
 * ```ts
 * import { createFifoScheduler } from '@flowlane/core';
 * import { schedulerConformance } from '@flowlane/testing';
 *
 * schedulerConformance('fifo', ({ concurrency }) => createFifoScheduler({ concurrency }));
 * ```
 */
export function schedulerConformance(
  name: string,
  factory: (options: { readonly concurrency: number }) => Scheduler | Promise<Scheduler>,
  options: SchedulerConformanceOptions = {},
): void {
  const ordering = options.ordering ?? 'fifo';
  const admitWithin = options.admitWithinMs ?? 2000;

  describe(`${name}: Scheduler conformance`, () => {
    const make = suiteHarness((concurrency: number) => factory({ concurrency }), 1);

    const ask = (s: Scheduler, request: AdmissionRequest, ctrl = new AbortController()): Pending => {
      const p: Pending = { request, ctrl, lease: undefined, error: undefined, settled: Promise.resolve() };
      let answer: Lease | Promise<Lease>;
      try {
        answer = s.acquire(request, ctrl.signal);
      } catch (e) {
        p.error = e;
        return p;
      }
      if (answer instanceof Promise)
        (p as { settled: Promise<void> }).settled = answer.then(
          (l) => void (p.lease = l),
          (e: unknown) => void (p.error = e),
        );
      else p.lease = answer;
      return p;
    };
    const granted = (ps: readonly Pending[]): string[] => ps.filter((p) => p.lease).map((p) => p.request.node.id);

    it('grants up to `concurrency` leases at once, each for its own request', async () => {
      const s = await make(3);
      const ps = ['a', 'b', 'c', 'd'].map((id) => ask(s, admissionRequest(id)));
      await flush();
      expect(granted(ps)).toEqual(['a', 'b', 'c']);
      for (const p of ps.slice(0, 3)) expect(p.lease?.request).toBe(p.request);
      expect(ps[3]!.lease).toBeUndefined();
      expect(ps[3]!.error).toBeUndefined();
    });

    it.each(['success', 'failed', 'cancelled'] as const)(
      'admits a waiting request when a lease is released (%s)',
      async (outcome) => {
        const s = await make(1);
        const first = ask(s, admissionRequest('first'));
        const second = ask(s, admissionRequest('second'));
        await flush();
        expect(second.lease).toBeUndefined();
        s.release(first.lease!, outcome);
        await Promise.race([second.settled, new Promise((r) => setTimeout(r, admitWithin))]);
        expect(second.lease?.request).toBe(second.request);
      },
    );

    if (ordering !== 'unordered')
      it(`admits queued requests in ${ordering} order`, async () => {
        const s = await make(1);
        const blocker = ask(s, admissionRequest('blocker'));
        await flush();
        const prios = ordering === 'priority' ? [0, 5, 1, 5, 0] : [0, 0, 0, 0, 0];
        const ps = prios.map((p, i) => ask(s, admissionRequest(`q${i}`, p)));
        const order: string[] = [];
        let held = blocker.lease!;
        for (let i = 0; i < ps.length; i++) {
          s.release(held, 'success');
          await flush();
          const next = ps.find((p) => p.lease && !order.includes(p.request.node.id));
          expect(next).toBeDefined();
          order.push(next!.request.node.id);
          held = next!.lease!;
        }
        s.release(held, 'success');
        expect(order).toEqual(
          ordering === 'priority' ? ['q1', 'q3', 'q2', 'q0', 'q4'] : ['q0', 'q1', 'q2', 'q3', 'q4'],
        );
      });

    it('drops a request aborted while queued: it is rejected or never granted, and takes no slot', async () => {
      const s = await make(1);
      const first = ask(s, admissionRequest('first'));
      const aborted = ask(s, admissionRequest('aborted'));
      const next = ask(s, admissionRequest('next'));
      await flush();
      aborted.ctrl.abort(new Error('run cancelled'));
      await flush();
      s.release(first.lease!, 'success');
      await Promise.race([next.settled, new Promise((r) => setTimeout(r, admitWithin))]);
      expect(aborted.lease).toBeUndefined();
      expect(next.lease?.request).toBe(next.request);
    });

    it('does not queue a request whose signal is already aborted ahead of live ones', async () => {
      const s = await make(1);
      const first = ask(s, admissionRequest('first'));
      await flush();
      const ctrl = new AbortController();
      ctrl.abort(new Error('cancelled before asking'));
      const dead = ask(s, admissionRequest('dead'), ctrl);
      const live = ask(s, admissionRequest('live'));
      await flush();
      s.release(first.lease!, 'success');
      await Promise.race([live.settled, new Promise((r) => setTimeout(r, admitWithin))]);
      expect(dead.lease).toBeUndefined();
      expect(live.lease?.request).toBe(live.request);
    });

    it('counts queued requests in pending() (when implemented)', async () => {
      const s = await make(1);
      if (s.pending === undefined) return;
      const ps = ['a', 'b', 'c'].map((id) => ask(s, admissionRequest(id)));
      await flush();
      expect(s.pending()).toBe(2);
      ps[2]!.ctrl.abort();
      await flush();
      expect(s.pending()).toBe(1);
      s.release(ps[0]!.lease!, 'success');
      await flush();
      expect(s.pending()).toBe(0);
      s.release(ps[1]!.lease!, 'success');
    });

    it('never exceeds its capacity and admits every live request under a random workload', async () => {
      const cap = 3;
      const s = await make(cap);
      let seed = 7;
      const rand = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
      const all: Pending[] = [];
      const released = new Set<Pending>();
      const held = (): Pending[] => all.filter((p) => p.lease !== undefined && !released.has(p));
      let maxHeld = 0;
      const observe = async (): Promise<void> => {
        await flush();
        const n = held().length;
        maxHeld = Math.max(maxHeld, n);
        expect(n).toBeLessThanOrEqual(cap);
      };
      for (let step = 0; step < 300; step++) {
        const r = rand();
        if (r < 0.5) all.push(ask(s, admissionRequest(`n${step}`, Math.floor(rand() * 3))));
        else if (r < 0.6) {
          const queued = all.filter((p) => p.lease === undefined && p.error === undefined && !p.ctrl.signal.aborted);
          queued[Math.floor(rand() * queued.length)]?.ctrl.abort();
        } else {
          const h = held();
          const victim = h[Math.floor(rand() * h.length)];
          if (victim) {
            released.add(victim);
            s.release(victim.lease!, rand() < 0.8 ? 'success' : 'failed');
          }
        }
        await observe();
      }
      // Drain: release everything; every request that was not aborted must have been granted by then.
      for (let guard = 0; guard < all.length && held().length > 0; guard++) {
        for (const p of held()) {
          released.add(p);
          s.release(p.lease!, 'success');
        }
        await observe();
      }
      expect(all.filter((p) => !p.ctrl.signal.aborted && p.lease === undefined).map((p) => p.request.node.id)).toEqual(
        [],
      );
      expect(maxHeld).toBe(cap);
    });

    it('disposes (when implemented) without throwing', async () => {
      const s = await factory({ concurrency: 1 });
      await s.dispose?.();
    });
  });
}
