/* Plugin */

export { OVERFLOW_LABEL } from '@flowlane/core';
/* Errors */
export type { PrometheusErrorCode } from './errors.js';
export { PrometheusErrorCodes, PrometheusMetricsError } from './errors.js';
/* Metrics */
export { METRIC_NAMES } from './flow-metrics.js';
export type { MetricsServerAddress } from './metrics-server.js';
/* Options */
export type {
  BucketOptions,
  FlowLabel,
  MetricsServerOptions,
  PrometheusOptions,
  PushgatewayOptions,
} from './options.js';
export { DEFAULT_BUCKETS } from './options.js';
export type { PrometheusPlugin } from './prometheus-plugin.js';
export { prometheus } from './prometheus-plugin.js';
/* Version */
export { CORE_RANGE, PKG_VERSION } from './version.js';
