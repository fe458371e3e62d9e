import { definePluginErrors, type PluginError } from '@flowlane/core';

/**
 * Alerting's error codes (prefix `FL_ALERT_`), each a function from typed details to the message. Codes are stable:
 * never renamed, never reused. The README lists each with its meaning and fix; a test keeps them in sync.
 *
 * @example
 * ```ts
 * import { AlertingErrorCodes } from '@flowlane/alerting';
 * console.log('FL_ALERT_INVALID_OPTION' in AlertingErrorCodes); // true
 * ```
 */
export const AlertingErrorCodes = {
  FL_ALERT_INVALID_OPTION: (p: { where: string; option: string; reason: string }) =>
    `Invalid ${p.where} option "${p.option}": ${p.reason}.`,
  FL_ALERT_UNKNOWN_CHANNEL: (p: { channel: string; known: readonly string[] }) =>
    `Escalation names channel "${p.channel}", which is not in \`channels\` (${p.known.join(', ') || 'none'}). Add it or fix the name.`,
  FL_ALERT_DELIVERY_FAILED: (p: { channel: string; target: string; reason: string }) =>
    `Alert channel "${p.channel}" (${p.target}) failed: ${p.reason}.`,
} as const;

/**
 * Every `FL_ALERT_` code.
 *
 * @example
 * ```ts
 * import type { AlertingErrorCode } from '@flowlane/alerting';
 * const code: AlertingErrorCode = 'FL_ALERT_DELIVERY_FAILED';
 * ```
 */
export type AlertingErrorCode = keyof typeof AlertingErrorCodes;

/**
 * An error raised by alerting: a stable `code` from {@link AlertingErrorCodes} and typed `details`; carries core's
 * error brand (`isFlowlaneError(err)` is true). Channel targets in messages are redacted (origin only).
 *
 * @example
 * ```ts
 * import { AlertingError, errorRate } from '@flowlane/alerting';
 *
 * try {
 *   errorRate({ above: 2, window: 60_000 });
 * } catch (e) {
 *   if (AlertingError.is(e, 'FL_ALERT_INVALID_OPTION')) console.log(e.details.option); // above
 * }
 * ```
 */
export const AlertingError = definePluginErrors('AlertingError', AlertingErrorCodes);
/** An {@link AlertingError} with code `C` (typed details). */
export type AlertingError<C extends AlertingErrorCode = AlertingErrorCode> = PluginError<typeof AlertingErrorCodes, C>;
