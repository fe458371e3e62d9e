import { unknownKeyHint, unknownKeys } from '@flowlane/core';
import { Redis } from 'ioredis';
import { BullmqError } from './errors.js';

/** The node job format this version writes and reads ({@link NodeJobData}'s `f`). */
export const NODE_JOB_FORMAT = 2;

/**
 * What a node job carries (format 2; the job's BullMQ name is the node id). Short keys: every job's data is stored in
 * Redis, read by the worker and parsed. A worker refuses a job of another format with `FL_BULLMQ_JOB_FORMAT`.
 */
export interface NodeJobData {
  /** Job format, {@link NODE_JOB_FORMAT}. */
  readonly f: number;
  /** Workflow name. */
  readonly w: string;
  /** Workflow version (`''` when it has none). */
  readonly v: string;
  /** Execution id of the run. */
  readonly e: string;
  /** Attempt number (1 for the first). */
  readonly a: number;
  /** The node's inputs, `{ input, results, actor }`, as payload codec text. */
  readonly p: string;
  /**
   * The attempt's observability context from the coordinator's context propagators (core's
   * `api.propagation.carrier()`, e.g. W3C `traceparent`), handed to the worker's `runNodeOnWorker`. Absent when empty.
   */
  readonly c?: Readonly<Record<string, string>> | undefined;
}

/** A log line or custom event a worker sends back through job progress. */
export type NodeProgress =
  | {
      readonly t: 'log';
      readonly level: 'debug' | 'info' | 'warn' | 'error';
      readonly message: string;
      readonly fields?: unknown;
    }
  | { readonly t: 'event'; readonly name: string; readonly payload?: unknown };

/** Keys and channels shared by coordinators and workers under one prefix. */
export function keys(prefix: string) {
  return {
    /** Pub/sub channel carrying the job ids to cancel. */
    cancel: `${prefix}:flowlane:cancel`,
    /** Sorted set of `group|workerId` scored by the last heartbeat (ms). */
    workers: `${prefix}:flowlane:workers`,
    /** Per run, hash nodeId → job id of the dispatched attempt (a resumed coordinator adopts it). */
    inflight: (executionId: string) => `${prefix}:flowlane:inflight:${executionId}`,
    /** A remote child run's events (codec text, in order), kept a day for a parent that re-attaches. */
    childEvents: (executionId: string) => `${prefix}:flowlane:child-events:${executionId}`,
    /** Set for a day by `engine.enqueue` of a run id: a second enqueue of the id is refused. */
    runClaim: (executionId: string) => `${prefix}:flowlane:run-id:${executionId}`,
  };
}

/** The start of every node job id of run `executionId` (see {@link jobIdOf}): a coordinator makes it once per run. */
export function jobIdRunPart(executionId: string): string {
  return `${encodeURIComponent(executionId)}.`;
}

/**
 * A node attempt's job id, `<executionId>.<nodeId>.<attempt>.<nonce>` URI-encoded (BullMQ job ids may not contain
 * ':'); `runPart` is {@link jobIdRunPart} of the run. `nonce` makes it unique per dispatch: BullMQ ignores an `add`
 * whose job id exists (kept for an hour after it finishes), so a node sent again under the id of an earlier dispatch
 * would silently get that old job back instead of running.
 */
export function jobIdOf(runPart: string, nodeId: string, attempt: number, nonce?: string): string {
  const base = `${runPart}${encodeURIComponent(nodeId)}.${attempt}`;
  return nonce === undefined ? base : `${base}.${nonce}`;
}

/** Largest Flowlane priority a BullMQ job can carry (and, negated, the smallest): BullMQ priorities are 1 … 2^21−1. */
export const MAX_PRIORITY = 1_048_575;

/** Whether BullMQ can hold Flowlane priority `p` (rounded) without clamping it: -1,048,575 … 1,048,575. */
export const isBullPriority = (p: number): boolean => Math.abs(Math.round(p)) <= MAX_PRIORITY;

/** Flowlane priority (higher first, default 0) → BullMQ priority (1 = highest … 2,097,151). */
export function bullPriority(priority: number | undefined): number {
  const p = 1_048_576 - Math.round(priority ?? 0);
  return Math.min(2_097_151, Math.max(1, p));
}

/** `redis://user:secret@host` → `redis://user:***@host` for messages. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):([^@/]*)@/, '//$1:***@');
}

/** `FL_BULLMQ_INVALID_OPTION` unless `url` is a `redis://` or `rediss://` URL (the message shows it redacted). */
export function checkConnection(where: string, url: unknown): void {
  if (typeof url !== 'string' || !/^rediss?:\/\//.test(url))
    throw new BullmqError('FL_BULLMQ_INVALID_OPTION', {
      where,
      option: 'connection',
      reason: `expected a redis:// or rediss:// URL, got ${typeof url === 'string' ? JSON.stringify(redactUrl(url)) : typeof url}`,
    });
}

/** An ioredis connection as BullMQ wants it (`maxRetriesPerRequest: null`). */
export function connect(url: string, where: string): Redis {
  checkConnection(where, url);
  return new Redis(url, { maxRetriesPerRequest: null, lazyConnect: false });
}

/** The longest delay a timer can wait (2^31−1 ms, about 24.8 days): Node fires a longer one after 1 ms. */
export const MAX_TIMER_MS = 2_147_483_647;

/** `FL_BULLMQ_INVALID_OPTION` unless `v` (when set) is a whole number of ms > 0 that a timer can wait (≤ 2^31−1). */
export function checkMs(where: string, option: string, v: unknown): void {
  if (v === undefined) return;
  if (!(Number.isInteger(v) && (v as number) > 0))
    throw new BullmqError('FL_BULLMQ_INVALID_OPTION', {
      where,
      option,
      reason: `expected an integer > 0, got ${String(v)}`,
    });
  if ((v as number) > MAX_TIMER_MS)
    throw new BullmqError('FL_BULLMQ_INVALID_OPTION', {
      where,
      option,
      reason: `expected at most ${MAX_TIMER_MS} ms (2^31−1, about 24.8 days: the longest timer), got ${String(v)}`,
    });
}

/** Rejects unknown option keys with a "did you mean" hint. */
export function checkKeys(where: string, options: object, known: readonly string[]): void {
  const [u] = unknownKeys(options, known);
  if (u !== undefined)
    throw new BullmqError('FL_BULLMQ_INVALID_OPTION', {
      where,
      option: u.key,
      reason: `unknown option; ${unknownKeyHint(u, known)}`,
    });
}

/** Waits for `PING`; `FL_BULLMQ_UNREACHABLE` (URL redacted) after `ms`. Disconnects `redis` on failure. */
export async function reachable(redis: Redis, url: string, ms: number, signal?: AbortSignal): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  let last = 'no answer';
  redis.on('error', (e: Error) => {
    last = e.message;
  });
  try {
    await Promise.race([
      redis.ping(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), ms);
        // engine.close() during setup (core's api.signal): stop waiting for Redis at once.
        onAbort = () => reject(signal!.reason);
        if (signal?.aborted) onAbort();
        else signal?.addEventListener('abort', onAbort, { once: true });
      }),
    ]);
  } catch {
    redis.disconnect();
    if (signal?.aborted) throw signal.reason;
    throw new BullmqError('FL_BULLMQ_UNREACHABLE', { url: redactUrl(url), ms, reason: redactUrl(last) });
  } finally {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * A close that settles when Redis is unreachable: runs `graceful` (which talks to Redis) unless `client` is not
 * connected when it starts, and gives up waiting for it as soon as the connection drops on the way. ioredis keeps the
 * commands of an unreachable Redis queued until it reconnects (forever, with `maxRetriesPerRequest: null`, which BullMQ
 * needs), so a graceful close could never settle then; `force` must drop every connection without awaiting Redis.
 * Resolves `true` when the close was forced.
 */
export async function closeOrForce(client: Redis, graceful: () => Promise<void>, force: () => void): Promise<boolean> {
  let onDown!: () => void;
  const down = new Promise<'down'>((resolve) => {
    onDown = () => resolve('down');
  });
  if (client.status !== 'ready') {
    force();
    return true;
  }
  client.on('close', onDown);
  try {
    const outcome = await Promise.race([
      down,
      graceful().then(
        () => 'done' as const,
        () => 'done' as const,
      ),
    ]);
    if (outcome === 'done') return false;
    force();
    return true;
  } finally {
    client.off('close', onDown);
  }
}
