import { LRUCache } from 'lru-cache';
import type { CacheEntry, CacheStore } from '../plugin/types.js';

/** Options of {@link createMemoryCacheStore}. */
export interface MemoryCacheStoreOptions {
  /** Most entries kept (least recently used evicted first). Default 10 000. */
  readonly max?: number | undefined;
  /** Time source in ms (default `performance.now`); pass the engine clock's `now` for virtual time. */
  readonly now?: (() => number) | undefined;
}

/**
 * The default cache store: an in-memory LRU with per-entry TTL (`lru-cache`). `get` answers synchronously.
 *
 * @example
 * ```ts
 * const engine = createEngine({ cache: createMemoryCacheStore({ max: 1000 }) });
 * ```
 */
export function createMemoryCacheStore(options: MemoryCacheStoreOptions = {}): CacheStore {
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
    dispose: () => lru.clear(),
  };
}
