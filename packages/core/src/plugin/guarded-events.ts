import { Observable, type Observer, type OperatorFunction, type Subscription } from 'rxjs';

/**
 * The engine's event stream as a plugin sees it: a subscriber's callback that throws (or an error nobody handles)
 * goes to `fail` instead of RxJS's unhandled-error path, which throws it asynchronously and crashes the process.
 * `pipe()` keeps the guard, so `events$.pipe(filter(…)).subscribe(fn)` is contained too.
 *
 * @example
 * ```ts fragment
 * const events$ = guardEvents(engineEvents$, (err) => logger.error('plugin subscriber failed', { err }));
 * ```
 */
export function guardEvents<T>(source: Observable<T>, fail: (error: unknown, value?: T) => void): Observable<T> {
  return new GuardedObservable(source, fail);
}

class GuardedObservable<T> extends Observable<T> {
  readonly #source: Observable<T>;
  readonly #fail: (error: unknown, value?: T) => void;

  constructor(source: Observable<T>, fail: (error: unknown, value?: T) => void) {
    super();
    this.#source = source;
    this.#fail = fail;
    // An own property rather than an override: pipe()'s overloads cannot be restated generically.
    this.pipe = ((...operations: OperatorFunction<unknown, unknown>[]) => {
      const piped = (source.pipe as (...ops: OperatorFunction<unknown, unknown>[]) => Observable<unknown>).apply(
        source,
        operations,
      );
      return new GuardedObservable(piped, fail as (error: unknown, value?: unknown) => void);
    }) as Observable<T>['pipe'];
  }

  override subscribe(
    observerOrNext?: Partial<Observer<T>> | ((value: T) => void) | null,
    error?: ((e: unknown) => void) | null,
    complete?: (() => void) | null,
  ): Subscription {
    const o: Partial<Observer<T>> =
      typeof observerOrNext === 'function'
        ? { next: observerOrNext, ...(error ? { error } : {}), ...(complete ? { complete } : {}) }
        : (observerOrNext ?? { ...(error ? { error } : {}), ...(complete ? { complete } : {}) });
    const fail = this.#fail;
    return this.#source.subscribe({
      next: (v) => {
        try {
          o.next?.(v);
        } catch (e) {
          fail(e, v);
        }
      },
      error: (e: unknown) => {
        try {
          if (o.error) o.error(e);
          else fail(e);
        } catch (e2) {
          fail(e2);
        }
      },
      complete: () => {
        try {
          o.complete?.();
        } catch (e) {
          fail(e);
        }
      },
    });
  }
}
