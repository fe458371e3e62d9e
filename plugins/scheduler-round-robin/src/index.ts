/* Errors */
export type { PlacementErrorCode, PlacementErrorDetails } from './errors.js';
export { isPlacementError, PlacementError, PlacementErrorCodes } from './errors.js';
/* Placement building blocks (shared with @flowlane/scheduler-load-based) */
export type { HealthCheckOptions } from './health-check.js';
export { checkPlacementKeys, PLACEMENT_KEYS } from './option-keys.js';
export type { PlacementPluginOptions } from './placement-plugin.js';
export { definePlacementPlugin } from './placement-plugin.js';
export type {
  PlacementScheduler,
  PlacementSchedulerOptions,
  PlacementStrategy,
  WorkerSpec,
  WorkerState,
} from './placement-scheduler.js';
export { createPlacementScheduler } from './placement-scheduler.js';
/* Round-robin */
export type { RoundRobinPluginOptions } from './round-robin-plugin.js';
export { roundRobinScheduler } from './round-robin-plugin.js';
export type { RoundRobinSchedulerOptions } from './round-robin-scheduler.js';
export { createRoundRobinScheduler } from './round-robin-scheduler.js';
export { roundRobinStrategy } from './round-robin-strategy.js';
/* Events */
export type { WorkerDownEvent, WorkerEvent, WorkerUpEvent } from './worker-event.js';
