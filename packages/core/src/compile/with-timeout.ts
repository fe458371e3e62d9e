import { type MonoTypeOperatorFunction, type SchedulerLike, throwError, timeout } from 'rxjs';

/**
 * Fails with the error `onTimeout()` returns when the source has not produced its value within `ms` on `clock`
 * (virtual time in tests). `onTimeout` is where the attempt's AbortSignal is aborted.
 *
 * @example
 * ```ts
 * import { withTimeout } from '@flowlane/core';
 * import { asyncScheduler, timer } from 'rxjs';
 *
 * const source$ = timer(10_000);
 * source$.pipe(withTimeout(5_000, asyncScheduler, () => new Error('late')));
 * ```
 */
export function withTimeout<T>(
  ms: number,
  clock: SchedulerLike,
  onTimeout: () => unknown,
): MonoTypeOperatorFunction<T> {
  return timeout({ first: ms, scheduler: clock, with: () => throwError(onTimeout) }) as MonoTypeOperatorFunction<T>;
}
