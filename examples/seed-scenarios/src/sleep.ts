import { setTimeout as delay } from 'node:timers/promises';
import type { SchedulerLike } from 'rxjs';

/**
 * Simulated work: wait `ms`, or reject when `signal` aborts (a node's `ctx.signal` aborts on timeout, cancel, run
 * failure and engine close, so no timer outlives its run). Scenarios take one so tests can swap real time for
 * virtual time.
 */
export type Sleep = (ms: number, signal?: AbortSignal | undefined) => Promise<void>;

/** Real time (`setTimeout`), abortable. */
export const realSleep: Sleep = async (ms, signal) => {
  await delay(ms, undefined, signal === undefined ? {} : { signal });
};

/** No waiting at all: for tests that only care about outcomes. */
export const instantSleep: Sleep = async (_ms, signal) => {
  signal?.throwIfAborted();
};

/**
 * Time on an RxJS scheduler — pass the engine's clock (`createVirtualClock()` in tests) so the simulated work and the
 * engine's retries, timeouts and signal waits all move on the same virtual time.
 */
export function clockSleep(clock: SchedulerLike): Sleep {
  return (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const onAbort = (): void => {
        action.unsubscribe();
        reject(signal?.reason);
      };
      const action = clock.schedule(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
}
