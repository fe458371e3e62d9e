import { allKeys, unknownKeyHint, unknownKeys } from '@flowlane/core';
import { SchedulerError } from './errors.js';
import type { AgingOptions, PrioritySchedulerOptions } from './priority-scheduler.js';
import type { ResourcePoolsOptions } from './resource-pools.js';

/** Keys of `createPriorityScheduler` / `priorityScheduler` options. */
export const SCHEDULER_KEYS = allKeys<PrioritySchedulerOptions>()([
  'concurrency',
  'failFast',
  'aging',
  'pools',
  'backfill',
  'workflows',
  'defaultEstimateMs',
  'clock',
]);
/** Keys of `aging`. */
export const AGING_KEYS = allKeys<AgingOptions>()(['interval', 'step']);
/** Keys of `createResourcePools` options. */
export const POOL_KEYS = allKeys<ResourcePoolsOptions>()(['capacity', 'waitTimeout', 'leaseExpiry', 'ignore', 'clock']);

/** Throws `FL_SCHED_INVALID_OPTION` for the first key of `value` not in `known`, naming the closest known key. */
export function rejectUnknownKeys(scheduler: string, value: unknown, known: readonly string[], prefix = ''): void {
  const [u] = unknownKeys(value, known);
  if (u !== undefined)
    throw new SchedulerError('FL_SCHED_INVALID_OPTION', {
      scheduler,
      option: `${prefix}${u.key}`,
      reason: `unknown option; ${unknownKeyHint(u, known)}`,
    });
}
