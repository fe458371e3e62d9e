import { definePluginErrors, type PluginError } from '@flowlane/core';

/**
 * The Prometheus exporter's error codes (prefix `FL_PROMETHEUS_`), each a function from typed details to the
 * message. Codes are stable: never renamed, never reused. The README lists each with its meaning and fix; a test
 * keeps the two in sync.
 *
 * @example
 * ```ts
 * import { PrometheusErrorCodes } from '@flowlane/metrics-prometheus';
 * console.log(Object.keys(PrometheusErrorCodes).length); // 4
 * ```
 */
export const PrometheusErrorCodes = {
  FL_PROMETHEUS_INVALID_OPTION: (p: { option: string; reason: string }) =>
    `Invalid prometheus() option "${p.option}": ${p.reason}.`,
  FL_PROMETHEUS_METRIC_CONFLICT: (p: { metric: string }) =>
    `The registry already holds a metric named "${p.metric}". Give this engine its own registry or another prefix, or close the engine that registered it first.`,
  FL_PROMETHEUS_SERVER_FAILED: (p: { host: string; port: number; reason: string }) =>
    `Could not serve metrics on ${p.host}:${p.port}: ${p.reason}. Pick a free port (0 picks one) or another host.`,
  FL_PROMETHEUS_PUSH_FAILED: (p: { url: string; reason: string }) =>
    `Pushing metrics to the Pushgateway at ${p.url} failed: ${p.reason}. The values stay in the registry and go out with the next push.`,
} as const;

/**
 * Every `FL_PROMETHEUS_` code.
 *
 * @example
 * ```ts
 * import type { PrometheusErrorCode } from '@flowlane/metrics-prometheus';
 * const code: PrometheusErrorCode = 'FL_PROMETHEUS_PUSH_FAILED';
 * ```
 */
export type PrometheusErrorCode = keyof typeof PrometheusErrorCodes;

/**
 * An error raised by the Prometheus exporter: a stable `code` from {@link PrometheusErrorCodes} and typed `details`.
 * Carries core's error brand, so `isFlowlaneError(err)` is true.
 *
 * @example
 * ```ts
 * import { PrometheusMetricsError, prometheus } from '@flowlane/metrics-prometheus';
 *
 * try {
 *   prometheus({ prefix: 'not a prefix' });
 * } catch (e) {
 *   if (PrometheusMetricsError.is(e, 'FL_PROMETHEUS_INVALID_OPTION')) console.log(e.details.option); // prefix
 * }
 * ```
 */
export const PrometheusMetricsError = definePluginErrors('PrometheusMetricsError', PrometheusErrorCodes);
/** A {@link PrometheusMetricsError} with code `C` (typed details). */
export type PrometheusMetricsError<C extends PrometheusErrorCode = PrometheusErrorCode> = PluginError<
  typeof PrometheusErrorCodes,
  C
>;
