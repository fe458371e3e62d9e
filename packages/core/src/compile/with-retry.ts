import { type MonoTypeOperatorFunction, type Observable, of, retry, type SchedulerLike, throwError, timer } from 'rxjs';
import type { ErrorMatcher, RetryPolicy } from '../builder/types.js';
import { errorCodeOf, isFlowlaneError } from '../errors.js';

/** True when `error` matches a class or an error code/name. */
export function matchesError(error: unknown, matchers: readonly ErrorMatcher[]): boolean {
  for (const m of matchers) {
    if (typeof m === 'string') {
      if (errorCodeOf(error) === m || (error instanceof Error && error.name === m)) return true;
    } else if (error instanceof m) return true;
  }
  return false;
}

/**
 * Whether the policy allows retrying `error`. Cancellation, permission denials and unknown executors are never
 * retried (another attempt cannot change them).
 */
export function isRetryable(policy: RetryPolicy, error: unknown): boolean {
  if (
    isFlowlaneError(error, 'FL_CANCELLED') ||
    isFlowlaneError(error, 'FL_PERMISSION_DENIED') ||
    isFlowlaneError(error, 'FL_EXECUTOR_NOT_FOUND')
  )
    return false;
  if (policy.nonRetryable !== undefined && matchesError(error, policy.nonRetryable)) return false;
  if (policy.retryOn !== undefined && !matchesError(error, policy.retryOn)) return false;
  return true;
}

/**
 * Delay before retry number `retry` (1-based): `initialInterval × backoffCoefficient^(retry-1)`, capped by
 * `maxInterval`, reduced by up to `jitter` × itself at random.
 */
export function delayFor(policy: RetryPolicy, retryNumber: number, random: () => number = Math.random): number {
  const base = policy.initialInterval ?? 1000;
  const coefficient = policy.backoffCoefficient ?? 2;
  const max = policy.maxInterval ?? 60_000;
  // 0 × coefficient^n is 0 even when coefficient^n overflows to Infinity (past ~1,024 retries), not NaN.
  const growth = coefficient ** (retryNumber - 1);
  let d = base === 0 ? 0 : Math.min(base * growth, max);
  if (Number.isNaN(d)) d = max;
  const jitter =
    policy.jitter === true ? 1 : policy.jitter === false || policy.jitter === undefined ? 0 : policy.jitter;
  if (jitter > 0) d -= d * jitter * random();
  return Math.max(0, Math.round(d));
}

/** Hooks of {@link withRetry}. */
export interface RetryHooks {
  /** Ask `policy.onRetry` (given the retry number: failures so far, prior ones included); returns its verdict. */
  readonly decide?: ((error: unknown, retryNumber: number) => number | false | undefined) | undefined;
  /** Called when a retry is scheduled (same retry number). */
  readonly onRetrying?: ((error: unknown, retryNumber: number, delayMs: number) => void) | undefined;
}

/**
 * Retries the source per `policy`, waiting each delay on `clock` (virtual time in tests). `priorFailures` (a resumed
 * run: failures its log holds) count against `maxAttempts`, and retry numbers (backoff, hooks) go on from them.
 *
 * @example
 * ```ts
 * import { withRetry } from '@flowlane/core';
 * import { asyncScheduler, defer } from 'rxjs';
 *
 * const attempt$ = defer(() => fetch('https://example.com/health'));
 * attempt$.pipe(withRetry({ maxAttempts: 3, initialInterval: 30_000 }, asyncScheduler));
 * ```
 */
export function withRetry<T>(
  policy: RetryPolicy,
  clock: SchedulerLike,
  hooks: RetryHooks = {},
  priorFailures = 0,
): MonoTypeOperatorFunction<T> {
  return retry<T>({
    count: Math.max(0, policy.maxAttempts - 1 - priorFailures),
    delay: (error: unknown, retryCount: number): Observable<unknown> => {
      if (!isRetryable(policy, error)) return throwError(() => error);
      const n = priorFailures + retryCount;
      let d = delayFor(policy, n);
      const verdict = hooks.decide?.(error, n);
      if (verdict === false) return throwError(() => error);
      if (typeof verdict === 'number' && Number.isFinite(verdict) && verdict >= 0) d = verdict;
      hooks.onRetrying?.(error, n, d);
      return d === 0 ? of(0) : timer(d, clock);
    },
  });
}
