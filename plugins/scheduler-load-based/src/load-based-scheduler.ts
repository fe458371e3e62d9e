import {
  createPlacementScheduler,
  type PlacementScheduler,
  type PlacementSchedulerOptions,
} from '@flowlane/scheduler-placement';
import { type LoadSource, leastLoadedStrategy } from './least-loaded-strategy.js';

/** Options of {@link createLoadBasedScheduler}. */
export interface LoadBasedSchedulerOptions extends Omit<PlacementSchedulerOptions, 'strategy'> {
  /** The load of a worker (lower is lighter). Default: in-flight ÷ capacity. */
  readonly getLoad?: LoadSource | undefined;
}

/**
 * A scheduler that places each node on the healthy worker with the lowest load (and room, and the node's labels).
 * Usually installed through the {@link loadBasedScheduler} plugin.
 *
 * @example
 * ```ts
 * import { createEngine } from '@flowlane/core';
 * import { createLoadBasedScheduler } from '@flowlane/scheduler-load-based';
 * const scheduler = createLoadBasedScheduler({ workers: [{ id: 'big', capacity: 8 }, { id: 'small', capacity: 2 }] });
 * const engine = createEngine({ scheduler });
 * ```
 */
export function createLoadBasedScheduler(options: LoadBasedSchedulerOptions): PlacementScheduler {
  const { getLoad, ...rest } = options;
  return createPlacementScheduler({ ...rest, strategy: leastLoadedStrategy(getLoad) });
}
