/*
 * Placement building blocks, re-exported from @flowlane/scheduler-placement for code written against 0.1.
 * Import them from @flowlane/scheduler-placement; these re-exports go away in a later 0.x release (see the README).
 */
export type {
  HealthCheckOptions,
  PlacementErrorCode,
  PlacementErrorDetails,
  PlacementPluginOptions,
  PlacementScheduler,
  PlacementSchedulerOptions,
  PlacementStrategy,
  WorkerDownEvent,
  WorkerEvent,
  WorkerSpec,
  WorkerState,
  WorkerUpEvent,
} from '@flowlane/scheduler-placement';
export {
  createPlacementScheduler,
  definePlacementPlugin,
  isPlacementError,
  PlacementError,
  PlacementErrorCodes,
} from '@flowlane/scheduler-placement';
/* Round-robin */
export type { RoundRobinPluginOptions } from './round-robin-plugin.js';
export { roundRobinScheduler } from './round-robin-plugin.js';
export type { RoundRobinSchedulerOptions } from './round-robin-scheduler.js';
export { createRoundRobinScheduler } from './round-robin-scheduler.js';
export { roundRobinStrategy } from './round-robin-strategy.js';
