import { definePluginErrors, type PluginError, SharedSchedulerErrorCodes } from '@flowlane/core';

/**
 * The placement schedulers' own error codes (prefix `FL_SCHED_`), beside core's `FL_RESOURCE_UNSATISFIABLE`,
 * `FL_RESOURCE_TIMEOUT` and `FL_CANCELLED`. `FL_SCHED_INVALID_OPTION` and `FL_SCHED_DISPOSED` are core's
 * `SharedSchedulerErrorCodes` (one definition for every scheduler package); `FL_SCHED_UNKNOWN_WORKER` is placement's
 * own. Codes are stable: never renamed, never reused. The README lists each with its meaning and fix; a test keeps
 * the two in sync.
 *
 * @example
 * ```ts
 * import { PlacementErrorCodes } from '@flowlane/scheduler-placement';
 * console.log(Object.keys(PlacementErrorCodes)); // every stable code, e.g. 'FL_SCHED_UNKNOWN_WORKER'
 * ```
 */
export const PlacementErrorCodes = {
  ...SharedSchedulerErrorCodes,
  FL_SCHED_UNKNOWN_WORKER: (p: { scheduler: string; workerId: string; known: readonly string[] }) =>
    `${p.scheduler} has no worker "${p.workerId}" (workers: ${p.known.join(', ') || 'none'}). Fix the id or add the worker.`,
} as const;

/** Every `FL_SCHED_` code of this package. */
export type PlacementErrorCode = keyof typeof PlacementErrorCodes;
/** Typed details of a placement error with code `C`. */
export type PlacementErrorDetails<C extends PlacementErrorCode> = Parameters<(typeof PlacementErrorCodes)[C]>[0];

/**
 * An error raised by a placement scheduler: a stable `code` from {@link PlacementErrorCodes} and typed `details`.
 * Carries core's error brand, so `isFlowlaneError(err)` is true and events serialise its code.
 *
 * @example
 * ```ts
 * import { createRoundRobinScheduler } from '@flowlane/scheduler-round-robin';
 * import { isPlacementError } from '@flowlane/scheduler-placement';
 *
 * const scheduler = createRoundRobinScheduler({ workers: [{ id: 'w1' }] });
 * try { scheduler.markDown('nope'); }
 * catch (e) { if (isPlacementError(e, 'FL_SCHED_UNKNOWN_WORKER')) console.log(e.details.known); }
 * ```
 */
export const PlacementError = definePluginErrors('PlacementError', PlacementErrorCodes);
/** A {@link PlacementError} with code `C` (typed details). */
export type PlacementError<C extends PlacementErrorCode = PlacementErrorCode> = PluginError<
  typeof PlacementErrorCodes,
  C
>;

/**
 * True for a {@link PlacementError} (optionally with the given code), also one from another copy of this package.
 *
 * @example
 * ```ts
 * import { isPlacementError } from '@flowlane/scheduler-placement';
 *
 * declare const err: unknown; // caught from a placement scheduler call
 * if (isPlacementError(err, 'FL_SCHED_DISPOSED')) console.log('engine shut down');
 * ```
 */
export function isPlacementError<C extends PlacementErrorCode = PlacementErrorCode>(
  value: unknown,
  code?: C,
): value is PlacementError<C> {
  return PlacementError.is(value, code);
}
