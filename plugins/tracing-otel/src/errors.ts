import { definePluginErrors, type PluginError } from '@flowlane/core';

/**
 * The tracing plugin's error codes (prefix `FL_OTEL_`). Codes are stable: never renamed, never reused. The README
 * lists each with its meaning and fix; a test keeps them in sync.
 *
 * @example
 * ```ts
 * import { OtelErrorCodes } from '@flowlane/tracing-otel';
 * console.log(Object.keys(OtelErrorCodes).length); // 1
 * ```
 */
export const OtelErrorCodes = {
  FL_OTEL_INVALID_OPTION: (p: { option: string; reason: string }) =>
    `Invalid otelTracing() option "${p.option}": ${p.reason}.`,
} as const;

/**
 * Every `FL_OTEL_` code.
 *
 * @example
 * ```ts
 * import type { OtelErrorCode } from '@flowlane/tracing-otel';
 * const code: OtelErrorCode = 'FL_OTEL_INVALID_OPTION';
 * ```
 */
export type OtelErrorCode = keyof typeof OtelErrorCodes;

/**
 * An error raised by the tracing plugin: a stable `code` and typed `details`; `isFlowlaneError(err)` is true.
 *
 * @example
 * ```ts
 * import { OtelTracingError, otelTracing } from '@flowlane/tracing-otel';
 *
 * try {
 *   otelTracing({ tracerProvidr: undefined } as never);
 * } catch (e) {
 *   if (OtelTracingError.is(e, 'FL_OTEL_INVALID_OPTION')) console.log(e.details.option); // tracerProvidr
 * }
 * ```
 */
export const OtelTracingError = definePluginErrors('OtelTracingError', OtelErrorCodes);
/** An {@link OtelTracingError} with code `C` (typed details). */
export type OtelTracingError<C extends OtelErrorCode = OtelErrorCode> = PluginError<typeof OtelErrorCodes, C>;
