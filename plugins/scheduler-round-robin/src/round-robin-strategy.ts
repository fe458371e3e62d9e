import type { PlacementStrategy } from '@flowlane/scheduler-placement';

/**
 * Round-robin placement: the next eligible worker after the one chosen last, in configured order. With equal
 * capacities and no labels, N nodes over W workers land exactly N / W on each.
 *
 * @example
 * ```ts
 * import { createPlacementScheduler } from '@flowlane/scheduler-placement';
 * import { roundRobinStrategy } from '@flowlane/scheduler-round-robin';
 * const s = createPlacementScheduler({ workers: [{ id: 'a' }, { id: 'b' }], strategy: roundRobinStrategy() });
 * ```
 */
export function roundRobinStrategy(): PlacementStrategy {
  let next = 0;
  return {
    name: 'round-robin',
    pick(candidates) {
      let chosen = candidates[0];
      for (const c of candidates)
        if (c.index >= next) {
          chosen = c;
          break;
        }
      if (chosen !== undefined) next = chosen.index + 1;
      return chosen;
    },
  };
}
