import type { Logger } from '@flowlane/core';

/** Levels this plugin writes at. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/**
 * The part of a [pino](https://getpino.io) logger this plugin calls: one method per level taking the structured
 * fields first and the message second (pino's order, also bunyan's). A pino instance or child fits as it is.
 */
export interface PinoLikeLogger {
  debug(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

/**
 * Adapts Flowlane's `Logger` (message first, fields second — the engine's `api.logger`) to pino's calling order.
 *
 * @example
 * ```ts
 * import { definePlugin } from '@flowlane/core';
 * import { fromFlowlaneLogger } from '@flowlane/middleware-logging';
 *
 * export const audit = () =>
 *   definePlugin({
 *     name: 'flowlane-plugin-audit-log',
 *     version: '1.0.0',
 *     flowlane: '^0.1.0',
 *     setup(api) {
 *       const log = fromFlowlaneLogger(api.logger);
 *       log.info({ nodeId: 'build' }, 'node completed');
 *     },
 *   });
 * ```
 */
export function fromFlowlaneLogger(logger: Logger): PinoLikeLogger {
  return {
    debug: (fields, message) => logger.debug(message, fields),
    info: (fields, message) => logger.info(message, fields),
    warn: (fields, message) => logger.warn(message, fields),
    error: (fields, message) => logger.error(message, fields),
  };
}
