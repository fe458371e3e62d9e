import type { Logger } from '@flowlane/core';
import { DatadogErrorCodes } from './errors.js';

/**
 * Internal: reports DogStatsD client errors to the engine's logger as `FL_DATADOG_CLIENT_ERROR` warnings, at most
 * one per `intervalMs` (an unreachable agent fails every send); the next report says how many were suppressed.
 */
export function createErrorReporter(logger: Logger, intervalMs = 30_000, now = Date.now): (error: unknown) => void {
  let last = Number.NEGATIVE_INFINITY;
  let suppressed = 0;
  return (error) => {
    const t = now();
    if (t - last < intervalMs) {
      suppressed++;
      return;
    }
    last = t;
    const reason = error instanceof Error ? error.message : String(error);
    try {
      logger.warn(DatadogErrorCodes.FL_DATADOG_CLIENT_ERROR({ reason, suppressed }), {
        code: 'FL_DATADOG_CLIENT_ERROR',
        suppressed,
      });
    } catch {
      // A failing logger must not turn a metrics problem into a crash.
    }
    suppressed = 0;
  };
}
