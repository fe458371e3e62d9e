import {
  createPlacementScheduler,
  type PlacementScheduler,
  type PlacementSchedulerOptions,
} from '@flowlane/scheduler-placement';
import { roundRobinStrategy } from './round-robin-strategy.js';

/** Options of {@link createRoundRobinScheduler}: the placement options without a strategy. */
export type RoundRobinSchedulerOptions = Omit<PlacementSchedulerOptions, 'strategy'>;

/**
 * A scheduler that places each node on the next healthy worker with room (and the node's labels), in turn.
 * Usually installed through the {@link roundRobinScheduler} plugin.
 *
 * @example
 * ```ts
 * import { createEngine } from '@flowlane/core';
 * import { createRoundRobinScheduler } from '@flowlane/scheduler-round-robin';
 * const scheduler = createRoundRobinScheduler({ workers: [{ id: 'host-1', capacity: 2 }, { id: 'host-2', capacity: 2 }] });
 * const engine = createEngine({ scheduler });
 * ```
 */
export function createRoundRobinScheduler(options: RoundRobinSchedulerOptions): PlacementScheduler {
  return createPlacementScheduler({ ...options, strategy: roundRobinStrategy() });
}
