import type { FlowlanePlugin } from '@flowlane/core';
import { definePlacementPlugin, PLACEMENT_KEYS, type PlacementPluginOptions } from '@flowlane/scheduler-placement';
import { createLoadBasedScheduler, type LoadBasedSchedulerOptions } from './load-based-scheduler.js';
import { CORE_RANGE, PKG_VERSION } from './version.js';

/** Options of the {@link loadBasedScheduler} plugin. */
export interface LoadBasedPluginOptions extends Omit<LoadBasedSchedulerOptions, 'clock'>, PlacementPluginOptions {}

/**
 * The load-based scheduler as a plugin: each node runs on the least-loaded healthy worker; `ctx.workerId` is that
 * worker and `ctx.exec` targets it by default.
 *
 * @example
 * ```ts
 * import { createEngine, workflow } from '@flowlane/core';
 * import { loadBasedScheduler } from '@flowlane/scheduler-load-based';
 * const cpu = new Map([['a', 0.9], ['b', 0.2]]); // e.g. refreshed from Prometheus every 15 s
 * const engine = createEngine({
 *   plugins: [loadBasedScheduler({ workers: [{ id: 'a', capacity: 4 }, { id: 'b', capacity: 4 }], getLoad: (id) => cpu.get(id) ?? 1 })],
 * });
 * const wf = workflow('w').addNode('job', (ctx) => ctx.workerId).build();
 * console.log((await engine.run(wf, {}).result).outputs.job); // b
 * await engine.close();
 * ```
 */
export const loadBasedScheduler = (options: LoadBasedPluginOptions): Readonly<FlowlanePlugin> =>
  definePlacementPlugin(
    { name: '@flowlane/scheduler-load-based', version: PKG_VERSION, flowlane: CORE_RANGE },
    options,
    (clock) => {
      const { wrap: _wrap, clock: _clock, ...rest } = options;
      return createLoadBasedScheduler({ ...rest, clock });
    },
    [...PLACEMENT_KEYS, 'getLoad'],
  );
