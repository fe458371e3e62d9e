import { definePlugin, type FlowlanePlugin, type PluginApi, type Scheduler, Tokens } from '@flowlane/core';
import type { SchedulerLike } from 'rxjs';
import { checkPlacementKeys } from './option-keys.js';
import type { PlacementScheduler } from './placement-scheduler.js';
import { CORE_RANGE } from './version.js';

/** Options every placement plugin adds to its scheduler's options. */
export interface PlacementPluginOptions {
  /** Time source. Default: the engine clock (`Tokens.Clock`). */
  readonly clock?: SchedulerLike | undefined;
  /** Wrap the scheduler before it is installed, e.g. `(s) => withResourcePools(s, pools)` from `@flowlane/scheduler-priority`. */
  readonly wrap?: ((scheduler: PlacementScheduler) => Scheduler) | undefined;
}

/**
 * Define a plugin that installs a placement scheduler: creates it with the engine clock, installs it (the engine
 * republishes its `worker.down` / `worker.up` on `engine.systemEvents$` and logs them), and disposes it with the engine. Used by
 * `@flowlane/scheduler-round-robin` and `@flowlane/scheduler-load-based`; use it for your own strategies.
 *
 * @example
 * ```ts
 * import { createPlacementScheduler, definePlacementPlugin } from '@flowlane/scheduler-placement';
 * export const fillFirst = (workers: { id: string; capacity?: number }[]) =>
 *   definePlacementPlugin({ name: 'flowlane-scheduler-fill-first', version: '1.0.0' }, {}, (clock) =>
 *     createPlacementScheduler({ workers, clock, strategy: { name: 'fill-first', pick: (c) => c[0] } }),
 *   );
 * ```
 */
export function definePlacementPlugin(
  meta: { readonly name: string; readonly version: string; readonly flowlane?: string | undefined },
  options: PlacementPluginOptions,
  create: (clock: SchedulerLike) => PlacementScheduler,
  knownKeys?: readonly string[],
): Readonly<FlowlanePlugin> {
  // Unknown keys fail when the plugin is created, not later in the engine's setup.
  if (knownKeys !== undefined) checkPlacementKeys(`${meta.name} plugin`, options, [...knownKeys, 'clock', 'wrap']);
  return definePlugin({
    name: meta.name,
    version: meta.version,
    flowlane: meta.flowlane ?? CORE_RANGE,
    setup(api: PluginApi) {
      const scheduler = create(options.clock ?? api.container.resolve(Tokens.Clock));
      const installed = options.wrap === undefined ? scheduler : options.wrap(scheduler);
      api.schedulers.set(installed);
      return async () => {
        scheduler.dispose();
        if (installed !== scheduler) await installed.dispose?.();
      };
    },
  });
}
