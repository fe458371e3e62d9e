import { FlowlaneError } from '../errors.js';
import type { AdmissionRequest, Lease, Scheduler } from '../plugin/types.js';

/**
 * The default scheduler when a global node `concurrency` is set: first come, first served, at most `concurrency`
 * nodes running across all runs of the engine. Answers synchronously while there is room.
 *
 * @example
 * ```ts
 * const engine = createEngine({ concurrency: 4 }); // uses createFifoScheduler({ concurrency: 4 })
 * ```
 */
export function createFifoScheduler(options: { concurrency: number }): Scheduler {
  const cap = options.concurrency;
  let running = 0;
  const waiting: {
    request: AdmissionRequest;
    resolve: (l: Lease) => void;
    reject: (e: unknown) => void;
    signal: AbortSignal;
    onAbort: () => void;
  }[] = [];
  let head = 0;
  return {
    name: 'fifo',
    acquire(request, signal) {
      if (running < cap && head === waiting.length) {
        running++;
        return { request };
      }
      return new Promise<Lease>((resolve, reject) => {
        if (signal.aborted) {
          reject(
            new FlowlaneError('FL_CANCELLED', {
              executionId: request.executionId,
              reason: 'aborted before it was queued',
            }),
          );
          return;
        }
        const entry = {
          request,
          resolve,
          reject,
          signal,
          onAbort: () => {
            const k = waiting.indexOf(entry, head);
            if (k !== -1) waiting.splice(k, 1);
            reject(
              new FlowlaneError('FL_CANCELLED', { executionId: request.executionId, reason: 'aborted while queued' }),
            );
          },
        };
        signal.addEventListener('abort', entry.onAbort, { once: true });
        waiting.push(entry);
      });
    },
    release() {
      running--;
      while (head < waiting.length && running < cap) {
        const next = waiting[head++]!;
        next.signal.removeEventListener('abort', next.onAbort);
        running++;
        next.resolve({ request: next.request });
      }
      if (head > 1024 && head * 2 > waiting.length) {
        waiting.splice(0, head);
        head = 0;
      }
    },
    pending: () => waiting.length - head,
  };
}
