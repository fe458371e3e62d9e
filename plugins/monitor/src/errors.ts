import { definePluginErrors, type PluginError } from '@flowlane/core';

/**
 * The monitor's error codes (prefix `FL_MONITOR_`), each a function from typed details to the message. Codes are
 * stable: never renamed, never reused. The README lists each with its meaning and fix; a test keeps them in sync.
 *
 * @example
 * ```ts
 * import { MonitorErrorCodes } from '@flowlane/monitor';
 * console.log('FL_MONITOR_INVALID_OPTION' in MonitorErrorCodes); // true
 * ```
 */
export const MonitorErrorCodes = {
  FL_MONITOR_INVALID_OPTION: (p: { option: string; reason: string }) =>
    `Invalid monitor() option "${p.option}": ${p.reason}.`,
  FL_MONITOR_NO_AUTH: (_p: Record<string, never>) =>
    'monitor() needs a `token` or an `authenticate(req)` hook: the event stream shows every run. Pass `authenticate: () => true` to open it on purpose.',
  FL_MONITOR_SERVER_FAILED: (p: { host: string; port: number; reason: string }) =>
    `The monitor could not listen on ${p.host}:${p.port}: ${p.reason}. Pick a free port (0 picks one) or another host.`,
  FL_MONITOR_CORE_INCOMPATIBLE: (p: { core: string; missing: string }) =>
    `@flowlane/monitor needs ${p.missing} of @flowlane/core, which core ${p.core} lacks. Install the @flowlane/core of the monitor's own release (packages are released in lockstep).`,
  FL_MONITOR_NOT_LISTENING: (p: { property: string }) =>
    `monitor.${p.property} is known once the monitor listens: await engine.ready() first (or start your own server when you pass \`server\`).`,
} as const;

/**
 * Every `FL_MONITOR_` code.
 *
 * @example
 * ```ts
 * import type { MonitorErrorCode } from '@flowlane/monitor';
 * const code: MonitorErrorCode = 'FL_MONITOR_NO_AUTH';
 * ```
 */
export type MonitorErrorCode = keyof typeof MonitorErrorCodes;

/**
 * An error raised by the monitor: a stable `code` from {@link MonitorErrorCodes} and typed `details`. Carries core's
 * error brand, so `isFlowlaneError(err)` is true.
 *
 * @example
 * ```ts
 * import { MonitorError, monitor } from '@flowlane/monitor';
 *
 * try {
 *   monitor({ port: 0 });
 * } catch (e) {
 *   if (MonitorError.is(e, 'FL_MONITOR_NO_AUTH')) console.log(e.code); // FL_MONITOR_NO_AUTH
 * }
 * ```
 */
export const MonitorError = definePluginErrors('MonitorError', MonitorErrorCodes);
/** A {@link MonitorError} with code `C` (typed details). */
export type MonitorError<C extends MonitorErrorCode = MonitorErrorCode> = PluginError<typeof MonitorErrorCodes, C>;
