import { randomBytes } from 'node:crypto';
import {
  type Actor,
  allKeys,
  type Engine,
  type ExecutionRecord,
  type FlowEvent,
  isFlowlaneError,
  type Logger,
  type NodeRecord,
  type PluginApi,
  type QueuedRun,
  type QueuedRunResult,
  type RemoteChildRun,
  type Run,
  type RunQueue,
  serializeError,
  Tokens,
} from '@flowlane/core';
import { type Job, Queue, QueueEvents, WaitingError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { decodePayload, encodePayload } from './codec.js';
import { BullmqError } from './errors.js';
import { bullPriority, checkKeys, checkMs, closeOrForce, keys, MAX_PRIORITY } from './protocol.js';

/** What a run job carries (the codec's text in `payload`: `{ input, actor }`). */
export interface RunJobData {
  readonly workflow: string;
  readonly version: string;
  readonly executionId: string;
  readonly payload: string;
  /** Set on a subworkflow node's child run: its events are sent back to the parent run (job progress). */
  readonly parentExecutionId?: string | undefined;
  /**
   * The enqueuer's context (`engine.enqueue`: core's context propagators, e.g. W3C `traceparent`), handed to
   * `api.runQueue.start` on the coordinator that serves the run. Absent when empty.
   */
  readonly carrier?: Readonly<Record<string, string>> | undefined;
}

/** A child run's event sent back through job progress (the codec's text of the event). */
interface RunProgress {
  readonly t: 'run-event';
  readonly e: string;
  /** The event's place (1, 2, …) in the child run's event list (`keys.childEvents`), absent if it could not be kept. */
  readonly i?: number | undefined;
}

/** BullMQ queue of the runs of `engine.enqueue`, and of the child runs sent to a coordinator group. */
export const ENQUEUED_RUNS_QUEUE = 'flowlane-runs';
/** The queue of the child runs (subworkflow nodes with `runOn`) of coordinator group `group`. */
export const childRunsQueue = (group: string): string => `flowlane-runs-${group}`;
/** A run's job id (BullMQ job ids may not contain ':'). */
const runJobId = (executionId: string): string => `run.${encodeURIComponent(executionId)}`;

/** How long a parent's node → child run mapping is kept after its last use (a day). */
const INFLIGHT_TTL_MS = 86_400_000;
/** Deletes a hash field only if it still holds the given value (a newer child run id is left alone). */
const FORGET_IF_SAME =
  "if redis.call('hget', KEYS[1], ARGV[1]) == ARGV[2] then return redis.call('hdel', KEYS[1], ARGV[1]) end return 0";

/** Options of `bullmqDispatch({ serve })`: this coordinator takes runs from the queue and runs them. */
export interface BullmqServeOptions {
  /** Take the runs of `engine.enqueue` (any process). Default `true`. */
  readonly enqueued?: boolean | undefined;
  /** Coordinator groups whose child runs (subworkflow nodes with `runOn: '<group>'`) this coordinator runs. */
  readonly groups?: readonly string[] | undefined;
  /** Runs executed at once, per served queue. Default 10. */
  readonly concurrency?: number | undefined;
  /** BullMQ lock of a run job, ms: a crashed coordinator's runs are taken over after about this long. Default 30,000. */
  readonly lockDuration?: number | undefined;
  /** How often this coordinator looks for runs of crashed coordinators, ms. Default 30,000. */
  readonly stalledInterval?: number | undefined;
}

const SERVE_KEYS = allKeys<BullmqServeOptions>()([
  'enqueued',
  'groups',
  'concurrency',
  'lockDuration',
  'stalledInterval',
]);

/** Checks `serve` (unknown keys, types): `FL_BULLMQ_INVALID_OPTION`. */
export function checkServe(where: string, serve: BullmqServeOptions): void {
  const bad = (option: string, reason: string) =>
    new BullmqError('FL_BULLMQ_INVALID_OPTION', { where, option: `serve.${option}`, reason });
  if (typeof serve !== 'object' || serve === null) throw bad('', 'expected an object');
  checkKeys(`${where} serve`, serve, SERVE_KEYS);
  if (serve.enqueued !== undefined && typeof serve.enqueued !== 'boolean')
    throw bad('enqueued', `expected a boolean, got ${String(serve.enqueued)}`);
  if (
    serve.groups !== undefined &&
    (!Array.isArray(serve.groups) || serve.groups.some((g) => typeof g !== 'string' || g === '' || g === 'local'))
  )
    throw bad('groups', "expected an array of non-empty group names other than 'local'");
  if (serve.concurrency !== undefined && !(Number.isInteger(serve.concurrency) && serve.concurrency > 0))
    throw bad('concurrency', `expected an integer > 0, got ${String(serve.concurrency)}`);
  checkMs(where, 'serve.lockDuration', serve.lockDuration);
  checkMs(where, 'serve.stalledInterval', serve.stalledInterval);
}

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
  const waiters = new Map<string, Set<Waiter>>();
  const connections: Redis[] = [];
  let closed = false;
  let closing: Promise<void> | undefined;
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

  /** Waits for the run job `jobId` of queue `name` (already finished, or later through QueueEvents). */
  const await_ = async (
    name: string,
    executionId: string,
    w: Omit<Waiter, 'resolve' | 'reject'>,
    signal: AbortSignal | undefined,
    add?: () => Promise<unknown>,
  ): Promise<QueuedRunResult> => {
    if (closed) throw new BullmqError('FL_BULLMQ_CLOSED', { operation: 'waiting for a run' });
    await eventsOf(name);
    const jobId = runJobId(executionId);
    let waiter!: Waiter;
    const done = new Promise<QueuedRunResult>((resolve, reject) => {
      waiter = { ...w, resolve, reject };
      let set = waiters.get(jobId);
      if (set === undefined) waiters.set(jobId, (set = new Set()));
      set.add(waiter);
    });
    done.catch(() => undefined);
    const onAbort = () => {
      waiters.get(jobId)?.delete(waiter);
      waiter.reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      signal?.throwIfAborted();
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
      return await done;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      const set = waiters.get(jobId);
      set?.delete(waiter);
      if (set?.size === 0) waiters.delete(jobId);
    }
  };

  const jobOptions = (executionId: string, priority: number | undefined) => ({
    jobId: runJobId(executionId),
    priority: bullPriority(priority),
    // A run's job is tried again only when its coordinator dies (stalled); a run's own failure is its result.
    attempts: 1,
    removeOnComplete: { age: 86_400 },
    removeOnFail: { age: 86_400 },
  });
  const dataOf = (run: QueuedRun, parentExecutionId?: string): RunJobData => ({
    workflow: run.workflow,
    version: run.version ?? '',
    executionId: run.executionId,
    payload: encodePayload(
      { input: run.input, ...(run.actor === undefined ? {} : { actor: run.actor }) },
      {
        nodeId: parentExecutionId === undefined ? '(enqueued run)' : run.executionId,
        what: 'run input',
        limit: deps.maxPayloadBytes,
      },
    ),
    ...(parentExecutionId === undefined ? {} : { parentExecutionId }),
    ...(run.carrier === undefined || Object.keys(run.carrier).length === 0 ? {} : { carrier: run.carrier }),
  });

  const queue: BullmqRunQueue = {
    async enqueue(run) {
      if (closed) throw new BullmqError('FL_BULLMQ_CLOSED', { operation: 'engine.enqueue()' });
      // BullMQ priorities are 1 … 2^21−1: a priority outside ±MAX_PRIORITY would be clamped, silently tying with others.
      if (run.priority !== undefined && !(Math.abs(Math.round(run.priority)) <= MAX_PRIORITY))
        throw new BullmqError('FL_BULLMQ_INVALID_OPTION', {
          where: 'engine.enqueue',
          option: 'priority',
          reason: `expected a number from -${MAX_PRIORITY} to ${MAX_PRIORITY} (BullMQ priorities are 1 … 2^21−1), got ${String(run.priority)}`,
        });
      const data = dataOf(run);
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
        await q.add(run.workflow, data, jobOptions(run.executionId, run.priority));
      } catch (e) {
        // Not stored: the id is free again for a retry of this enqueue.
        await redis.del(k.runClaim(run.executionId)).catch(() => undefined);
        throw e;
      }
    },
    result(executionId, options) {
      return await_(ENQUEUED_RUNS_QUEUE, executionId, {}, options?.signal);
    },
    async runChild(req: RemoteChildRun) {
      if (!deps.groups.includes(req.group))
        throw new BullmqError('FL_BULLMQ_UNKNOWN_GROUP', { nodeId: req.nodeId, group: req.group, groups: deps.groups });
      // The node's child run id is kept in the parent's in-flight hash (field `run:<nodeId>`): a parent resumed on
      // another coordinator (its attempt count goes on) finds it and awaits the child already there instead of
      // starting a second one. A child that did not succeed is forgotten, so the node's retry starts a new child:
      // the first keeps the local subworkflow id `<parent>/<node>`, a retry's is `<parent>/<node>~<attempt>`.
      const slot = k.inflight(req.parentExecutionId);
      const field = `run:${req.nodeId}`;
      const name = childRunsQueue(req.group);
      let fresh = req.attempt <= 1 ? req.executionId : `${req.executionId}~${req.attempt}`;
      let executionId: string;
      if (deps.isResumed(req.parentExecutionId)) {
        const claim = await redis
          .multi()
          .hsetnx(slot, field, fresh)
          .hget(slot, field)
          .pexpire(slot, INFLIGHT_TTL_MS)
          .exec();
        executionId = (claim?.[1]?.[1] as string | null | undefined) ?? fresh;
      } else {
        // A fresh parent run: what the slot holds belongs to an earlier run under the same id, and so does a child run
        // job already under the usual child id (kept a day) — awaiting it would hand back that run's result. Such a
        // child gets an id of its own.
        const held = await redis.exists(queueOf(name).toKey(runJobId(fresh)));
        if (held !== 0) fresh = `${fresh}.${randomBytes(4).toString('hex')}`;
        await redis.multi().hset(slot, field, fresh).pexpire(slot, INFLIGHT_TTL_MS).exec();
        executionId = fresh;
      }
      const forget = () => void redis.eval(FORGET_IF_SAME, 1, slot, field, executionId).catch(() => undefined);
      const data = dataOf({ ...req, executionId }, req.parentExecutionId);
      // The serving coordinator keeps every event of the child in a list (numbered 1, 2, …): events are forwarded in
      // that order, one after the other; a gap (an event kept by a coordinator killed before it sent it) is filled
      // from the list, and a resumed parent that (re-)attaches to a child which ran while no parent listened gets the
      // child's events so far from the list before the live ones. None is forwarded twice.
      const reattach = deps.isResumed(req.parentExecutionId);
      const listKey = k.childEvents(executionId);
      let seen = 0;
      let forwarding: Promise<void> = Promise.resolve();
      const fill = async (upTo: number) => {
        // LRANGE's end is inclusive and 0-based: items seen+1 … upTo are indexes seen … upTo - 1 (-1: to the end).
        const past = await redis.lrange(listKey, seen, upTo < 0 ? -1 : upTo - 1);
        for (const text of past) req.onEvent(decodePayload(text) as FlowEvent);
        seen += past.length;
      };
      const later = (step: () => Promise<void> | void) => {
        forwarding = forwarding.then(step).catch((e: unknown) =>
          api.logger.warn('bullmq child run events could not be read back', {
            executionId,
            error: (e as Error).message,
          }),
        );
      };
      const onEvent = (e: FlowEvent, i: number | undefined) =>
        later(async () => {
          if (i !== undefined) {
            if (i <= seen) return;
            if (i > seen + 1) await fill(i - 1);
            seen = i;
          }
          req.onEvent(e);
        });
      const onAbort = () => {
        // The parent's engine is closing (its run stays resumable): leave the child running, a resumed parent
        // finds its id and awaits it. Any other abort (cancel, timeout) cancels the child.
        const reason = req.signal.reason as unknown;
        if (isFlowlaneError(reason, 'FL_CANCELLED') && reason.details.reason === 'engine closed') return;
        forget();
        void redis.publish(k.cancel, runJobId(executionId)).catch(() => undefined);
      };
      req.signal.addEventListener('abort', onAbort, { once: true });
      try {
        let r: QueuedRunResult;
        try {
          // BullMQ keeps one job per id: adding an id already there (a resumed parent) only awaits it.
          r = await await_(name, executionId, { onEvent }, req.signal, async () => {
            await queueOf(name).add(req.nodeId, data, jobOptions(executionId, undefined));
            if (reattach) {
              later(() => fill(-1));
              await forwarding;
            }
          });
          // Every event of the child reaches the parent before the node settles.
          await forwarding;
        } catch (e) {
          if (BullmqError.is(e, 'FL_BULLMQ_RUN_LOST')) forget();
          throw e;
        }
        if (r.status === 'success') return r.outputs;
        forget();
        const e = new BullmqError('FL_BULLMQ_CHILD_FAILED', {
          nodeId: req.nodeId,
          executionId,
          group: req.group,
          status: r.status,
          message: r.error?.message ?? r.status,
        });
        Object.assign(e, { remote: r.error });
        throw e;
      } finally {
        req.signal.removeEventListener('abort', onAbort);
      }
    },
    close() {
      closing ??= (async () => {
        closed = true;
        rejectWaiters();
        await closeOrForce(
          redis,
          async () => {
            await Promise.all([...consumers].map((c) => c.close()));
            sub?.disconnect();
            await Promise.all([...events.values()].map((p) => p.then((qe) => qe.close()).catch(() => undefined)));
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
      // Nothing here awaits Redis: BullMQ's own connections are dropped, the runs being run stall (taken over once
      // their locks expire).
      for (const c of consumers) {
        void c.close(true).catch(() => undefined);
        void c.disconnect().catch(() => undefined);
      }
      for (const p of events.values()) void p.then((qe) => qe.close()).catch(() => undefined);
      for (const q of queues.values()) void q.disconnect().catch(() => undefined);
      for (const c of connections) c.disconnect();
    },
  };

  // ── Consumer side: this coordinator takes runs and runs them with its own engine. ──
  const consumers = new Set<Worker>();
  let sub: Redis | undefined;
  const serve = deps.serve;
  if (serve !== undefined) {
    const names = [
      ...(serve.enqueued === false ? [] : [ENQUEUED_RUNS_QUEUE]),
      ...(serve.groups ?? []).map(childRunsQueue),
    ];
    const engine = api.container.resolve(Tokens.Engine);
    // Each event of a child run is kept (a day, like its job) for a parent that re-attaches later; its place in the
    // list travels with it.
    const keep = async (executionId: string, text: string): Promise<number | undefined> => {
      const key = k.childEvents(executionId);
      const out = await redis.multi().rpush(key, text).pexpire(key, INFLIGHT_TTL_MS).exec();
      const i = out?.[0]?.[1];
      return typeof i === 'number' ? i : undefined;
    };
    const process = (job: Job<RunJobData>, token: string | undefined, signal?: AbortSignal) =>
      runJob(engine, api, job, token, signal, deps.maxPayloadBytes, keep);
    for (const name of names) {
      const connection = redis.duplicate({ maxRetriesPerRequest: null });
      connections.push(connection);
      const worker = new Worker<RunJobData, string>(name, process, {
        connection,
        prefix,
        concurrency: serve.concurrency ?? 10,
        // A run job comes back only when its coordinator died; twice in a row means the run kills coordinators.
        maxStalledCount: 2,
        ...(serve.lockDuration === undefined ? {} : { lockDuration: serve.lockDuration }),
        ...(serve.stalledInterval === undefined ? {} : { stalledInterval: serve.stalledInterval }),
      });
      worker.on('error', (e) => api.logger.warn('bullmq run worker error', { queue: name, error: e.message }));
      consumers.add(worker);
    }
    sub = redis.duplicate();
    sub.on('error', () => undefined);
    connections.push(sub);
    await sub.subscribe(k.cancel);
    sub.on('message', (_channel: string, jobId: string) => {
      for (const w of consumers) w.cancelJob(jobId, 'cancelled by the parent run');
    });
    await Promise.all([...consumers].map((w) => w.waitUntilReady()));
  }
  return queue;
}

/** Runs one run job with the coordinator's engine: resumes it from the log when a previous coordinator started it. */
async function runJob(
  engine: Engine,
  api: PluginApi,
  job: Job<RunJobData>,
  token: string | undefined,
  signal: AbortSignal | undefined,
  maxPayloadBytes: number | undefined,
  keep: (executionId: string, text: string) => Promise<number | undefined>,
): Promise<string> {
  const d = job.data;
  const started = Date.now();
  const encode = (r: QueuedRunResult): string => {
    try {
      return encodePayload(r, { nodeId: d.executionId, what: 'run result', limit: maxPayloadBytes });
    } catch (e) {
      return encodePayload(
        { ...r, status: 'failed', outputs: {}, nodes: {}, error: serializeError(e) },
        { nodeId: d.executionId, what: 'run result' },
      );
    }
  };
  const failed = (error: unknown): string =>
    encode({
      executionId: d.executionId,
      workflow: d.workflow,
      status: 'failed',
      outputs: {},
      nodes: {},
      error: serializeError(error),
      durationMs: Date.now() - started,
    });
  const { input, actor } = decodePayload(d.payload) as { input: unknown; actor?: Actor };
  let run: Run;
  try {
    // Taken before by a coordinator that died? Continue from the log (completed nodes keep their outputs).
    const logged = await engine.runs.get(d.executionId);
    // A job taken for the first time (never started before, never stalled) whose run id is already in the log: the id
    // belongs to an earlier run (its job gone after a day); resuming or reading that run would answer for another.
    if (logged !== undefined && job.attemptsStarted <= 1 && job.stalledCounter === 0)
      return failed(
        new BullmqError('FL_BULLMQ_DUPLICATE_RUN', {
          executionId: d.executionId,
          where: `the execution log of the coordinator that took it already holds a run with this id (${logged.status})`,
        }),
      );
    if (logged !== undefined && logged.status !== 'running') return encode(await fromLog(engine, d, started));
    run =
      logged === undefined
        ? api.runQueue.start({
            executionId: d.executionId,
            workflow: d.workflow,
            version: d.version === '' ? undefined : d.version,
            input,
            ...(actor === undefined ? {} : { actor }),
            ...(d.carrier === undefined ? {} : { carrier: d.carrier }),
          })
        : await engine.resume(d.executionId);
  } catch (e) {
    if (isFlowlaneError(e, 'FL_EXECUTION_FINISHED')) return encode(await fromLog(engine, d, started));
    if (isFlowlaneError(e, 'FL_ENGINE_CLOSED')) return requeue(job, token, api.logger);
    return failed(e);
  }
  const send = (e: FlowEvent) => {
    let text: string;
    try {
      text = encodePayload(e, { nodeId: d.executionId, what: 'event' });
    } catch {
      // An event whose payload cannot cross (a custom event with a class instance): sent without it.
      const { payload: _p, output: _o, ...rest } = e as FlowEvent & { payload?: unknown; output?: unknown };
      text = encodePayload(rest, { nodeId: d.executionId, what: 'event' });
    }
    // In order, and all sent before the job completes (a completed job's later progress would reach no one).
    progress = progress.then(async () => {
      const i = await keep(d.executionId, text).catch(() => undefined);
      await job
        .updateProgress({ t: 'run-event', e: text, ...(i === undefined ? {} : { i }) } satisfies RunProgress)
        .catch(() => undefined);
    });
  };
  let progress: Promise<unknown> = Promise.resolve();
  const sub = d.parentExecutionId === undefined ? undefined : run.events$.subscribe(send);
  const onAbort = () =>
    run.cancel(String((signal?.reason as Error | undefined)?.message ?? 'cancelled by the parent run'));
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const r = await run.result;
    await progress;
    // Cancelled because this coordinator's engine is closing (not by the parent): the run goes back to the queue
    // for another coordinator (its log, when a store is installed, lets that one resume it).
    if (
      r.status === 'cancelled' &&
      signal?.aborted !== true &&
      isFlowlaneError(r.error, 'FL_CANCELLED') &&
      (r.error.details as { reason?: string }).reason === 'engine closed'
    )
      return requeue(job, token, api.logger);
    return encode({
      executionId: r.executionId,
      workflow: r.workflow,
      status: r.status,
      outputs: r.outputs as Record<string, unknown>,
      nodes: r.nodes,
      ...(r.error === undefined ? {} : { error: serializeError(r.error) }),
      durationMs: r.durationMs,
    });
  } finally {
    sub?.unsubscribe();
    signal?.removeEventListener('abort', onAbort);
  }
}

/** Puts a run job back to waiting (this coordinator is closing); BullMQ's `WaitingError` tells the worker so. */
async function requeue(job: Job<RunJobData>, token: string | undefined, logger: Logger): Promise<never> {
  try {
    await job.moveToWait(token);
  } catch (e) {
    logger.warn('bullmq run could not go back to the queue; it is taken over once its lock expires', {
      executionId: job.data.executionId,
      error: (e as Error).message,
    });
  }
  throw new WaitingError();
}

/** The result of a run that finished in the log but whose job did not (its coordinator died in between). */
async function fromLog(engine: Engine, d: RunJobData, started: number): Promise<QueuedRunResult> {
  const records: readonly ExecutionRecord[] = (await engine.runs.records(d.executionId)) ?? [];
  const outputs: Record<string, unknown> = {};
  const nodes: Record<string, NodeRecord> = {};
  let status: QueuedRunResult['status'] = 'failed';
  let error: QueuedRunResult['error'];
  let durationMs = Date.now() - started;
  for (const r of records) {
    if (r.type === 'node.completed') {
      outputs[r.nodeId] = r.output;
      nodes[r.nodeId] = { status: 'success', attempts: r.attempt, durationMs: r.durationMs, output: r.output };
    } else if (r.type === 'workflow.completed' || r.type === 'workflow.failed' || r.type === 'workflow.cancelled') {
      status = r.type === 'workflow.completed' ? 'success' : r.type === 'workflow.failed' ? 'failed' : 'cancelled';
      error = r.error;
      durationMs = r.durationMs;
    }
  }
  return { executionId: d.executionId, workflow: d.workflow, status, outputs, nodes, error, durationMs };
}
