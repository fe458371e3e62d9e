import { defer, finalize, from, type Observable, of, ReplaySubject, share, switchMap, tap } from 'rxjs';
import type { CacheEntry, CacheLock, CacheStore } from '../plugin/types.js';
import { isThenable } from './to-observable.js';

/** Hooks of {@link withCache}. */
export interface CacheHooks {
  onHit(shared: boolean): void;
  onStoreError(error: unknown): void;
}

/**
 * Looks `key` up in `store`; on a miss runs the source once for every concurrent caller with the same key
 * (single-flight through `inflight`; across processes too when the store implements `acquire`, holding its lock for
 * at most `lockMs`) and stores the value for `ttlMs`.
 *
 * @example
 * ```ts
 * withCache(store, 'wf:node:key', 60_000, inflight, hooks)(compute$)
 * ```
 */
export function withCache<T>(
  store: CacheStore,
  key: string,
  ttlMs: number,
  inflight: Map<string, Observable<unknown>>,
  hooks: CacheHooks,
  lockMs = 30_000,
): (source: Observable<T>) => Observable<T> {
  return (source) =>
    defer(() => {
      const got = store.get(key);
      const onEntry = (entry: CacheEntry | undefined): Observable<T> => {
        if (entry !== undefined) {
          hooks.onHit(false);
          return of(entry.value as T);
        }
        const running = inflight.get(key) as Observable<T> | undefined;
        if (running !== undefined) {
          hooks.onHit(true);
          return running;
        }
        const compute = source.pipe(
          tap({
            next: (value) => {
              try {
                const r = store.set(key, value, ttlMs);
                if (isThenable(r)) r.then(undefined, hooks.onStoreError);
              } catch (e) {
                hooks.onStoreError(e);
              }
            },
          }),
        );
        const acquire = store.acquire;
        const work: Observable<T> =
          acquire === undefined
            ? compute
            : from(acquire.call(store, key, lockMs)).pipe(
                switchMap((lock: CacheLock) => {
                  if (lock.compute) return compute.pipe(finalize(() => lock.release()));
                  if (lock.entry === undefined) return compute;
                  hooks.onHit(true);
                  return of(lock.entry.value as T);
                }),
              );
        const shared: Observable<T> = work.pipe(
          finalize(() => {
            if (inflight.get(key) === shared) inflight.delete(key);
          }),
          share({
            connector: () => new ReplaySubject<T>(1),
            resetOnError: true,
            resetOnComplete: true,
            resetOnRefCountZero: true,
          }),
        );
        inflight.set(key, shared);
        return shared;
      };
      return isThenable(got) ? from(got).pipe(switchMap(onEntry)) : onEntry(got);
    });
}
