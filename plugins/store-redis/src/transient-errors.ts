/* Which Redis failures may go away when the same command is retried. */
import { isFlowlaneError } from '@flowlane/core';
import { ReplyError } from 'ioredis';
import { RedisStoreError } from './errors.js';

/**
 * Redis error replies that describe a passing state of the server (loading its dataset, busy with a script, a
 * failover or cluster change in progress, out of memory until keys expire): retrying may succeed.
 */
const PASSING = /^(LOADING|BUSY|TRYAGAIN|CLUSTERDOWN|MASTERDOWN|READONLY|NOREPLICAS|OOM)\b/;

/**
 * True when a failed Redis command may succeed if retried: connection-level failures (closed, reset, refused, timed
 * out, `MaxRetriesPerRequestError`) and the passing server states above. Any other error reply — a script error, a key
 * of the wrong type, `NOSCRIPT`, `NOPERM`, a syntax error — and the stores' own typed errors are permanent.
 *
 * @example
 * ```ts fragment
 * isTransientRedisError(new Error('Connection is closed.')); // true
 * ```
 */
export function isTransientRedisError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  // Typed errors are permanent (a run's log removed, an unserializable value), except an unreachable server.
  if (isFlowlaneError(error)) return RedisStoreError.is(error, 'FL_REDIS_UNREACHABLE');
  if (error instanceof ReplyError || (error as { name?: unknown }).name === 'ReplyError')
    return PASSING.test(String((error as { message?: unknown }).message));
  return true;
}
