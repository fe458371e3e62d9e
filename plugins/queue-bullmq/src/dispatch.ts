import { randomBytes } from 'node:crypto';
import { allKeys, definePlugin, type FlowlanePlugin, type MiddlewareContext, type PluginApi } from '@flowlane/core';
import { type JobsOptions, Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import { DispatchBatcher } from './batch.js';
import { decodePayload, encodePayload } from './codec.js';
import { BullmqError } from './errors.js';
import { type BullmqGroupOptions, normalizeGroups } from './groups.js';
import { priorityError } from './node-priority.js';
import {
  bullPriority,
  checkConnection,
  checkKeys,
  checkMs,
  closeOrForce,
  connect,
  jobIdOf,
  jobIdRunPart,
  keys,
  NODE_JOB_FORMAT,
  type NodeJobData,
  type NodeProgress,
  reachable,
} from './protocol.js';
import { createRunQueue } from './run-queue.js';
import { type BullmqServeOptions, checkServe } from './serve-runs.js';
import { CORE_RANGE, PKG_VERSION } from './version.js';
import { AbortWatch, Waiter } from './waiter.js';

/** Options of {@link bullmqDispatch}. */
export interface BullmqDispatchOptions {
  /** Redis URL (`redis://[user:password@]host:port[/db]`). */
  readonly connection: string;
  /** BullMQ key prefix shared with the workers. Default `'flowlane'`. */
  readonly queuePrefix?: string | undefined;
  /**
   * Worker groups nodes may name in `runOn` (one BullMQ queue each): names, or an object from name to the group's
   * options (`{ gpu: { limiter: { max: 10, duration: 1000 } } }`), in which form setup sets each group queue's rate
   * limit (or removes it for a group without `limiter`). Default `[]`: no node leaves this process (a coordinator that
   * only enqueues or serves whole runs).
   */
  readonly groups?: readonly string[] | Readonly<Record<string, BullmqGroupOptions>> | undefined;
  /** Group of nodes without `runOn`; without it they run in-process. */
  readonly defaultGroup?: string | undefined;
  /** How long setup waits for Redis to answer, ms. Default 10,000. */
  readonly connectTimeout?: number | undefined;
  /** Largest encoded inputs of a node, bytes. Default 524,288. */
  readonly maxPayloadBytes?: number | undefined;
  /** How often worker heartbeats are checked, ms. Default 1,000. */
  readonly heartbeatInterval?: number | undefined;
  /** A worker is `worker.down` after this long without a heartbeat, ms. Default 3 × heartbeatInterval. */
  readonly heartbeatTimeout?: number | undefined;
  /**
   * Make this coordinator take whole runs from the queue (`engine.enqueue` of any process, and child runs of
   * subworkflow nodes with `runOn` naming one of `serve.groups`) and run them with its engine. Default: it takes none.
   */
  readonly serve?: BullmqServeOptions | undefined;
}

/** Every option of `bullmqDispatch()` (internal: also the README test's list). */
export const KEYS = allKeys<BullmqDispatchOptions>()([
  'connection',
  'queuePrefix',
  'groups',
  'defaultGroup',
  'maxPayloadBytes',
  'connectTimeout',
  'heartbeatInterval',
  'heartbeatTimeout',
  'serve',
]);

/** How long a run's node → job mapping is kept after its last dispatch (a day). */
const INFLIGHT_TTL_MS = 86_400_000;

const ignore = () => undefined;
const NO_CARRIER: Readonly<Record<string, string>> = Object.freeze({});
/** Finished jobs are kept an hour (a resumed coordinator adopts a completed job's value from it). */
const KEEP = Object.freeze({ age: 3600 });
/** Job options without the job id, one object per priority (BullMQ copies them; most nodes share the default). */
const optsCache = new Map<number, JobsOptions>();
const jobOpts = (priority: number | undefined): JobsOptions => {
  const p = bullPriority(priority);
  let o = optsCache.get(p);
  if (o === undefined) {
    o = Object.freeze({ priority: p, attempts: 1, removeOnComplete: KEEP, removeOnFail: KEEP });
    if (optsCache.size < 1000) optsCache.set(p, o);
  }
  return o;
};

/** Waiting jobs older than this are checked directly (a completion missed by the event stream is still seen). */
const RECHECK_AFTER_MS = 5000;

/**
 * Coordinator side of distributed execution: nodes run as BullMQ jobs on worker processes made with
 * {@link createWorker}. A node with `runOn: '<group>'` (or any node, with `defaultGroup`) is sent to that group's
 * queue; `runOn: 'local'` runs in-process. The engine awaits the job like a local node, so retries, timeouts,
 * fallbacks, boundaries, caching and events are unchanged; cancelling the run or a timeout aborts the job on its
 * worker. Worker heartbeats appear on `engine.systemEvents$` as `worker.up` / `worker.down`. A node sent to a group
 * must have a `priority` from -1,048,575 to 1,048,575 (`FL_BULLMQ_INVALID_OPTION` before anything is queued).
 *
 * @example
 * ```ts
 * import { createEngine } from '@flowlane/core';
 * import { bullmqDispatch } from '@flowlane/queue-bullmq';
 *
 * const engine = createEngine({ plugins: [bullmqDispatch({ connection: 'redis://127.0.0.1:6379', groups: ['gpu'] })] });
 * ```
 */
export function bullmqDispatch(options: BullmqDispatchOptions): FlowlanePlugin {
  const where = 'bullmqDispatch()';
  if (typeof options !== 'object' || options === null)
    throw new BullmqError('FL_BULLMQ_INVALID_OPTION', { where, option: 'options', reason: 'expected an object' });
  checkKeys(where, options, KEYS);
  const bad = (option: string, reason: string) =>
    new BullmqError('FL_BULLMQ_INVALID_OPTION', { where, option, reason });
  checkConnection(where, options.connection);
  const { names: groups, limits } = normalizeGroups(where, options.groups ?? []);
  if (options.defaultGroup !== undefined && !groups.includes(options.defaultGroup))
    throw bad('defaultGroup', `expected one of groups (${groups.join(', ')})`);
  const { maxPayloadBytes } = options;
  if (maxPayloadBytes !== undefined && !(Number.isInteger(maxPayloadBytes) && maxPayloadBytes > 0))
    throw bad('maxPayloadBytes', `expected an integer > 0, got ${String(maxPayloadBytes)}`);
  checkMs(where, 'heartbeatInterval', options.heartbeatInterval);
  checkMs(where, 'heartbeatTimeout', options.heartbeatTimeout);
  checkMs(where, 'connectTimeout', options.connectTimeout);
  if (options.serve !== undefined) checkServe(where, options.serve);
  const prefix = options.queuePrefix ?? 'flowlane';
  const beat = options.heartbeatInterval ?? 1000;
  const deadAfter = options.heartbeatTimeout ?? 3 * beat;
  const k = keys(prefix);

  return definePlugin({
    name: '@flowlane/queue-bullmq',
    version: PKG_VERSION,
    flowlane: CORE_RANGE,
    async setup(api: PluginApi) {
      // Both would take over a crashed coordinator's runs: the queue hands its run jobs to another coordinator, and
      // every engine with resume: 'auto' resumes the run from its log on its own — twice, the second without a job to
      // report its result to (see the README).
      if (options.serve !== undefined && (api as Partial<PluginApi>).executions?.resume === 'auto')
        throw bad(
          'serve',
          "cannot be combined with the engine's resume: 'auto' (the run queue already hands a crashed coordinator's runs to another coordinator); use resume: 'manual' on serving coordinators",
        );
      const redis: Redis = connect(options.connection, where);
      // A core older than api.signal has none: the wait is then bounded by connectTimeout alone.
      await reachable(redis, options.connection, options.connectTimeout ?? 10_000, api.signal);
      // The plugin's own commands (node → job map, heartbeats) share round trips: many nodes dispatch at once.
      const own = redis.duplicate({ enableAutoPipelining: true });
      // Its failures reach the commands that fail (and the logs of the BullMQ objects); no unhandled 'error' events.
      own.on('error', () => undefined);
      const queues = new Map<string, Queue>();
      const events = new Map<string, QueueEvents>();
      const waiters = new Map<string, Waiter>();
      /** The waiter of `jobId`, no longer listed (it settles once), or `undefined`. */
      const take = (jobId: string): Waiter | undefined => {
        const w = waiters.get(jobId);
        if (w !== undefined) waiters.delete(jobId);
        return w;
      };
      const settle = (jobId: string, fn: (w: Waiter) => void) => {
        const w = take(jobId);
        if (w !== undefined) fn(w);
      };
      // A succeeded job stays mapped: a coordinator that resumes the run before the success reached the log adopts
      // it (its value) instead of running the node again. A failed one is forgotten so the retry sends a new job.
      const forget = (w: Waiter) => void own.hdel(w.inflightKey, w.nodeId).catch(() => undefined);
      const finish = (w: Waiter, jobId: string, returnvalue: unknown) => {
        const out = decodePayload(String(returnvalue)) as {
          ok: boolean;
          value?: unknown;
          error?: { message: string; code?: string; name?: string };
        };
        if (out.ok) {
          w.resolve(out.value);
          return;
        }
        forget(w);
        // A worker older than job format 2 finds no workflow "undefined" (it reads the format-1 keys): say so.
        if (out.error?.code === 'FL_BULLMQ_UNKNOWN_WORKFLOW' && out.error.message.includes('no workflow "undefined"')) {
          const reason = 'a worker of the group runs an older @flowlane/queue-bullmq that reads job format 1 only';
          const e = new BullmqError('FL_BULLMQ_JOB_FORMAT', {
            nodeId: w.nodeId,
            jobId,
            format: String(NODE_JOB_FORMAT),
            reason,
          });
          w.reject(Object.assign(e, { remote: out.error, jobId }));
          return;
        }
        const e = new BullmqError('FL_BULLMQ_REMOTE_FAILED', {
          nodeId: w.nodeId,
          message: out.error?.message ?? 'unknown error',
        });
        Object.assign(e, { remote: out.error, jobId });
        w.reject(e);
      };
      const lost = (w: Waiter, jobId: string, reason: string) => {
        forget(w);
        w.reject(new BullmqError('FL_BULLMQ_WORKER_LOST', { nodeId: w.nodeId, jobId, reason }));
      };
      const dups: Redis[] = [];
      for (const g of groups) {
        const connection = redis.duplicate();
        connection.on('error', () => undefined);
        dups.push(connection);
        const queue = new Queue(g, { connection: redis, prefix });
        queues.set(g, queue);
        const limit = limits?.get(g);
        if (limit === null) await queue.removeGlobalRateLimit();
        else if (limit !== undefined) await queue.setGlobalRateLimit(limit.max, limit.duration);
        // Read the group's event stream from its last entry now, not from whenever the first XREAD happens to run:
        // every job sent from here on has its completion after this id, so none completes unseen.
        const last = await redis.xrevrange(queue.keys.events ?? `${prefix}:${g}:events`, '+', '-', 'COUNT', 1);
        const qe = new QueueEvents(g, { connection, prefix, lastEventId: last[0]?.[0] ?? '0-0' });
        // No closure per completion: the stream carries one per job.
        qe.on('completed', ({ jobId, returnvalue }) => {
          const w = take(jobId);
          if (w !== undefined) finish(w, jobId, returnvalue);
        });
        qe.on('failed', ({ jobId, failedReason }) => {
          const w = take(jobId);
          if (w !== undefined) lost(w, jobId, failedReason);
        });
        qe.on('progress', ({ jobId, data }) => {
          const w = waiters.get(jobId);
          if (w === undefined || typeof data !== 'object' || data === null) return;
          const p = data as NodeProgress;
          if (p.t === 'log') w.ctx.log[p.level]?.(p.message, p.fields as Record<string, unknown> | undefined);
          else if (p.t === 'event') w.ctx.emitEvent?.(p.name, p.payload);
        });
        qe.on('error', (e) => api.logger.warn('bullmq queue events failed', { group: g, error: e.message }));
        events.set(g, qe);
      }
      await Promise.all([...events.values()].map((qe) => qe.waitUntilReady()));
      // Runs this engine resumed from their log: only they adopt the jobs (and child runs) a predecessor dispatched.
      // A fresh run reusing an earlier run's id (the node → job map is kept a day) must not get that run's results.
      const resumed = new Set<string>();
      // Per run with nodes in flight: its node → job hash key and the start of its job ids, made once per run instead
      // of once per node (the batcher groups a turn's dispatches by the key string).
      const runKeys = new Map<string, { readonly inflight: string; readonly jobIds: string }>();
      // A run watcher, not an `api.events$` subscriber: it is told once per run start and settle, and does not make the
      // engine build an event object for every node event of every run (a listener on the engine's stream does).
      api.watchRuns({
        name: '@flowlane/queue-bullmq:resumed',
        started(_run, e) {
          if (e.resumed === true) resumed.add(e.executionId);
          else resumed.delete(e.executionId);
        },
        settled(_run, e) {
          resumed.delete(e.executionId);
          runKeys.delete(e.executionId);
        },
      });
      // Whole runs (engine.enqueue) and child runs of subworkflow nodes with runOn (runs.ts).
      const runQueue = await createRunQueue({
        api,
        isResumed: (executionId) => resumed.has(executionId),
        redis,
        prefix,
        groups,
        serve: options.serve,
        maxPayloadBytes: options.maxPayloadBytes,
      });
      api.runQueue.set(runQueue);

      // Worker health: workers ZADD `group|id` with the time of each heartbeat.
      const known = new Set<string>();
      const poll = async () => {
        const rows = await redis.zrange(k.workers, 0, -1, 'WITHSCORES');
        const now = Date.now();
        const alive = new Set<string>();
        for (let n = 0; n < rows.length; n += 2) {
          const member = rows[n]!;
          const at = Number(rows[n + 1]);
          if (now - at <= deadAfter) alive.add(member);
          else await redis.zrem(k.workers, member);
        }
        for (const m of alive)
          if (!known.has(m)) {
            known.add(m);
            api.publishSystemEvent({ type: 'worker.up', workerId: m.slice(m.indexOf('|') + 1), timestamp: now });
          }
        for (const m of [...known])
          if (!alive.has(m)) {
            known.delete(m);
            api.publishSystemEvent({
              type: 'worker.down',
              workerId: m.slice(m.indexOf('|') + 1),
              reason: `no heartbeat for ${deadAfter} ms (closed or crashed)`,
              timestamp: now,
            });
          }
      };
      // Safety net for completions the event stream no longer holds (it is trimmed to BullMQ's `maxLenEvents`, so a
      // coordinator far behind could miss some): jobs waited for longer than RECHECK_AFTER_MS are read directly.
      const recheck = async () => {
        const now = Date.now();
        const old = [...waiters].filter(([, w]) => now - w.since >= RECHECK_AFTER_MS);
        await Promise.all(
          old.map(async ([jobId, w]) => {
            w.since = now;
            await settleFromState(w.queue, jobId, false);
          }),
        );
      };
      let polling = Promise.resolve();
      let ticks = 0;
      const recheckEvery = Math.max(1, Math.round(RECHECK_AFTER_MS / beat));
      const timer = setInterval(() => {
        polling = polling
          .then(poll)
          .catch((e: Error) => api.logger.warn('bullmq heartbeat check failed', { error: e.message }));
        if (++ticks % recheckEvery === 0)
          polling = polling
            .then(recheck)
            .catch((e: Error) => api.logger.warn('bullmq job check failed', { error: e.message }));
      }, beat);
      timer.unref();
      /** Settles the waiter of `jobId` if its job has finished (or is gone, for an adopted job). */
      const settleFromState = async (queue: Queue, jobId: string, adopted: boolean) => {
        const state = await queue.getJobState(jobId);
        if (state === 'completed' || state === 'failed') {
          // Read after the state: a job fetched before it finished has no return value yet.
          const job = await queue.getJob(jobId);
          if (state === 'completed') settle(jobId, (w) => finish(w, jobId, job?.returnvalue));
          else settle(jobId, (w) => lost(w, jobId, job?.failedReason ?? 'failed'));
        } else if (state === 'unknown')
          settle(jobId, (w) =>
            lost(
              w,
              jobId,
              adopted ? 'the job dispatched before the coordinator changed is gone' : 'the job is gone from the queue',
            ),
          );
      };
      const propagation = (api as Partial<PluginApi>).propagation;
      const aborts = new AbortWatch((w, reason) => {
        const { jobId } = w;
        settle(jobId, (x) => x.reject(reason));
        forget(w);
        void redis.publish(k.cancel, jobId).catch(ignore);
        void w.queue.remove(jobId).catch(ignore);
      });
      const host = { waiters, aborts };
      const batcher = new DispatchBatcher<Waiter>(own, INFLIGHT_TTL_MS, {
        sent(w, held) {
          w.data = undefined; // Sent or not, nothing reads it again (a node's job can run for long).
          // Not sent (aborted: the abort already settled it), or settled while its job was being sent.
          if (held === undefined || waiters.get(w.jobId) !== w) return;
          w.since = Date.now();
          if (held === w.fresh) return; // A fresh job needs no state check: the event stream is read from before it.
          // Adopted: listen under the adopted id, then look whether it finished while no coordinator was listening.
          waiters.delete(w.jobId);
          w.jobId = held;
          waiters.set(held, w);
          settleFromState(w.queue, held, true).catch((e: unknown) => w.reject(e));
        },
        failed(w, e) {
          // Not sent (Redis failed): free the node's slot so the next attempt does not adopt a job that never was.
          forget(w);
          w.reject(e);
        },
      });
      // One random id per coordinator and a counter: every dispatch gets a job id of its own.
      const nonce = randomBytes(4).toString('hex');
      let sent = 0;

      api.middleware.use((ctx, next) => {
        const runOn = ctx.node.options.runOn as string | undefined;
        if (runOn === 'local' || ctx.node.kind === 'subworkflow') return next();
        const group = runOn ?? options.defaultGroup;
        if (group === undefined) return next();
        // Not an async function: one promise per dispatched node (its waiter's), settled by the job's outcome.
        try {
          return dispatch(ctx, group);
        } catch (e) {
          return Promise.reject(e);
        }
      });
      const dispatch = (ctx: MiddlewareContext, group: string): Promise<unknown> => {
        const queue = queues.get(group);
        if (queue === undefined)
          throw new BullmqError('FL_BULLMQ_UNKNOWN_GROUP', { nodeId: ctx.nodeId, group, groups });
        const badPriority = priorityError(ctx, group);
        if (badPriority !== undefined) throw badPriority;
        // `results` only when the node has dependency results (the worker reads a missing one as `{}`).
        let results: Record<string, unknown> | undefined;
        for (const d of ctx.node.dependsOn) if (d in ctx.results) (results ??= {})[d] = ctx.results[d];
        const payload = encodePayload(
          { input: ctx.input, results, actor: ctx.actor },
          { nodeId: ctx.nodeId, what: 'inputs', limit: options.maxPayloadBytes },
        );
        ctx.signal.throwIfAborted();
        const { executionId, workflow, nodeId, attempt } = ctx;
        const carrier = propagation?.carrier({ executionId, workflow, nodeId, attempt }) ?? NO_CARRIER;
        // Format 2: short keys, the node id is the job's name (see NodeJobData).
        const data: NodeJobData =
          Object.keys(carrier).length === 0
            ? { f: NODE_JOB_FORMAT, w: workflow, v: ctx.version ?? '', e: executionId, a: attempt, p: payload }
            : {
                f: NODE_JOB_FORMAT,
                w: workflow,
                v: ctx.version ?? '',
                e: executionId,
                a: attempt,
                p: payload,
                c: carrier,
              };
        // A coordinator that resumes a run adopts the job its predecessor dispatched (never a second job): the batcher
        // claims the node's slot for a new job id, or reads the job id already there. The dispatches of every node that
        // became ready in this turn of the event loop go together (one claim per run, one addBulk per group).
        let run = runKeys.get(executionId);
        if (run === undefined) {
          run = { inflight: k.inflight(executionId), jobIds: jobIdRunPart(executionId) };
          runKeys.set(executionId, run);
        }
        const w = new Waiter(
          host,
          ctx,
          queue,
          run.inflight,
          jobIdOf(run.jobIds, nodeId, attempt, `${nonce}${(++sent).toString(36)}`),
          data,
          jobOpts(ctx.node.options.priority as number | undefined),
          resumed.has(executionId),
        );
        batcher.dispatch(w);
        return w.done;
      };

      const rejectWaiters = () => {
        for (const w of [...waiters.values()]) w.reject(new Error('bullmqDispatch closed'));
        waiters.clear();
      };
      return async () => {
        clearInterval(timer);
        // Redis unreachable (before or during the close): give up on what needs it instead of waiting forever
        // (ioredis queues commands until Redis is back); the runs this coordinator serves stall and are taken over.
        await closeOrForce(
          redis,
          async () => {
            await polling;
            await batcher.drain().catch(() => undefined);
            rejectWaiters();
            await runQueue.close();
            await Promise.all([...events.values()].map((qe) => qe.close()));
            await Promise.all([...queues.values()].map((q) => q.close()));
          },
          () => {
            rejectWaiters();
            runQueue.abort();
            for (const qe of events.values()) void qe.close().catch(() => undefined);
            for (const q of queues.values()) void q.disconnect().catch(() => undefined);
          },
        );
        for (const d of dups) d.disconnect();
        own.disconnect();
        redis.disconnect();
      };
    },
  });
}
