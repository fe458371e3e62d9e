import {
  allKeys,
  type Engine,
  type ExecutionRecord,
  FlowlaneError,
  isFlowlaneError,
  unknownKeyHint,
  unknownKeys,
} from '@flowlane/core';
import { Redis } from 'ioredis';
import { RedisStoreError } from './errors.js';
import { redactRedisUrl } from './options.js';
import { createRedisExecutionStore } from './redis-execution-store.js';

/** The pub/sub channel on which engines sharing a Redis store receive control requests (today: cancel). */
export const controlChannel = (prefix: string): string => `${prefix}control`;

/** A control message, JSON on {@link controlChannel}. */
interface CancelRequest {
  readonly type: 'cancel';
  readonly executionId: string;
  readonly reason?: string | undefined;
  /** Where the owner writes a refusal (its permission policy denied the cancel): `<prefix>control:reply:<id>`. */
  readonly requestId?: string | undefined;
}

const replyKey = (prefix: string, requestId: string): string => `${prefix}control:reply:${requestId}`;

/**
 * Subscribes an engine to its store's control channel (a second connection, `client.duplicate()`): a cancel request
 * for a run this engine is executing cancels it like `engine.cancel(id, reason)` — so the cancellation is logged by
 * the run's owner and its nodes' abort signals fire. Resolves to the unsubscribe function.
 */
export async function listenForControl(
  client: Redis,
  prefix: string,
  engine: () => Engine,
  onError: (message: string, error: unknown) => void,
): Promise<() => void> {
  const sub = client.duplicate({ lazyConnect: false });
  sub.on('error', () => undefined); // reconnects on its own; the main client reports the outage
  await sub.subscribe(controlChannel(prefix));
  sub.on('message', (_channel: string, text: string) => {
    let msg: CancelRequest;
    try {
      msg = JSON.parse(text) as CancelRequest;
    } catch (e) {
      onError('ignored a control message that is not JSON', e);
      return;
    }
    if (msg?.type !== 'cancel' || typeof msg.executionId !== 'string') return;
    try {
      engine().cancel(msg.executionId, msg.reason ?? 'cancel requested through the store');
    } catch (e) {
      // Another engine holds the run (or nobody does: cancelRun then finishes it in the log).
      if (isFlowlaneError(e, 'FL_EXECUTION_NOT_FOUND')) return;
      onError('a cancel request failed', e);
      // Tell the requester, so that a refusal (FL_ACTION_DENIED) is not overridden by cancelling in the store.
      if (typeof msg.requestId === 'string') {
        const err = e as { code?: unknown; message?: unknown; details?: { reason?: unknown } };
        const reply = JSON.stringify({
          code: String(err.code ?? 'FL_ERROR'),
          reason: String(err.details?.reason ?? err.message ?? e),
        });
        client.set(replyKey(prefix, msg.requestId), reply, 'PX', 60_000).catch(() => undefined);
      }
    }
  });
  return () => sub.disconnect();
}

/** Options of {@link cancelRun}. Give `url` or `client`. */
export interface CancelRunOptions {
  /** `redis://…` of the store (the connection is closed afterwards). */
  readonly url?: string | undefined;
  /** An ioredis client you own (not closed). */
  readonly client?: Redis | undefined;
  /** Key prefix of the store. Default `'flowlane:'`. */
  readonly prefix?: string | undefined;
  /** Why; becomes the run's cancellation reason. Default `'cancel requested through the store'`. */
  readonly reason?: string | undefined;
  /**
   * How long the run's owning engine gets to cancel the run itself, ms. Default 10 000. After that (or at once when
   * no engine listens on the store), the run is taken over and finished as cancelled in the log: an owner that was
   * alive but did not answer is fenced (`FL_EXECUTION_FENCED`) at its next write.
   */
  readonly waitMs?: number | undefined;
}

/** What {@link cancelRun} did. */
export interface CancelRunResult {
  /**
   * `cancelled-by-owner`: the engine executing the run cancelled it (its nodes were aborted, it logged the end);
   * `cancelled-in-store`: no engine answered, the run was finished as cancelled in the log;
   * `already-finished`: the run had finished before (its `status` says how).
   */
  readonly outcome: 'cancelled-by-owner' | 'cancelled-in-store' | 'already-finished';
  readonly status: 'running' | 'success' | 'failed' | 'cancelled';
}

const DEFAULT_REASON = 'cancel requested through the store';
const CANCEL_KEYS = allKeys<CancelRunOptions>()(['url', 'client', 'prefix', 'reason', 'waitMs']);

/**
 * Cancels a run recorded in a Redis store from any process — typically one executing in another process. Publishes a
 * cancel request that the owning engine (any engine with `redisStore()` on this Redis and prefix) acts on, waits for
 * the run to finish, and falls back to finishing the run as cancelled in the log when no engine answers within
 * `waitMs`. Rejects with `FL_EXECUTION_NOT_FOUND` for an unknown run, and with `FL_ACTION_DENIED` when the owning
 * engine's permission policy refuses the cancel (requests carry no actor; the run is then left alone).
 *
 * @example
 * ```ts
 * import { cancelRun } from '@flowlane/store-redis';
 * const { outcome } = await cancelRun('deploy-42', { url: process.env.REDIS_URL, reason: 'bad release' });
 * ```
 */
export async function cancelRun(executionId: string, options: CancelRunOptions): Promise<CancelRunResult> {
  const where = 'cancelRun';
  if (typeof executionId !== 'string' || executionId === '')
    throw new FlowlaneError('FL_INVALID_OPTION', {
      where,
      option: 'executionId',
      reason: 'expected a non-empty string',
    });
  if (typeof options !== 'object' || options === null)
    throw new FlowlaneError('FL_INVALID_OPTION', { where, option: 'options', reason: 'expected { url | client, … }' });
  const [unknown] = unknownKeys(options, CANCEL_KEYS);
  if (unknown !== undefined)
    throw new FlowlaneError('FL_INVALID_OPTION', {
      where,
      option: unknown.key,
      reason: `unknown option; ${unknownKeyHint(unknown, CANCEL_KEYS)}`,
    });
  const prefix = options.prefix ?? 'flowlane:';
  const reason = options.reason ?? DEFAULT_REASON;
  const waitMs = options.waitMs ?? 10_000;
  if (!(Number.isInteger(waitMs) && waitMs >= 0))
    throw new FlowlaneError('FL_INVALID_OPTION', {
      where,
      option: 'waitMs',
      reason: `expected an integer ≥ 0, got ${String(waitMs)}`,
    });
  if ((options.url === undefined) === (options.client === undefined))
    throw new FlowlaneError('FL_INVALID_OPTION', {
      where,
      option: 'url',
      reason: 'give exactly one of url and client',
    });
  const client =
    options.client ??
    new Redis(options.url!, {
      maxRetriesPerRequest: 2,
      connectTimeout: 5_000,
      lazyConnect: true,
      retryStrategy: () => null,
    });
  // Errors surface through the commands (and connect()); the event would only repeat them.
  if (options.client === undefined) client.on('error', () => undefined);
  try {
    if (options.client === undefined)
      await client.connect().catch((e: unknown) => {
        throw new RedisStoreError(
          'FL_REDIS_UNREACHABLE',
          { url: redactRedisUrl(options.url!), reason: e instanceof Error ? e.message : String(e) },
          { cause: e },
        );
      });
    const store = createRedisExecutionStore(client, { prefix, retentionMs: 7 * 86_400_000 });
    const before = await store.get(executionId);
    if (before === undefined) throw new FlowlaneError('FL_EXECUTION_NOT_FOUND', { executionId, inStore: true });
    if (before.status !== 'running') return { outcome: 'already-finished', status: before.status };
    const requestId = `${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
    const msg: CancelRequest = { type: 'cancel', executionId, reason, requestId };
    const listeners = await client.publish(controlChannel(prefix), JSON.stringify(msg));
    if (listeners > 0) {
      const end = Date.now() + waitMs;
      for (;;) {
        const refused = await client.get(replyKey(prefix, requestId));
        if (refused !== null) {
          await client.del(replyKey(prefix, requestId));
          const { code, reason: why } = JSON.parse(refused) as { code: string; reason: string };
          if (code === 'FL_ACTION_DENIED')
            throw new FlowlaneError('FL_ACTION_DENIED', {
              action: 'cancel',
              workflow: before.workflow,
              executionId,
              reason: why,
            });
        }
        const now = await store.get(executionId);
        if (now !== undefined && now.status !== 'running')
          return {
            outcome: now.status === 'cancelled' ? 'cancelled-by-owner' : 'already-finished',
            status: now.status,
          };
        if (Date.now() >= end) break;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    // Nobody executes it (its process died) or its owner did not answer: finish it in the log under a new epoch.
    const owner = `cancel:${process.pid}:${Date.now().toString(36)}`;
    const epoch = await store.claim(executionId, { owner, leaseMs: 30_000, force: true });
    if (epoch === undefined) {
      const now = await store.get(executionId);
      return { outcome: 'already-finished', status: now?.status ?? before.status };
    }
    const records = (await store.read(executionId)) ?? [];
    const at = Date.now();
    const last = records[records.length - 1];
    const started = records[0];
    const cancelled: ExecutionRecord = {
      type: 'workflow.cancelled',
      seq: (last?.seq ?? 0) + 1,
      at,
      durationMs: Math.max(0, at - (started?.at ?? at)),
      reason,
    };
    await store.append(executionId, [cancelled], { owner, epoch });
    return { outcome: 'cancelled-in-store', status: 'cancelled' };
  } finally {
    if (options.client === undefined) client.disconnect();
  }
}
