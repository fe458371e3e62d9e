import { isThenable } from '../compile/to-observable.js';
import type { CacheFlight } from '../compile/with-cache.js';
import type { NodeCacheHitEvent } from '../contracts/events.js';
import type { CacheEntry, CacheStore } from '../plugin/types.js';

/** The key node `nodeId`'s value is cached under: namespaced by workflow version (a new version never reads an older one's). */
export function nodeCacheKey(workflow: string, version: string | undefined, nodeId: string, part: string): string {
  return `${workflow}${version === undefined ? '' : `@${version}`}:${nodeId}:${part}`;
}

/** `node.cache-hit`: the value came from the store (`shared: false`) or from another run's computation (`shared: true`). */
export function cacheHit(
  executionId: string,
  workflow: string,
  timestamp: number,
  nodeId: string,
  shared: boolean,
): NodeCacheHitEvent {
  return { type: 'node.cache-hit', executionId, workflow, timestamp, nodeId, shared };
}

/**
 * A node's cache lookup made by the run before it builds the node's operator pipeline, handed to the pipeline's
 * cache stage (`withCache`) when it did not end in a synchronous hit, so the key function and the store are asked
 * once. `store` is absent when the store was not asked because a computation of the key is already in flight (the
 * pipeline joins it).
 */
export interface CacheLookup {
  readonly key: string;
  readonly store?: { readonly got: CacheEntry | undefined | Promise<CacheEntry | undefined> } | undefined;
}

/**
 * The lookup of `key` as the pipeline's cache stage makes it: nothing when the key is in flight (the pipeline joins
 * that computation), else `store.get`. A synchronous entry is a hit the run settles at once (the in-memory store
 * answers synchronously); anything else goes to the pipeline with this lookup. Throws what `store.get` throws (the
 * node fails with it, as it does in the pipeline).
 */
export function lookUp(store: CacheStore, inflight: ReadonlyMap<string, CacheFlight>, key: string): CacheLookup {
  if (inflight.has(key)) return { key };
  return { key, store: { got: store.get(key) } };
}

/** The entry of a lookup that hit synchronously, else undefined. */
export function syncHit(lookup: CacheLookup): CacheEntry | undefined {
  const got = lookup.store?.got;
  return got === undefined || isThenable(got) ? undefined : got;
}
