/* Plugin */

/* Errors */
export type { MonitorErrorCode } from './errors.js';
export { MonitorError, MonitorErrorCodes } from './errors.js';
export type { MonitorStats } from './monitor-hub.js';
export type { MonitorPlugin } from './monitor-plugin.js';
export { monitor } from './monitor-plugin.js';
export type { MonitorOptions } from './options.js';
/* Protocol */
export type {
  ClientMessage,
  DurationStats,
  MonitorAlert,
  MonitorReport,
  ProtocolErrorCode,
  RunSummary,
  ServerMessage,
  SubscriptionTarget,
} from './protocol.js';
export { CloseCodes, PROTOCOL_VERSION } from './protocol.js';
/* History seam */
export type { HistorySource, RunHistory } from './run-history.js';
/* Version */
export { CORE_RANGE, PKG_VERSION } from './version.js';
