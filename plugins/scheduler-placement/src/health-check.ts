import type { HealthStatus } from '@flowlane/core';
import {
  catchError,
  defer,
  exhaustMap,
  finalize,
  from,
  map,
  merge,
  type Observable,
  of,
  type SchedulerLike,
  type Subscription,
  TimeoutError,
  timeout,
  timer,
} from 'rxjs';

/** Periodic worker health checks of a placement scheduler. */
export interface HealthCheckOptions {
  /** Milliseconds between two rounds of checks (> 0). The first round runs one interval after start. */
  readonly interval: number;
  /** A check that has not answered after this many ms counts as failed (its signal is aborted). Default: `interval`. */
  readonly timeout?: number | undefined;
  /**
   * Probe one worker: `true`/`{ healthy: true }` is healthy; `false`, `{ healthy: false, message }`, a rejection or a
   * timeout is not. An executor's health check fits: `(id, signal) => executor.healthCheck({ target: id, signal })`.
   */
  readonly check: (
    workerId: string,
    signal: AbortSignal,
  ) => boolean | HealthStatus | PromiseLike<boolean | HealthStatus>;
  /** Consecutive failed checks before a worker leaves the rotation. Default 1. */
  readonly unhealthyThreshold?: number | undefined;
  /** Consecutive passed checks before a down worker rejoins. Default 1. */
  readonly healthyThreshold?: number | undefined;
}

/** Internal: the outcome of one probe. */
export interface ProbeResult {
  readonly healthy: boolean;
  readonly reason: string;
}

const isThenable = <T>(v: T | PromiseLike<T>): v is PromiseLike<T> =>
  typeof (v as { then?: unknown } | null)?.then === 'function';

const reasonOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

function probe(workerId: string, options: HealthCheckOptions, clock: SchedulerLike): Observable<ProbeResult> {
  const ms = options.timeout ?? options.interval;
  return defer(() => {
    const ac = new AbortController();
    // A synchronous answer stays synchronous; a thenable becomes an observable (a sync throw is an error too).
    return defer(() => {
      const r = options.check(workerId, ac.signal);
      return isThenable(r) ? from(r) : of(r);
    }).pipe(
      timeout({ first: ms, scheduler: clock }),
      map((r): ProbeResult => {
        if (r === true) return { healthy: true, reason: 'ok' };
        if (r === false) return { healthy: false, reason: 'health check returned false' };
        return { healthy: r.healthy === true, reason: r.message ?? (r.healthy ? 'ok' : 'health check failed') };
      }),
      catchError((e: unknown) =>
        of({
          healthy: false,
          reason:
            e instanceof TimeoutError ? `health check timed out after ${ms} ms` : `health check failed: ${reasonOf(e)}`,
        }),
      ),
      finalize(() => ac.abort()),
    );
  });
}

/**
 * Internal: every `interval`, probe every worker (a round is skipped while the previous one still runs) and report
 * each result. Unsubscribe to stop; in-flight probes are aborted.
 */
export function watchHealth(
  workerIds: readonly string[],
  options: HealthCheckOptions,
  clock: SchedulerLike,
  report: (workerId: string, result: ProbeResult) => void,
): Subscription {
  return timer(options.interval, options.interval, clock)
    .pipe(
      exhaustMap(() => merge(...workerIds.map((id) => probe(id, options, clock).pipe(map((r) => [id, r] as const))))),
    )
    .subscribe(([id, r]) => report(id, r));
}
