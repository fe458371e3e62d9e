import { FlowlaneError } from '../errors.js';
import type { AdmissionRequest, Lease, Scheduler } from '../plugin/types.js';
import { AbortGroups } from '../scheduling/abort-groups.js';

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
 * import { createEngine } from '@flowlane/core';
 *
 * const engine = createEngine({ concurrency: 4 }); // uses createFifoScheduler({ concurrency: 4 })
 * await engine.close();
 * ```
 */
export function createFifoScheduler(options: { concurrency: number }): Scheduler {
  const cap = options.concurrency;
  let running = 0;
  let queue: Waiter[] = [];
  let head = 0;
  let live = 0; // waiting and not dropped
  const cancelled = (w: Waiter, why: string): FlowlaneError =>
    new FlowlaneError('FL_CANCELLED', { executionId: w.request.executionId, reason: why });
  const waiting = new AbortGroups<Waiter>((w) => {
    w.dropped = true;
    live--;
    w.reject(cancelled(w, 'aborted while queued'));
  });

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
        waiting.add(signal, w);
        queue.push(w);
        live++;
      });
    },
    release() {
      running--;
      while (running < cap && head < queue.length) {
        const next = queue[head++]!;
        if (next.dropped) continue;
        live--;
        waiting.delete(next.signal, next);
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
