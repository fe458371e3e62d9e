/* Placement types and errors (from @flowlane/scheduler-placement) */
export type {
  HealthCheckOptions,
  PlacementScheduler,
  WorkerDownEvent,
  WorkerEvent,
  WorkerSpec,
  WorkerState,
  WorkerUpEvent,
} from '@flowlane/scheduler-placement';
export { isPlacementError, PlacementErrorCodes } from '@flowlane/scheduler-placement';
/* Strategy */
export type { LoadInfo, LoadSource } from './least-loaded-strategy.js';
export { inFlightRatio, leastLoadedStrategy } from './least-loaded-strategy.js';
/* Plugin */
export type { LoadBasedPluginOptions } from './load-based-plugin.js';
export { loadBasedScheduler } from './load-based-plugin.js';
/* Scheduler */
export type { LoadBasedSchedulerOptions } from './load-based-scheduler.js';
export { createLoadBasedScheduler } from './load-based-scheduler.js';
