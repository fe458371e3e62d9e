import type { CompiledGraph } from '../builder/compiled-graph.js';

/**
 * The default cache key of node `i` (without `cache.keyFn`): the run's input and the outputs of the node's parents,
 * as JSON with sorted keys (equal values give equal keys whatever their property order).
 */
export function defaultCacheKey(
  g: CompiledGraph,
  outputs: Readonly<Record<string, unknown>>,
  input: unknown,
  i: number,
): string {
  const parents = Object.create(null) as Record<string, unknown>;
  for (let e = g.parentStart[i]!; e < g.parentStart[i + 1]!; e++) {
    const p = g.ids[g.parents[e]!]!;
    parents[p] = outputs[p];
  }
  return stableJson({ input, results: parents });
}

/** JSON with sorted keys, for default cache keys. */
function stableJson(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    x !== null && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(
          Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : x,
  );
}
