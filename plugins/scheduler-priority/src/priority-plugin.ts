import { definePlugin, type FlowlanePlugin, Tokens } from '@flowlane/core';
import type { SchedulerLike } from 'rxjs';
import { AGING_KEYS, POOL_KEYS, rejectUnknownKeys, SCHEDULER_KEYS } from './option-keys.js';
import { createPriorityScheduler, type PrioritySchedulerOptions } from './priority-scheduler.js';
import {
  createResourcePools,
  isResourcePools,
  type ResourcePools,
  type ResourcePoolsOptions,
} from './resource-pools.js';
import { CORE_RANGE, PKG_VERSION } from './version.js';

/** Options of the {@link priorityScheduler} plugin. */
export interface PrioritySchedulerPluginOptions extends Omit<PrioritySchedulerOptions, 'pools' | 'clock'> {
  /** Resource pools: an instance (shared, you dispose it) or options (created with the engine clock, disposed with the engine). */
  readonly pools?: ResourcePools | Omit<ResourcePoolsOptions, 'clock'> | undefined;
  /** Time source. Default: the engine clock (`Tokens.Clock`). */
  readonly clock?: SchedulerLike | undefined;
}

/**
 * The priority scheduler as a plugin: sets the engine's scheduler, attaches it to the engine for `failFast`, publishes
 * reclaimed resource leases (`resource.expired`, republished on `engine.systemEvents$` and logged by the engine), and checks `workflows` against the pools at engine start.
 *
 * @example
 * ```ts
 * import { createEngine, workflow } from '@flowlane/core';
 * import { priorityScheduler } from '@flowlane/scheduler-priority';
 * const engine = createEngine({
 *   plugins: [priorityScheduler({ concurrency: 1, failFast: 10, pools: { capacity: { cpu: 4, memory: '8Gi' } } })],
 * });
 * const wf = workflow('w')
 *   .addNode('low', () => 'l', { priority: 1 })
 *   .addNode('high', () => 'h', { priority: 10, resources: { cpu: 2, memory: '1Gi' } })
 *   .build();
 * await engine.run(wf, {}).result; // "high" starts first
 * await engine.close();
 * ```
 */
export const priorityScheduler = (options: PrioritySchedulerPluginOptions = {}): Readonly<FlowlanePlugin> => {
  // Unknown keys fail here, when the plugin is created, not later in the engine's setup.
  rejectUnknownKeys('priority scheduler', options, SCHEDULER_KEYS);
  rejectUnknownKeys('priority scheduler', options.aging, AGING_KEYS, 'aging.');
  if (options.pools !== undefined && !isResourcePools(options.pools))
    rejectUnknownKeys('resource pools', options.pools, POOL_KEYS, 'pools.');
  return definePlugin({
    name: '@flowlane/scheduler-priority',
    version: PKG_VERSION,
    flowlane: CORE_RANGE,
    setup(api) {
      const clock = options.clock ?? api.container.resolve(Tokens.Clock);
      const given = options.pools;
      const owned =
        given !== undefined && !isResourcePools(given) ? createResourcePools({ ...given, clock }) : undefined;
      const pools = owned ?? (given as ResourcePools | undefined);
      const scheduler = createPriorityScheduler({ ...options, pools, clock });
      scheduler.attach(api.container.resolve(Tokens.Engine));
      api.schedulers.set(scheduler);
      return () => {
        scheduler.dispose();
        owned?.dispose();
      };
    },
  });
};
