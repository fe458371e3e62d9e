import { definePluginErrors, type PluginError } from '@flowlane/core';

/**
 * The Redis stores' error codes (prefix `FL_REDIS_`), each a function from typed details to the message. Codes are
 * stable: never renamed, never reused. The README lists each with its meaning and fix; a test keeps the two in sync.
 *
 * @example
 * ```ts
 * import { RedisErrorCodes } from '@flowlane/store-redis';
 * console.log(Object.keys(RedisErrorCodes).length); // 4
 * ```
 */
export const RedisErrorCodes = {
  FL_REDIS_INVALID_OPTION: (p: { option: string; reason: string; where?: string | undefined }) =>
    `Invalid ${p.where ?? 'redisStore()'} option "${p.option}": ${p.reason}.`,
  FL_REDIS_UNREACHABLE: (p: { url: string; reason: string }) =>
    `Redis at ${p.url} is unreachable: ${p.reason}. Start Redis there, or fix the url (host, port, password, TLS).`,
  FL_REDIS_UNSERIALIZABLE: (p: { store: string; key: string; reason: string }) =>
    `The ${p.store} store cannot keep the value of "${p.key}": ${p.reason}. Return JSON-safe values (plain objects, arrays, strings, finite numbers, booleans, null) or pass a codec that handles this type.`,
  FL_REDIS_CLOSED: (p: { environment: string; operation: string }) =>
    `The shared state of environment "${p.environment}" is closed; ${p.operation}() needs an open one. Create a new one with createSharedState().`,
} as const;

/**
 * Every `FL_REDIS_` code.
 *
 * @example
 * ```ts
 * import type { RedisErrorCode } from '@flowlane/store-redis';
 * const code: RedisErrorCode = 'FL_REDIS_UNREACHABLE';
 * ```
 */
export type RedisErrorCode = keyof typeof RedisErrorCodes;

/**
 * An error raised by `@flowlane/store-redis`: a stable `code` from {@link RedisErrorCodes} and typed `details`.
 * Carries core's error brand, so `isFlowlaneError(err)` is true.
 *
 * @example
 * ```ts
 * import { RedisStoreError, redisStore } from '@flowlane/store-redis';
 *
 * try {
 *   redisStore({ url: 'redis://127.0.0.1:6379', prefx: 'app:' } as never);
 * } catch (e) {
 *   if (RedisStoreError.is(e, 'FL_REDIS_INVALID_OPTION')) console.log(e.details.option); // prefx
 * }
 * ```
 */
export const RedisStoreError = definePluginErrors('RedisStoreError', RedisErrorCodes);
/** A {@link RedisStoreError} with code `C` (typed details). */
export type RedisStoreError<C extends RedisErrorCode = RedisErrorCode> = PluginError<typeof RedisErrorCodes, C>;
