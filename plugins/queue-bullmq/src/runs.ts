/*
 * The run queue of `bullmqDispatch`, split by concern: run-queue.ts (whole-run dispatch and result waiting),
 * serve-runs.ts (coordinators serving run jobs), child-runs.ts (subworkflow child runs on coordinator groups),
 * run-jobs.ts (the run jobs' shape). This module only keeps dispatch.ts's import path.
 */
export { type BullmqRunQueue, createRunQueue, type RunQueueDeps } from './run-queue.js';
export { type BullmqServeOptions, checkServe } from './serve-runs.js';
