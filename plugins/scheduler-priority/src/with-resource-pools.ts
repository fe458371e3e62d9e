import { type AdmissionRequest, FlowlaneError, type Lease, type Scheduler } from '@flowlane/core';
import { EMPTY, merge } from 'rxjs';
import { createPriorityScheduler } from './priority-scheduler.js';
import type { ResourcePools } from './resource-pools.js';

const isThenable = (v: unknown): v is PromiseLike<unknown> =>
  typeof (v as { then?: unknown } | null)?.then === 'function';

/**
 * Put resource pools in front of any scheduler (round-robin, load-based, FIFO, your own): a node first waits until
 * all of its `resources` fit (priority order, all or nothing), then asks `scheduler` for a slot and a worker. The
 * resources are held while it waits for the inner scheduler — acquiring in this one order cannot deadlock.
 *
 * @example
 * ```ts
 * import { createEngine } from '@flowlane/core';
 * import { createResourcePools, withResourcePools } from '@flowlane/scheduler-priority';
 * import { createRoundRobinScheduler } from '@flowlane/scheduler-round-robin';
 * const pools = createResourcePools({ capacity: { licenses: 2 } });
 * const engine = createEngine({
 *   scheduler: withResourcePools(createRoundRobinScheduler({ workers: [{ id: 'a' }, { id: 'b' }] }), pools),
 * });
 * ```
 */
export function withResourcePools(scheduler: Scheduler, pools: ResourcePools): Scheduler {
  const gate = createPriorityScheduler({ pools, clock: pools.clock });
  const inner = new Map<Lease, { gate: Lease; inner: Lease }>();
  const wrap = (gateLease: Lease, innerLease: Lease): Lease => {
    const lease: Lease =
      innerLease.workerId === undefined
        ? { request: innerLease.request }
        : { request: innerLease.request, workerId: innerLease.workerId };
    inner.set(lease, { gate: gateLease, inner: innerLease });
    return lease;
  };
  const next = (request: AdmissionRequest, signal: AbortSignal, gateLease: Lease): Lease | Promise<Lease> => {
    if (signal.aborted) {
      gate.release(gateLease, 'cancelled');
      throw new FlowlaneError('FL_CANCELLED', { executionId: request.executionId, reason: 'aborted while queued' });
    }
    let l: Lease | Promise<Lease>;
    try {
      l = scheduler.acquire(request, signal);
    } catch (e) {
      gate.release(gateLease, 'cancelled');
      throw e;
    }
    if (!isThenable(l)) return wrap(gateLease, l);
    return (l as Promise<Lease>).then(
      (innerLease) => wrap(gateLease, innerLease),
      (e: unknown) => {
        gate.release(gateLease, 'cancelled');
        throw e;
      },
    );
  };
  // The gate's expiry events cover only the nodes it admitted, even when the pools are shared.
  const expired$ = gate.events$ ?? EMPTY;
  const events$ = scheduler.events$ === undefined ? expired$ : merge(scheduler.events$, expired$);
  return {
    name: `${scheduler.name}+resource-pools`,
    // The inner scheduler's worker events and the pools' expiry events, for the engine's systemEvents$.
    events$,
    acquire(request, signal) {
      const g = gate.acquire(request, signal);
      return isThenable(g) ? (g as Promise<Lease>).then((gl) => next(request, signal, gl)) : next(request, signal, g);
    },
    release(lease, outcome) {
      const pair = inner.get(lease);
      if (pair === undefined) return;
      inner.delete(lease);
      scheduler.release(pair.inner, outcome);
      gate.release(pair.gate, outcome);
    },
    pending: () => gate.pending() + (scheduler.pending?.() ?? 0),
    async dispose() {
      gate.dispose();
      await scheduler.dispose?.();
    },
  };
}
