import type { CacheOptions } from '../builder/types.js';
import { defaultCacheKey } from '../compile/cache-key.js';
import { type CacheLookup, cacheHit, lookUp, nodeCacheKey, syncHit } from './fast-cache.js';
import { RunNodeContext } from './run-node-context.js';
import type { RunServices } from './run-services.js';

/**
 * A cached node looks its key up first (`fast-cache.ts`): a synchronous hit settles it at once, as the chain's cache
 * stage would (same events and record); otherwise node `i`'s chain runs with this lookup.
 */
export function startCached(x: RunServices, i: number, cache: CacheOptions): void {
  const id = x.g.ids[i]!;
  let lookup: CacheLookup;
  try {
    const part =
      cache.keyFn === undefined
        ? defaultCacheKey(x.g, x.outputs, x.input, i)
        : cache.keyFn(new RunNodeContext(x, i, 1) as never);
    const key = nodeCacheKey(x.workflow, x.wf.version, id, part);
    lookup = lookUp(cache.store ?? x.rt.cacheStore, x.rt.inflight, key);
  } catch (e) {
    x.nodeError(i, e);
    return;
  }
  const hit = syncHit(lookup);
  if (hit === undefined) {
    x.subscribe(
      i,
      x.plan.chains[i]!(x.host(), i, undefined, lookup),
      (v) => x.succeed(i, v),
      (e) => x.nodeError(i, e),
    );
    return;
  }
  x.setExtra(i, { cacheHit: true });
  // One clock read for both events: nothing runs between them.
  const now = x.rt.clock.now();
  x.emit(cacheHit(x.executionId, x.workflow, now, id, false));
  x.succeed(i, hit.value, undefined, now);
}
