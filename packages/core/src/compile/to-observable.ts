import { defaultIfEmpty, from, isObservable, type Observable, of, takeLast } from 'rxjs';

/** True for promises and other thenables. */
export function isThenable(v: unknown): v is PromiseLike<unknown> {
  return (
    v !== null &&
    (typeof v === 'object' || typeof v === 'function') &&
    typeof (v as { then?: unknown }).then === 'function'
  );
}

/** A node function's result (value, promise or observable) as an observable of its one final value. */
export function toObservable(r: unknown): Observable<unknown> {
  if (isThenable(r)) return from(r);
  if (isObservable(r)) return r.pipe(takeLast(1), defaultIfEmpty(undefined));
  return of(r);
}
