import type { PlacementStrategy } from '@flowlane/scheduler-placement';

/** What a load source is told about a worker. */
export interface LoadInfo {
  /** Nodes this scheduler has placed on the worker and not yet released. */
  readonly inFlight: number;
  readonly capacity: number;
}

/**
 * A worker's current load; lower is lighter. Called synchronously at each placement: for a metrics query or a probe,
 * refresh a cache on your own schedule and read it here. A non-finite answer (or a throw) counts as fully loaded.
 */
export type LoadSource = (workerId: string, info: LoadInfo) => number;

/**
 * The default load: in-flight nodes ÷ capacity.
 *
 * @example
 * ```ts
 * import { inFlightRatio } from '@flowlane/scheduler-load-based';
 * inFlightRatio('w1', { inFlight: 1, capacity: 4 }); // 0.25
 * ```
 */
export const inFlightRatio: LoadSource = (_workerId, info) => info.inFlight / info.capacity;

/**
 * Least-loaded placement: the eligible worker with the lowest `getLoad`, ties broken by fewer in-flight nodes, then
 * by configured order (stable).
 *
 * @example
 * ```ts
 * import { createPlacementScheduler } from '@flowlane/scheduler-placement';
 * import { leastLoadedStrategy } from '@flowlane/scheduler-load-based';
 * const s = createPlacementScheduler({ workers: [{ id: 'a' }, { id: 'b' }], strategy: leastLoadedStrategy() });
 * ```
 */
export function leastLoadedStrategy(getLoad: LoadSource = inFlightRatio): PlacementStrategy {
  const loadOf = (id: string, info: LoadInfo): number => {
    try {
      const l = getLoad(id, info);
      return typeof l === 'number' && !Number.isNaN(l) ? l : Number.POSITIVE_INFINITY;
    } catch {
      return Number.POSITIVE_INFINITY;
    }
  };
  return {
    name: 'load-based',
    pick(candidates) {
      let best: (typeof candidates)[number] | undefined;
      let bestLoad = Number.POSITIVE_INFINITY;
      for (const c of candidates) {
        const load = loadOf(c.id, { inFlight: c.inFlight, capacity: c.capacity });
        if (
          best === undefined ||
          load < bestLoad ||
          (load === bestLoad && (c.inFlight < best.inFlight || (c.inFlight === best.inFlight && c.index < best.index)))
        ) {
          best = c;
          bestLoad = load;
        }
      }
      return best;
    },
  };
}
