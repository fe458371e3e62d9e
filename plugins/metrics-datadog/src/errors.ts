import { definePluginErrors, type PluginError } from '@flowlane/core';

/**
 * The DataDog exporter's error codes (prefix `FL_DATADOG_`), each a function from typed details to the message.
 * Codes are stable: never renamed, never reused. The README lists each with its meaning and fix; a test keeps the
 * two in sync.
 *
 * @example
 * ```ts
 * import { DatadogErrorCodes } from '@flowlane/metrics-datadog';
 * console.log(Object.keys(DatadogErrorCodes).length); // 2
 * ```
 */
export const DatadogErrorCodes = {
  FL_DATADOG_INVALID_OPTION: (p: { option: string; reason: string }) =>
    `Invalid datadog() option "${p.option}": ${p.reason}.`,
  FL_DATADOG_CLIENT_ERROR: (p: { reason: string; suppressed: number }) =>
    `The DogStatsD client reported an error: ${p.reason}${p.suppressed > 0 ? ` (${p.suppressed} more since the last report)` : ''}. Metrics may be lost; check that the agent is reachable (host, port, DD_AGENT_HOST, DD_DOGSTATSD_PORT).`,
} as const;

/**
 * Every `FL_DATADOG_` code.
 *
 * @example
 * ```ts
 * import type { DatadogErrorCode } from '@flowlane/metrics-datadog';
 * const code: DatadogErrorCode = 'FL_DATADOG_CLIENT_ERROR';
 * ```
 */
export type DatadogErrorCode = keyof typeof DatadogErrorCodes;

/**
 * An error raised by the DataDog exporter: a stable `code` from {@link DatadogErrorCodes} and typed `details`.
 * Carries core's error brand, so `isFlowlaneError(err)` is true.
 *
 * @example
 * ```ts
 * import { DatadogMetricsError, datadog } from '@flowlane/metrics-datadog';
 *
 * try {
 *   datadog({ sampleRate: 2 });
 * } catch (e) {
 *   if (DatadogMetricsError.is(e, 'FL_DATADOG_INVALID_OPTION')) console.log(e.details.option); // sampleRate
 * }
 * ```
 */
export const DatadogMetricsError = definePluginErrors('DatadogMetricsError', DatadogErrorCodes);
/** A {@link DatadogMetricsError} with code `C` (typed details). */
export type DatadogMetricsError<C extends DatadogErrorCode = DatadogErrorCode> = PluginError<
  typeof DatadogErrorCodes,
  C
>;
