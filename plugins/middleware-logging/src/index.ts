/* Plugin */

/* Middleware */
export type {
  LineLevel,
  LoggingData,
  LoggingFilter,
  LoggingLevels,
  LoggingMiddlewareOptions,
} from './logging-middleware.js';
export { createLoggingMiddleware } from './logging-middleware.js';
export type { LoggingOptions } from './logging-plugin.js';
export { logging } from './logging-plugin.js';
/* Loggers */
export type { LogLevel, PinoLikeLogger } from './pino-like-logger.js';
export { fromFlowlaneLogger } from './pino-like-logger.js';
/* Version */
export { CORE_RANGE, PKG_VERSION } from './version.js';
