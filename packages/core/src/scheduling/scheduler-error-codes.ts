/**
 * For scheduler authors: the `FL_SCHED_` codes every scheduler package raises the same way, defined once. Spread them
 * into your package's table and add your own codes beside them; `definePluginErrors` recognises an error by its
 * brand and code, so `isSchedulerError(e, 'FL_SCHED_DISPOSED')` (from `@flowlane/scheduler-priority`) and
 * `isPlacementError(e, 'FL_SCHED_DISPOSED')` (from `@flowlane/scheduler-placement`) are both true for either
 * package's error. Codes are stable: never renamed, never reused.
 *
 * @example
 * ```ts
 * import { definePluginErrors, SharedSchedulerErrorCodes } from '@flowlane/core';
 * const FairErrorCodes = {
 *   ...SharedSchedulerErrorCodes,
 *   FL_SCHED_FAIR_UNKNOWN_TENANT: (p: { tenant: string }) => `No tenant "${p.tenant}". Add it to tenants.`,
 * } as const;
 * const FairError = definePluginErrors('FairError', FairErrorCodes);
 * function checkTenants(tenants: unknown): void {
 *   if (!Array.isArray(tenants))
 *     throw new FairError('FL_SCHED_INVALID_OPTION', { scheduler: 'fair scheduler', option: 'tenants', reason: 'expected an array' });
 * }
 * ```
 */
export const SharedSchedulerErrorCodes = {
  FL_SCHED_INVALID_OPTION: (p: { scheduler: string; option: string; reason: string }) =>
    `${p.scheduler}: invalid option ${p.option}: ${p.reason}.`,
  FL_SCHED_DISPOSED: (p: { scheduler: string; nodeId: string }) =>
    `${p.scheduler} was disposed while node "${p.nodeId}" waited for admission. Close the engine before disposing its scheduler.`,
} as const;
