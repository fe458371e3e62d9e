import { LRUCache } from 'lru-cache';
import type { CacheEntry, CacheLock, CacheStore } from '../plugin/types.js';

/** Options of {@link createMemoryCacheStore}. */
export interface MemoryCacheStoreOptions {
  /** Most entries kept (least recently used evicted first). Default 10 000. */
  readonly max?: number | undefined;
  /** Time source in ms (default `performance.now`); pass the engine clock's `now` for virtual time. */
  readonly now?: (() => number) | undefined;
}

/** A key's single-flight lock: who waits for it, and the timer that drops it after `lockMs`. */
interface KeyLock {
  readonly waiters: Set<() => void>;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/**
 * The default cache store: an in-memory LRU with per-entry TTL (`lru-cache`). `get` answers synchronously.
 * `acquire` makes a miss single-flight across the engines that share this store (one computation per key): the first
 * caller computes while the others wait until it stored the value and released the lock (or the lock expired after
 * `lockMs`, a real-time timer that does not keep the process alive).
 *
 * @example
 * ```ts
 * import { createEngine, createMemoryCacheStore } from '@flowlane/core';
 *
 * const cache = createMemoryCacheStore({ max: 1000 });
 * const a = createEngine({ cache });
 * const b = createEngine({ cache }); // a cached node computes once for both engines
 * await Promise.all([a.close(), b.close()]);
 * ```
 */
export function createMemoryCacheStore(options: MemoryCacheStoreOptions = {}): CacheStore {
  const locks = new Map<string, KeyLock>();
  /** Drops `lock` if it still holds `key` and wakes its waiters (idempotent). */
  const drop = (key: string, lock: KeyLock): void => {
    if (locks.get(key) !== lock) return;
    locks.delete(key);
    clearTimeout(lock.timer);
    for (const wake of lock.waiters) wake();
  };
  const now = options.now;
  const lru = new LRUCache<string, CacheEntry>({
    max: options.max ?? 10_000,
    ttlAutopurge: false,
    // lru-cache treats a start time of 0 as "no TTL" and caches now() for ttlResolution ms with a real timer:
    // shift the injected clock by 1 ms (only differences matter) and read it on every check.
    ...(now === undefined ? {} : { perf: { now: () => now() + 1 }, ttlResolution: 0 }),
  });
  return {
    name: 'memory',
    get: (key) => lru.get(key),
    set: (key, value, ttlMs) => {
      lru.set(key, { value }, { ttl: ttlMs });
    },
    delete: (key) => {
      lru.delete(key);
    },
    acquire: (key, lockMs): Promise<CacheLock> => {
      const held = locks.get(key);
      if (held !== undefined)
        return new Promise((resolve) => held.waiters.add(() => resolve({ compute: false, entry: lru.get(key) })));
      const lock: KeyLock = { waiters: new Set(), timer: undefined };
      lock.timer = setTimeout(() => drop(key, lock), Math.min(Math.max(0, lockMs), 2_147_483_647));
      lock.timer.unref?.();
      locks.set(key, lock);
      return Promise.resolve({ compute: true, release: () => drop(key, lock) });
    },
    dispose: () => {
      for (const [key, lock] of [...locks]) drop(key, lock);
      lru.clear();
    },
  };
}
