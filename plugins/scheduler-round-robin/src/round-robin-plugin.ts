import type { FlowlanePlugin } from '@flowlane/core';
import { definePlacementPlugin, PLACEMENT_KEYS, type PlacementPluginOptions } from '@flowlane/scheduler-placement';
import { createRoundRobinScheduler, type RoundRobinSchedulerOptions } from './round-robin-scheduler.js';
import { CORE_RANGE, PKG_VERSION } from './version.js';

/** Options of the {@link roundRobinScheduler} plugin. */
export interface RoundRobinPluginOptions extends Omit<RoundRobinSchedulerOptions, 'clock'>, PlacementPluginOptions {}

/**
 * The round-robin scheduler as a plugin. Each node runs on the next healthy worker; `ctx.workerId` is that worker and
 * `ctx.exec` targets it by default (e.g. an SSH host).
 *
 * @example
 * ```ts
 * import { createEngine, workflow } from '@flowlane/core';
 * import { roundRobinScheduler } from '@flowlane/scheduler-round-robin';
 * const engine = createEngine({
 *   plugins: [roundRobinScheduler({ workers: [{ id: 'web-1' }, { id: 'web-2' }, { id: 'gpu-1', labels: ['gpu'] }] })],
 * });
 * const wf = workflow('w').addNode('train', (ctx) => ctx.workerId, { resources: { labels: ['gpu'] } }).build();
 * console.log((await engine.run(wf, {}).result).outputs.train); // gpu-1
 * await engine.close();
 * ```
 */
export const roundRobinScheduler = (options: RoundRobinPluginOptions): Readonly<FlowlanePlugin> =>
  definePlacementPlugin(
    { name: '@flowlane/scheduler-round-robin', version: PKG_VERSION, flowlane: CORE_RANGE },
    options,
    (clock) => {
      const { wrap: _wrap, clock: _clock, ...rest } = options;
      return createRoundRobinScheduler({ ...rest, clock });
    },
    PLACEMENT_KEYS,
  );
