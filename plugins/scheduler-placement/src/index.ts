/* Errors */
export type { PlacementErrorCode, PlacementErrorDetails } from './errors.js';
export { isPlacementError, PlacementError, PlacementErrorCodes } from './errors.js';
/* Health checks */
export type { HealthCheckOptions } from './health-check.js';
/* Option checks (unknown keys, "did you mean …?") */
export { checkPlacementKeys, PLACEMENT_KEYS } from './option-keys.js';
/* Plugin */
export type { PlacementPluginOptions } from './placement-plugin.js';
export { definePlacementPlugin } from './placement-plugin.js';
/* Scheduler */
export type {
  PlacementScheduler,
  PlacementSchedulerOptions,
  PlacementStrategy,
  WorkerSpec,
  WorkerState,
} from './placement-scheduler.js';
export { createPlacementScheduler } from './placement-scheduler.js';
/* Events */
export type { WorkerDownEvent, WorkerEvent, WorkerUpEvent } from './worker-event.js';
