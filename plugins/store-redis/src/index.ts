/* Plugin */

/* Errors */
export type { RedisErrorCode } from './errors.js';
export { RedisErrorCodes, RedisStoreError } from './errors.js';
/* Options */
export type { RedisCodec, RedisStoreOptions } from './options.js';
export { redactRedisUrl, strictJsonCodec } from './options.js';
/* Stores (for users wiring their own client) */
export { createRedisCacheStore } from './redis-cache-store.js';
export { createRedisExecutionStore } from './redis-execution-store.js';
export type { RedisFlowControlOptions } from './redis-flow-control.js';
export { createRedisFlowControlBackend } from './redis-flow-control.js';
export { redisStore } from './redis-plugin.js';
export { createRedisStateStore } from './redis-state-store.js';
/* Control from other processes */
export type { CancelRunOptions, CancelRunResult } from './run-control.js';
export { cancelRun, controlChannel } from './run-control.js';
/* Cross-environment shared state */
export type {
  ConflictStrategy,
  SharedConflict,
  SharedEntry,
  SharedStateEvents,
  SharedStateOptions,
  SharedWriteOutcome,
} from './shared-state.js';
export { createSharedState, SharedState } from './shared-state.js';
/* Version */
export { CORE_RANGE, PKG_VERSION } from './version.js';
