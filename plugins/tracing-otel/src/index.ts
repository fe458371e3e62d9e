/* Plugin */

/* Errors */
export type { OtelErrorCode } from './errors.js';
export { OtelErrorCodes, OtelTracingError } from './errors.js';
export type { OtelTracingOptions } from './otel-tracing.js';
export { otelTracing } from './otel-tracing.js';
/* Attribute names */
export { Attr as SpanAttributes } from './run-tracer.js';
/* Version */
export { CORE_RANGE, PKG_VERSION } from './version.js';
