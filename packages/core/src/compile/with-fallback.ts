import { catchError, type MonoTypeOperatorFunction, type Observable, throwError } from 'rxjs';

/** What a fallback cascade asks its owner: whether `error` moves on to fallback `k`, and that it did. */
export interface FallbackHooks {
  /** True when fallback `k` runs for `error` (false: the error goes on unhandled). */
  cascades(error: unknown, k: number): boolean;
  /** Fallback `k` is about to run for `error` (`node.fell-back`). */
  fellBack(error: unknown, k: number): void;
}

/**
 * Fallbacks in order: when the source fails with an error that `hooks.cascades` accepts, fallback 0 runs with that
 * error and its output replaces the source's; when it fails too, fallback 1 runs with its error, and so on. The last
 * error goes on when no fallback is left or `cascades` refuses it.
 *
 * @example
 * ```ts fragment
 * primary$.pipe(withFallback([() => mirror$, () => cache$], { cascades: () => true, fellBack: () => undefined }))
 * ```
 */
export function withFallback<T>(
  fallbacks: readonly ((error: unknown) => Observable<T>)[],
  hooks: FallbackHooks,
): MonoTypeOperatorFunction<T> {
  const from = (k: number): MonoTypeOperatorFunction<T> =>
    catchError((error: unknown) => {
      if (k >= fallbacks.length || !hooks.cascades(error, k)) return throwError(() => error);
      hooks.fellBack(error, k);
      return fallbacks[k]!(error).pipe(from(k + 1));
    });
  return from(0);
}
