import type { FlowEvent, PluginApi, QueuedRunResult, RunQueue } from '@flowlane/core';
import { Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import { type ChildRunContext, runChild } from './child-runs.js';
import { decodePayload } from './codec.js';
import { BullmqError } from './errors.js';
import { closeOrForce, isBullPriority, keys, MAX_PRIORITY } from './protocol.js';
import {
  ENQUEUED_RUNS_QUEUE,
  INFLIGHT_TTL_MS,
  type RunProgress,
  runJobData,
  runJobId,
  runJobOptions,
} from './run-jobs.js';
import { type BullmqServeOptions, type RunServer, serveRuns } from './serve-runs.js';

/*
 * The run queue of `bullmqDispatch` (core's `RunQueue`): whole-run dispatch (`engine.enqueue`, `engine.waitForResult`)
 * and the waiting for run results it shares with child runs (child-runs.ts); with `serve`, the consumers
 * (serve-runs.ts).
 */

interface Waiter {
  resolve(r: QueuedRunResult): void;
  reject(e: unknown): void;
  onEvent?: ((e: FlowEvent, i: number | undefined) => void) | undefined;
}

/** What the run queue needs from the dispatch plugin's setup. */
export interface RunQueueDeps {
  readonly api: PluginApi;
  /** The run was resumed from its log on this engine (it adopts the child runs its predecessor started). */
  readonly isResumed: (executionId: string) => boolean;
  readonly redis: Redis;
  readonly prefix: string;
  readonly groups: readonly string[];
  readonly serve: BullmqServeOptions | undefined;
  readonly maxPayloadBytes: number | undefined;
}

/** The run queue of `bullmqDispatch`: producer (`enqueue`, `result`, `runChild`) and, with `serve`, consumer. */
export interface BullmqRunQueue extends RunQueue {
  /** Stops consuming and closes the queue's connections; forced (see `closeOrForce`) when Redis is unreachable. */
  close(): Promise<void>;
  /** Drops every connection at once without awaiting Redis (the dispatch plugin's close found Redis unreachable). */
  abort(): void;
}

/** Makes the run queue; starts the consumers of `serve` (their workers are ready when this resolves). */
export async function createRunQueue(deps: RunQueueDeps): Promise<BullmqRunQueue> {
  const { api, redis, prefix } = deps;
  const k = keys(prefix);
  const queues = new Map<string, Queue>();
  const events = new Map<string, Promise<QueueEvents>>();
  // Every event reader made, ready or not: closed directly, not through `events` (a reader whose start never finished,
  // Redis having died meanwhile, would otherwise never be closed, and its read loop retries every 5 s forever).
  const readers: QueueEvents[] = [];
  const waiters = new Map<string, Set<Waiter>>();
  const connections: Redis[] = [];
  let server: RunServer | undefined;
  let closed = false;
  let closing: Promise<void> | undefined;
  // Enqueues in progress, each with the function that cuts it short. A graceful close waits for them; a forced one
  // (Redis unreachable: a command may never answer, ioredis keeps it for a reconnect that never comes once the plugin
  // closes) cuts them short.
  const enqueuing = new Map<Promise<void>, (e: Error) => void>();
  const rejectWaiters = () => {
    for (const set of waiters.values())
      for (const w of set) w.reject(new BullmqError('FL_BULLMQ_CLOSED', { operation: 'waiting for a run' }));
    waiters.clear();
  };

  const queueOf = (name: string): Queue => {
    let q = queues.get(name);
    if (q === undefined) queues.set(name, (q = new Queue(name, { connection: redis, prefix })));
    return q;
  };
  const settle = (jobId: string, fn: (w: Waiter) => void) => {
    const set = waiters.get(jobId);
    if (set === undefined) return;
    waiters.delete(jobId);
    for (const w of set) fn(w);
  };
  const decodeResult = (text: unknown): QueuedRunResult => decodePayload(String(text)) as QueuedRunResult;
  const lost = (executionId: string, reason: string) => new BullmqError('FL_BULLMQ_RUN_LOST', { executionId, reason });
  // One QueueEvents per queue we await results on, made on first use (a producer that never waits opens none).
  const eventsOf = (name: string): Promise<QueueEvents> => {
    let p = events.get(name);
    if (p === undefined) {
      p = (async () => {
        // Read the stream from its last entry now: QueueEvents is "ready" before its first XREAD, which (from `$`)
        // would miss every completion in between — waiters registered meanwhile would hang (their state check ran
        // before the job finished).
        const last = await redis.xrevrange(
          queueOf(name).keys.events ?? `${prefix}:${name}:events`,
          '+',
          '-',
          'COUNT',
          1,
        );
        // Closed while the last id was read: no reader is made any more (the close has run past them).
        if (closed) throw new BullmqError('FL_BULLMQ_CLOSED', { operation: 'waiting for a run' });
        const qe = listen(name, last[0]?.[0] ?? '0-0');
        await qe.waitUntilReady();
        return qe;
      })();
      // A failed start (Redis gone) is not kept: the next wait tries again.
      p.catch(() => events.delete(name));
      events.set(name, p);
    }
    return p;
  };
  const listen = (name: string, lastEventId: string): QueueEvents => {
    const connection = redis.duplicate();
    connection.on('error', () => undefined);
    connections.push(connection);
    const qe = new QueueEvents(name, { connection, prefix, lastEventId });
    readers.push(qe);
    qe.on('completed', ({ jobId, returnvalue }) => settle(jobId, (w) => w.resolve(decodeResult(returnvalue))));
    qe.on('failed', ({ jobId, failedReason }) =>
      settle(jobId, (w) => w.reject(lost(decodeURIComponent(jobId.slice(4)), failedReason))),
    );
    qe.on('progress', ({ jobId, data }) => {
      const set = waiters.get(jobId);
      if (set === undefined || typeof data !== 'object' || data === null) return;
      const p = data as RunProgress;
      if (p.t !== 'run-event') return;
      const e = decodePayload(p.e) as FlowEvent;
      for (const w of set) w.onEvent?.(e, p.i);
    });
    qe.on('error', (e) => api.logger.warn('bullmq run queue events failed', { queue: name, error: e.message }));
    return qe;
  };

  /**
   * Waits for the run job `jobId` of queue `name` (already finished, or later through QueueEvents).
   *
   * The waiter is registered before any Redis command, and the steps that need Redis (the event reader's start,
   * `add`, the state check) run beside the wait rather than before it: `close()`/`abort()` (which reject every
   * registered waiter) or the signal end the wait even when Redis died and one of those commands never answers.
   */
  const await_ = (
    name: string,
    executionId: string,
    w: Omit<Waiter, 'resolve' | 'reject'>,
    signal: AbortSignal | undefined,
    add?: () => Promise<unknown>,
  ): Promise<QueuedRunResult> => {
    if (closed) return Promise.reject(new BullmqError('FL_BULLMQ_CLOSED', { operation: 'waiting for a run' }));
    const jobId = runJobId(executionId);
    let waiter!: Waiter;
    const done = new Promise<QueuedRunResult>((resolve, reject) => {
      waiter = { ...w, resolve, reject };
      let set = waiters.get(jobId);
      if (set === undefined) waiters.set(jobId, (set = new Set()));
      set.add(waiter);
    });
    const onAbort = () => waiter.reject(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    const setup = async () => {
      signal?.throwIfAborted();
      await eventsOf(name);
      // Closed or aborted while the reader started: nothing more is sent (the waiter was already rejected).
      if (closed || signal?.aborted === true) return;
      await add?.();
      // Finished before we listened?
      const queue = queueOf(name);
      const state = await queue.getJobState(jobId);
      if (state === 'completed' || state === 'failed') {
        const job = await queue.getJob(jobId);
        if (state === 'completed') waiter.resolve(decodeResult(job?.returnvalue));
        else waiter.reject(lost(executionId, job?.failedReason ?? 'failed'));
      } else if (state === 'unknown')
        waiter.reject(new BullmqError('FL_BULLMQ_RUN_NOT_FOUND', { executionId, queue: name, prefix: deps.prefix }));
    };
    setup().catch((e: unknown) => waiter.reject(e));
    return done.finally(() => {
      signal?.removeEventListener('abort', onAbort);
      const set = waiters.get(jobId);
      set?.delete(waiter);
      if (set?.size === 0) waiters.delete(jobId);
    });
  };

  const children: ChildRunContext = {
    api,
    redis,
    keys: k,
    groups: deps.groups,
    isResumed: deps.isResumed,
    maxPayloadBytes: deps.maxPayloadBytes,
    queueOf,
    awaitRun: await_,
  };

  /** Claims the run's id and adds its job (`engine.enqueue`; the priority and payload checked first). */
  const enqueue = async (run: Parameters<BullmqRunQueue['enqueue']>[0]): Promise<void> => {
    // BullMQ priorities are 1 … 2^21−1: a priority outside ±MAX_PRIORITY would be clamped, silently tying with others.
    if (run.priority !== undefined && !isBullPriority(run.priority))
      throw new BullmqError('FL_BULLMQ_INVALID_OPTION', {
        where: 'engine.enqueue',
        option: 'priority',
        reason: `expected a number from -${MAX_PRIORITY} to ${MAX_PRIORITY} (BullMQ priorities are 1 … 2^21−1), got ${String(run.priority)}`,
      });
    const data = runJobData(run, deps.maxPayloadBytes);
    // BullMQ ignores an add under a job id it holds (kept a day after the run finished): the caller would silently
    // get the earlier run's result. The id is claimed for a day (atomic against a concurrent enqueue of the same id)
    // and refused while a job holds it.
    const q = queueOf(ENQUEUED_RUNS_QUEUE);
    const jobId = runJobId(run.executionId);
    const taken = await redis
      .multi()
      .set(k.runClaim(run.executionId), '1', 'PX', INFLIGHT_TTL_MS, 'NX')
      .exists(q.toKey(jobId))
      .exec();
    if (taken?.[0]?.[1] !== 'OK' || taken[1]?.[1] !== 0)
      throw new BullmqError('FL_BULLMQ_DUPLICATE_RUN', {
        executionId: run.executionId,
        where: 'a run with this id was enqueued in the last day, or its job is still on the queue',
      });
    try {
      await q.add(run.workflow, data, runJobOptions(run.executionId, run.priority));
    } catch (e) {
      // Not stored: the id is free again for a retry of this enqueue.
      await redis.del(k.runClaim(run.executionId)).catch(() => undefined);
      throw e;
    }
  };

  const queue: BullmqRunQueue = {
    async enqueue(run) {
      if (closed) throw new BullmqError('FL_BULLMQ_CLOSED', { operation: 'engine.enqueue()' });
      let cut!: (e: Error) => void;
      const cutShort = new Promise<never>((_, reject) => {
        cut = reject;
      });
      const p = Promise.race([enqueue(run), cutShort]);
      enqueuing.set(p, cut);
      try {
        await p;
      } finally {
        enqueuing.delete(p);
      }
    },
    result(executionId, options) {
      return await_(ENQUEUED_RUNS_QUEUE, executionId, {}, options?.signal);
    },
    runChild(req) {
      return runChild(children, req);
    },
    close() {
      closing ??= (async () => {
        closed = true;
        rejectWaiters();
        await closeOrForce(
          redis,
          async () => {
            // Enqueues already started finish first (their job stored or a typed error), not cut by the connections
            // closing under them: that failed them with ioredis' "Connection is closed." and could leave the run id
            // claimed for a day with no job.
            await Promise.allSettled(enqueuing.keys());
            await server?.close();
            await Promise.all(readers.map((qe) => qe.close().catch(() => undefined)));
            await Promise.all([...queues.values()].map((q) => q.close()));
          },
          () => queue.abort(),
        );
        for (const c of connections) c.disconnect();
      })();
      return closing;
    },
    abort() {
      closed = true;
      rejectWaiters();
      // Whether such an enqueue's job was stored is unknown (its commands may have reached Redis before it died).
      for (const cut of enqueuing.values()) cut(new BullmqError('FL_BULLMQ_CLOSED', { operation: 'engine.enqueue()' }));
      enqueuing.clear();
      // Nothing here awaits Redis: BullMQ's own connections are dropped, the runs being run stall (taken over once
      // their locks expire).
      server?.abort();
      for (const qe of readers) void qe.close().catch(() => undefined);
      for (const q of queues.values()) void q.disconnect().catch(() => undefined);
      for (const c of connections) c.disconnect();
    },
  };

  if (deps.serve !== undefined)
    server = await serveRuns({
      api,
      redis,
      prefix,
      keys: k,
      serve: deps.serve,
      maxPayloadBytes: deps.maxPayloadBytes,
      connections,
    });
  return queue;
}
