import { FlowlaneError } from '../errors.js';
import type { AdmissionRequest, Lease, Scheduler } from '../plugin/types.js';

interface Waiter {
  readonly request: AdmissionRequest;
  readonly signal: AbortSignal;
  readonly resolve: (l: Lease) => void;
  readonly reject: (e: unknown) => void;
  dropped: boolean;
}

/**
 * The default scheduler when a global node `concurrency` is set: first come, first served, at most `concurrency`
 * nodes running across all runs of the engine. Answers synchronously while there is room. One abort listener per
 * run signal (not per waiting node), so a long queue stays O(1) per request.
 *
 * @example
 * ```ts
 * const engine = createEngine({ concurrency: 4 }); // uses createFifoScheduler({ concurrency: 4 })
 * ```
 */
export function createFifoScheduler(options: { concurrency: number }): Scheduler {
  const cap = options.concurrency;
  let running = 0;
  let queue: Waiter[] = [];
  let head = 0;
  let live = 0; // waiting and not dropped
  const bySignal = new Map<AbortSignal, { waiters: Set<Waiter>; onAbort: () => void }>();

  const cancelled = (w: Waiter, why: string): FlowlaneError =>
    new FlowlaneError('FL_CANCELLED', { executionId: w.request.executionId, reason: why });

  const forget = (w: Waiter): void => {
    const entry = bySignal.get(w.signal);
    if (entry === undefined) return;
    entry.waiters.delete(w);
    if (entry.waiters.size === 0) {
      w.signal.removeEventListener('abort', entry.onAbort);
      bySignal.delete(w.signal);
    }
  };

  const enqueue = (w: Waiter): void => {
    let entry = bySignal.get(w.signal);
    if (entry === undefined) {
      const signal = w.signal;
      const onAbort = (): void => {
        const e = bySignal.get(signal);
        bySignal.delete(signal);
        if (e === undefined) return;
        for (const x of e.waiters) {
          x.dropped = true;
          live--;
          x.reject(cancelled(x, 'aborted while queued'));
        }
      };
      entry = { waiters: new Set(), onAbort };
      bySignal.set(signal, entry);
      signal.addEventListener('abort', onAbort, { once: true });
    }
    entry.waiters.add(w);
    queue.push(w);
    live++;
  };

  return {
    name: 'fifo',
    acquire(request, signal) {
      if (running < cap && live === 0) {
        running++;
        return { request };
      }
      return new Promise<Lease>((resolve, reject) => {
        const w: Waiter = { request, signal, resolve, reject, dropped: false };
        if (signal.aborted) {
          reject(cancelled(w, 'aborted before it was queued'));
          return;
        }
        enqueue(w);
      });
    },
    release() {
      running--;
      while (running < cap && head < queue.length) {
        const next = queue[head++]!;
        if (next.dropped) continue;
        live--;
        forget(next);
        running++;
        next.resolve({ request: next.request });
      }
      if (head > 1024 && head * 2 > queue.length) {
        queue = queue.slice(head);
        head = 0;
      }
    },
    pending: () => live,
  };
}
