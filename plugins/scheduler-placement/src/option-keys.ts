import { allKeys, unknownKeyHint, unknownKeys } from '@flowlane/core';
import { PlacementError } from './errors.js';
import type { HealthCheckOptions } from './health-check.js';
import type { PlacementSchedulerOptions, WorkerSpec } from './placement-scheduler.js';

/** Keys of the options every placement scheduler takes (`createRoundRobinScheduler`, `createLoadBasedScheduler`). */
export const PLACEMENT_KEYS: readonly string[] = allKeys<Omit<PlacementSchedulerOptions, 'strategy'>>()([
  'workers',
  'healthCheck',
  'queueTimeout',
  'clock',
]);
const WORKER_KEYS = allKeys<WorkerSpec>()(['id', 'capacity', 'labels']);
const HEALTH_KEYS = allKeys<HealthCheckOptions>()([
  'interval',
  'timeout',
  'check',
  'unhealthyThreshold',
  'healthyThreshold',
]);

/**
 * Throws `FL_SCHED_INVALID_OPTION` for the first unknown key of placement options (top level, `workers[i]`,
 * `healthCheck`), naming the closest known key: a misspelt `capcity` must not silently mean capacity 1.
 *
 * @example
 * ```ts
 * import { checkPlacementKeys, PLACEMENT_KEYS } from '@flowlane/scheduler-placement';
 *
 * declare const options: unknown; // what the user passed to your scheduler factory
 * checkPlacementKeys('load-based scheduler', options, [...PLACEMENT_KEYS, 'getLoad']);
 * ```
 */
export function checkPlacementKeys(scheduler: string, options: unknown, known: readonly string[]): void {
  const reject = (value: unknown, keys: readonly string[], prefix: string): void => {
    const [u] = unknownKeys(value, keys);
    if (u !== undefined)
      throw new PlacementError('FL_SCHED_INVALID_OPTION', {
        scheduler,
        option: `${prefix}${u.key}`,
        reason: `unknown option; ${unknownKeyHint(u, keys)}`,
      });
  };
  reject(options, known, '');
  const o = (typeof options === 'object' && options !== null ? options : {}) as {
    workers?: unknown;
    healthCheck?: unknown;
  };
  if (Array.isArray(o.workers)) for (const [i, w] of o.workers.entries()) reject(w, WORKER_KEYS, `workers[${i}].`);
  reject(o.healthCheck, HEALTH_KEYS, 'healthCheck.');
}
