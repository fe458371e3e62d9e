import { Observable, ReplaySubject, type Subscriber, type Subscription } from 'rxjs';
import type { CacheEntry, CacheLock, CacheStore } from '../plugin/types.js';
import { isThenable } from './to-observable.js';

/** Hooks of {@link withCache}. */
export interface CacheHooks {
  /** The value came from the store (`shared: false`) or from another caller's computation (`shared: true`). */
  onHit(shared: boolean): void;
  onStoreError(error: unknown): void;
  /**
   * True once this caller's run has ended (cancelled, or failed elsewhere). A computation led by a caller that is
   * gone is not trusted by the callers waiting on it: when it fails, they compute again themselves.
   */
  gone(): boolean;
  /** Who computes when this caller leads (opaque; handed to the joiners' `adopt`). */
  readonly origin?: unknown;
  /**
   * Called on a joiner before it gets the leader's value or error, with the leader's `origin`: the engine makes the
   * joining run redact the leader's secrets too (the value or error was made with them).
   */
  adopt?(origin: unknown): void;
}

/** The value a flight ends with. */
interface Landed {
  readonly value: unknown;
  /** Read from the store rather than computed. */
  readonly stored: boolean;
}

/** One key's lookup-and-compute, shared by every caller that asks for the key while it is in flight. */
export interface CacheFlight {
  readonly result: ReplaySubject<Landed>;
  /** Set when the flight failed after its leading caller's run had ended: its joiners compute again. */
  abandoned: boolean;
  /** The leader's {@link CacheHooks.origin}. */
  readonly origin: unknown;
  /** Callers subscribed now; the computation stops when the last one leaves. */
  refs: number;
  stop(): void;
}

/**
 * Looks `key` up in `store`; on a miss runs the source once and stores the value for `ttlMs`. Single-flight per
 * key through `inflight` (one map per engine), whatever the store's timing: the flight is registered before the
 * lookup and stays until the store has the value, so callers arriving in between join it instead of computing
 * again. A caller whose leader was cancelled (its computation failed after its run ended) runs the lookup again
 * itself and leads the next flight; only the cancelled run is cancelled. When the store implements `acquire`, a miss
 * is also single-flight across processes: the store's lock (held for at most `lockMs`) decides who computes, and the
 * others read what it stored. `looked` is a lookup of `key` the caller has just made (synchronously, when no flight of
 * the key was registered): the first subscriber uses it instead of asking the store again.
 *
 * @example
 * ```ts fragment
 * withCache(store, 'wf:node:key', 60_000, inflight, hooks)(compute$)
 * ```
 */
export function withCache<T>(
  store: CacheStore,
  key: string,
  ttlMs: number,
  inflight: Map<string, CacheFlight>,
  hooks: CacheHooks,
  lockMs = 30_000,
  looked?: { readonly got: CacheEntry | undefined | Promise<CacheEntry | undefined> },
): (source: Observable<T>) => Observable<T> {
  return (source) => {
    const attempt = (sub: Subscriber<T>): Subscription | (() => void) | undefined => {
      // The caller's own lookup, made just before (synchronously, with no flight of the key): used once, for the
      // first subscriber, instead of asking the store again.
      const first = looked;
      looked = undefined;
      const running = first === undefined ? inflight.get(key) : undefined;
      if (running !== undefined) return join(running, sub);
      let got: CacheEntry | undefined | Promise<CacheEntry | undefined>;
      if (first !== undefined) got = first.got;
      else
        try {
          got = store.get(key);
        } catch (e) {
          sub.error(e);
          return undefined;
        }
      // A synchronous hit needs no flight (the common case of a warm in-memory cache).
      if (!isThenable(got) && got !== undefined) {
        hooks.onHit(false);
        sub.next(got.value as T);
        sub.complete();
        return undefined;
      }
      return lead(got, sub);
    };

    const join = (flight: CacheFlight, sub: Subscriber<T>): (() => void) => {
      flight.refs++;
      let again: Subscription | undefined;
      const watch = flight.result.subscribe({
        next: (landed) => {
          if (!landed.stored) hooks.adopt?.(flight.origin);
          hooks.onHit(!landed.stored);
          sub.next(landed.value as T);
        },
        error: (e: unknown) => {
          hooks.adopt?.(flight.origin);
          // The leader's run ended and its computation failed with it: compute (or join the next flight) ourselves.
          if (flight.abandoned && !hooks.gone())
            again = new Observable<T>(attempt).subscribe({
              next: (v) => sub.next(v),
              error: (e2: unknown) => sub.error(e2),
              complete: () => sub.complete(),
            });
          else sub.error(e);
        },
        complete: () => {
          if (again === undefined) sub.complete();
        },
      });
      return () => {
        watch.unsubscribe();
        again?.unsubscribe();
        leave(flight);
      };
    };

    const lead = (got: CacheEntry | undefined | Promise<CacheEntry | undefined>, sub: Subscriber<T>): (() => void) => {
      let computing: Subscription | undefined;
      let held: (() => void) | undefined;
      let stopped = false;
      let landed = false;
      const flight: CacheFlight = {
        result: new ReplaySubject<Landed>(1),
        abandoned: false,
        origin: hooks.origin,
        refs: 1,
        stop: () => {
          // Every caller left: stop the lookup or computation (a value already landed stays until it is stored).
          if (landed) return;
          stopped = true;
          computing?.unsubscribe();
          held?.();
          land();
        },
      };
      inflight.set(key, flight);
      const land = (): void => {
        if (inflight.get(key) === flight) inflight.delete(key);
      };
      const fail = (e: unknown): void => {
        // Decided before anyone is told: the leader's own failure ends its run too.
        flight.abandoned = hooks.gone();
        landed = true;
        land();
        flight.result.error(e);
      };
      const onEntry = (entry: CacheEntry | undefined): void => {
        if (stopped) return;
        if (entry !== undefined) {
          landed = true;
          land();
          flight.result.next({ value: entry.value, stored: true });
          flight.result.complete();
          return;
        }
        if (hooks.gone()) {
          // The leader's run ended during the lookup: let the callers still waiting compute themselves.
          fail(new Error('the caller leading this cache lookup has ended'));
          return;
        }
        const acquire = store.acquire;
        if (acquire === undefined) {
          compute(undefined);
          return;
        }
        // Across processes: the store's lock decides who computes; the others read what it stored.
        let asked: Promise<CacheLock>;
        try {
          asked = acquire.call(store, key, lockMs);
        } catch (e) {
          fail(e);
          return;
        }
        asked.then(
          (lock) => {
            if (stopped) {
              if (lock.compute) lock.release();
              return;
            }
            if (lock.compute) compute(() => lock.release());
            else if (lock.entry !== undefined) {
              landed = true;
              land();
              flight.result.next({ value: lock.entry.value, stored: true });
              flight.result.complete();
            } else compute(undefined);
          },
          (e: unknown) => (stopped ? undefined : fail(e)),
        );
      };
      const compute = (lock: (() => void) | undefined): void => {
        // The cross-process lock, released once (after the value is stored, on failure, or when every caller left).
        held =
          lock === undefined
            ? undefined
            : () => {
                held = undefined;
                lock();
              };
        const release = (): void => held?.();
        let last: { value: unknown } | undefined;
        computing = source.subscribe({
          next: (value) => {
            last = { value };
          },
          error: (e: unknown) => {
            release();
            fail(e);
          },
          complete: () => {
            landed = true;
            if (last === undefined) {
              release();
              land();
              flight.result.complete();
              return;
            }
            // Until the store has the value, the flight stays: callers arriving now join it (no second computation).
            let saved: unknown;
            try {
              saved = store.set(key, last.value, ttlMs);
            } catch (e) {
              hooks.onStoreError(e);
            }
            // The lock is released once the value is stored (processes waiting on it then read it).
            if (isThenable(saved))
              saved.then(
                () => {
                  release();
                  land();
                },
                (e: unknown) => {
                  release();
                  land();
                  hooks.onStoreError(e);
                },
              );
            else {
              release();
              land();
            }
            flight.result.next({ value: last.value, stored: false });
            flight.result.complete();
          },
        });
      };
      const own = flight.result.subscribe({
        next: (landed) => {
          if (landed.stored) hooks.onHit(false);
          sub.next(landed.value as T);
        },
        error: (e: unknown) => sub.error(e),
        complete: () => sub.complete(),
      });
      if (isThenable(got)) got.then(onEntry, (e: unknown) => (stopped ? undefined : fail(e)));
      else onEntry(got);
      return () => {
        own.unsubscribe();
        leave(flight);
      };
    };

    const leave = (flight: CacheFlight): void => {
      if (--flight.refs === 0) flight.stop();
    };

    return new Observable<T>(attempt);
  };
}
