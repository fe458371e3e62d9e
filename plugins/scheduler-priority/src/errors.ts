import { definePluginErrors, type PluginError, SharedSchedulerErrorCodes } from '@flowlane/core';

/**
 * The priority scheduler's own error codes (prefix `FL_SCHED_`), beside core's `FL_RESOURCE_UNSATISFIABLE`,
 * `FL_RESOURCE_TIMEOUT` and `FL_CANCELLED`. `FL_SCHED_INVALID_OPTION` and `FL_SCHED_DISPOSED` are core's
 * `SharedSchedulerErrorCodes` (one definition for every scheduler package); `FL_SCHED_INVALID_QUANTITY` is this
 * package's own. Codes are stable: never renamed, never reused. The README lists each with its meaning and fix; a
 * test keeps the two in sync.
 *
 * @example
 * ```ts
 * import { SchedulerErrorCodes } from '@flowlane/scheduler-priority';
 * console.log(Object.keys(SchedulerErrorCodes)); // every stable code, e.g. 'FL_SCHED_INVALID_QUANTITY'
 * ```
 */
export const SchedulerErrorCodes = {
  ...SharedSchedulerErrorCodes,
  FL_SCHED_INVALID_QUANTITY: (p: { resource: string; value: string; nodeId?: string | undefined }) =>
    `${p.nodeId === undefined ? 'Pool' : `Node "${p.nodeId}"`}: "${p.value}" is not a quantity of ${p.resource}. Use a number ≥ 0 or a string like "500m", "2", "16Gi", "1.5G".`,
} as const;

/** Every `FL_SCHED_` code of this package. */
export type SchedulerErrorCode = keyof typeof SchedulerErrorCodes;
/** Typed details of a scheduler error with code `C`. */
export type SchedulerErrorDetails<C extends SchedulerErrorCode> = Parameters<(typeof SchedulerErrorCodes)[C]>[0];

/**
 * An error raised by the priority scheduler or resource pools: a stable `code` from {@link SchedulerErrorCodes}
 * and typed `details`. Carries core's error brand, so `isFlowlaneError(err)` is true and events serialise its code.
 *
 * @example
 * ```ts
 * import { createPriorityScheduler, isSchedulerError } from '@flowlane/scheduler-priority';
 *
 * try { createPriorityScheduler({ concurrency: 0 }); }
 * catch (e) { if (isSchedulerError(e, 'FL_SCHED_INVALID_OPTION')) console.log(e.details.option); }
 * ```
 */
export const SchedulerError = definePluginErrors('SchedulerError', SchedulerErrorCodes);
/** A {@link SchedulerError} with code `C` (typed details). */
export type SchedulerError<C extends SchedulerErrorCode = SchedulerErrorCode> = PluginError<
  typeof SchedulerErrorCodes,
  C
>;

/**
 * True for a {@link SchedulerError} (optionally with the given code), also one from another copy of this package.
 *
 * @example
 * ```ts
 * import { isSchedulerError } from '@flowlane/scheduler-priority';
 *
 * declare const err: unknown; // caught from a priority scheduler call
 * if (isSchedulerError(err, 'FL_SCHED_DISPOSED')) console.log('engine shut down');
 * ```
 */
export function isSchedulerError<C extends SchedulerErrorCode = SchedulerErrorCode>(
  value: unknown,
  code?: C,
): value is SchedulerError<C> {
  return SchedulerError.is(value, code);
}
