import { catchError, type MonoTypeOperatorFunction, type Observable, throwError } from 'rxjs';

/** One error boundary: which errors it handles, and what it turns one into. */
export interface Boundary<T> {
  matches(error: unknown): boolean;
  handle(error: unknown): Observable<T>;
}

/**
 * Error boundaries: when the source fails, the first boundary whose `matches` accepts the error handles it (its
 * output replaces the source's; its own failure goes on); an error no boundary matches goes on unchanged.
 *
 * @example
 * ```ts fragment
 * deploy$.pipe(errorBoundary([{ matches: (e) => e instanceof TypeError, handle: () => of('skipped') }]))
 * ```
 */
export function errorBoundary<T>(boundaries: readonly Boundary<T>[]): MonoTypeOperatorFunction<T> {
  return catchError((error: unknown) => {
    for (const b of boundaries) if (b.matches(error)) return b.handle(error);
    return throwError(() => error);
  });
}
