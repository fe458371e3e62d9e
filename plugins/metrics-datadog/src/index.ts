/* Plugin */

export { OVERFLOW_LABEL } from '@flowlane/core';
export { datadog } from './datadog-plugin.js';
/* Errors */
export type { DatadogErrorCode } from './errors.js';
export { DatadogErrorCodes, DatadogMetricsError } from './errors.js';
/* Metrics */
export { METRIC_NAMES } from './flow-aggregator.js';
/* Options */
export type { DatadogOptions, FlowTag } from './options.js';
/* Version */
export { CORE_RANGE, PKG_VERSION } from './version.js';
