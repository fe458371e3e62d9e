/* Errors */
export type { SchedulerErrorCode, SchedulerErrorDetails } from './errors.js';
export { isSchedulerError, SchedulerError, SchedulerErrorCodes } from './errors.js';
/* Estimates */
export type { EstimateLevel, EstimateOptions, NodeEstimate, WorkflowEstimate } from './estimate.js';
export { estimate } from './estimate.js';
/* Plugin */
export type { PrioritySchedulerPluginOptions } from './priority-plugin.js';
export { priorityScheduler } from './priority-plugin.js';
/* Scheduler */
export type { AgingOptions, PriorityScheduler, PrioritySchedulerOptions } from './priority-scheduler.js';
export { createPriorityScheduler } from './priority-scheduler.js';
/* Resource pools */
export { parseQuantity } from './quantity.js';
export type {
  ResourceDemand,
  ResourceExpiredEvent,
  ResourceHolding,
  ResourcePoolEvent,
  ResourcePools,
  ResourcePoolsOptions,
} from './resource-pools.js';
export { createResourcePools } from './resource-pools.js';
export { withResourcePools } from './with-resource-pools.js';
