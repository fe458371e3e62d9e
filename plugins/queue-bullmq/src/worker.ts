import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import {
  type Actor,
  allKeys,
  createEngine,
  type EngineOptions,
  type FlowlanePlugin,
  runNodeOnWorker,
  type Workflow,
} from '@flowlane/core';
import { type Job, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { decodePayload, encodePayload } from './codec.js';
import { BullmqError } from './errors.js';
import { checkLimiter } from './groups.js';
import { JobAbort } from './job-abort.js';
import {
  checkConnection,
  checkKeys,
  checkMs,
  closeOrForce,
  connect,
  keys,
  NODE_JOB_FORMAT,
  type NodeJobData,
  type NodeProgress,
  reachable,
} from './protocol.js';

/** Node job data of format 1 (what coordinators before job format 2 send). */
interface LegacyNodeJobData {
  readonly f?: undefined;
  readonly workflow: string;
  readonly version: string;
  readonly nodeId: string;
  readonly executionId: string;
  readonly attempt: number;
  readonly payload: string;
  readonly carrier?: Readonly<Record<string, string>> | undefined;
}

const ignore = () => undefined;

/** Options of {@link createWorker}. */
export interface CreateWorkerOptions {
  /** Redis URL, the coordinator's. */
  readonly connection: string;
  /** The group whose queue this worker takes jobs from. */
  readonly group: string;
  /** The workflows this worker can run nodes of (the same code and version as the coordinator's). */
  // biome-ignore lint/suspicious/noExplicitAny: any built workflow
  readonly workflows: readonly Workflow<any, any>[];
  /** Plugins of the worker's own engine: executors, secrets providers (they live on the worker). */
  readonly plugins?: readonly FlowlanePlugin[] | undefined;
  /** Other options of the worker's engine (`executors`, `secrets`, `redact`, `logger`…). */
  readonly engine?: Omit<EngineOptions, 'plugins'> | undefined;
  /** Jobs run at once. Default 1. */
  readonly concurrency?: number | undefined;
  /** BullMQ key prefix (the coordinator's `queuePrefix`). Default `'flowlane'`. */
  readonly queuePrefix?: string | undefined;
  /** BullMQ rate limit of this group's queue, e.g. `{ max: 100, duration: 1000 }`. */
  readonly limiter?: { readonly max: number; readonly duration: number } | undefined;
  /** Worker id in `worker.up` / `worker.down` events. Default `<hostname>-<pid>-<random>`. */
  readonly id?: string | undefined;
  /** Heartbeat period, ms. Default 1,000. */
  readonly heartbeatInterval?: number | undefined;
  /** BullMQ job lock, ms: a crashed worker's job is declared lost after about this long. Default 30,000. */
  readonly lockDuration?: number | undefined;
  /** How often this worker checks for stalled jobs of crashed workers, ms. Default 30,000. */
  readonly stalledInterval?: number | undefined;
  /** How long setup waits for Redis to answer, ms. Default 10,000. */
  readonly connectTimeout?: number | undefined;
  /** Largest encoded result, bytes. Default 524,288. */
  readonly maxPayloadBytes?: number | undefined;
}

/** A running worker made by {@link createWorker}. */
export interface FlowlaneWorker {
  readonly id: string;
  readonly group: string;
  /** Stop taking jobs, let the running ones finish, stop heartbeats and close the worker's engine. */
  close(): Promise<void>;
}

const KEYS = allKeys<CreateWorkerOptions>()([
  'connection',
  'group',
  'workflows',
  'plugins',
  'engine',
  'concurrency',
  'queuePrefix',
  'limiter',
  'id',
  'heartbeatInterval',
  'lockDuration',
  'stalledInterval',
  'maxPayloadBytes',
  'connectTimeout',
]);

/**
 * Worker side of distributed execution: takes node jobs of one group's BullMQ queue and runs them with the
 * worker's own engine (its executors and secrets), sending back the result, logs and custom events. Jobs of
 * a killed worker are found stalled by the other workers and fail on the coordinator with `FL_BULLMQ_WORKER_LOST`
 * (retried by the node's retry policy). A cancelled run or timed-out attempt aborts the job's `ctx.signal`.
 *
 * @example
 * ```ts
 * import { workflow } from '@flowlane/core';
 * import { createWorker } from '@flowlane/queue-bullmq';
 *
 * const wf = workflow('render').addNode('frame', () => 'rendered', { runOn: 'gpu' }).build();
 * const worker = await createWorker({ connection: 'redis://127.0.0.1:6379', group: 'gpu', workflows: [wf] });
 * await worker.close();
 * ```
 */
export async function createWorker(options: CreateWorkerOptions): Promise<FlowlaneWorker> {
  const where = 'createWorker()';
  if (typeof options !== 'object' || options === null)
    throw new BullmqError('FL_BULLMQ_INVALID_OPTION', { where, option: 'options', reason: 'expected an object' });
  checkKeys(where, options, KEYS);
  const bad = (option: string, reason: string) =>
    new BullmqError('FL_BULLMQ_INVALID_OPTION', { where, option, reason });
  if (typeof options.group !== 'string' || options.group === '' || options.group === 'local')
    throw bad('group', "expected a non-empty group name other than 'local'");
  if (!Array.isArray(options.workflows)) throw bad('workflows', 'expected an array of built workflows');
  checkConnection(where, options.connection);
  for (const key of ['concurrency', 'maxPayloadBytes'] as const) {
    const v = options[key];
    if (v !== undefined && !(Number.isInteger(v) && v > 0)) throw bad(key, `expected an integer > 0, got ${String(v)}`);
  }
  for (const key of ['heartbeatInterval', 'lockDuration', 'stalledInterval', 'connectTimeout'] as const)
    checkMs(where, key, options[key]);
  const limiter = options.limiter === undefined ? undefined : checkLimiter(where, 'limiter', options.limiter);
  const byName = new Map<string, Workflow<unknown, object>>();
  for (const wf of options.workflows) byName.set(`${wf.name}@${wf.version ?? ''}`, wf as Workflow<unknown, object>);
  const prefix = options.queuePrefix ?? 'flowlane';
  const k = keys(prefix);
  const id = options.id ?? `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  const member = `${options.group}|${id}`;
  const engine = createEngine({ ...options.engine, plugins: [...(options.plugins ?? [])] });
  await engine.ready();
  const redis: Redis = connect(options.connection, where);
  try {
    await reachable(redis, options.connection, options.connectTimeout ?? 10_000);
  } catch (e) {
    await engine.close();
    throw e;
  }
  const sub = redis.duplicate();
  sub.on('error', () => undefined);
  const beatMs = options.heartbeatInterval ?? 1000;
  const fail = (nodeId: string, e: { message: string; code?: string | undefined; name?: string | undefined }) =>
    encodePayload({ ok: false, error: e }, { nodeId, what: 'error' });

  // The jobs running here, by job id: the cancel channel and a forced close abort them. The processor takes no
  // signal from BullMQ (it would make an AbortController for every job).
  const running = new Map<string, JobAbort>();
  const run = async (job: Job<NodeJobData>): Promise<string> => {
    const d = job.data as NodeJobData | LegacyNodeJobData;
    let nodeId: string;
    let data: NodeJobData;
    if (d.f === NODE_JOB_FORMAT) {
      nodeId = job.name;
      data = d as NodeJobData;
    } else if (d.f === undefined && typeof (d as LegacyNodeJobData).payload === 'string') {
      // Format 1: a coordinator of @flowlane/queue-bullmq 0.1 not yet upgraded. The result format is the same.
      const l = d as LegacyNodeJobData;
      nodeId = l.nodeId;
      data = { f: 1, w: l.workflow, v: l.version, e: l.executionId, a: l.attempt, p: l.payload, c: l.carrier };
    } else {
      const e = new BullmqError('FL_BULLMQ_JOB_FORMAT', {
        nodeId: job.name,
        jobId: job.id ?? '',
        format: String(d.f),
        reason: `worker ${id} reads job formats 1 and ${NODE_JOB_FORMAT} (an older worker than its coordinator?)`,
      });
      return fail(job.name, { message: e.message, code: e.code, name: e.name });
    }
    const wf = byName.get(`${data.w}@${data.v}`);
    if (wf === undefined) {
      const e = new BullmqError('FL_BULLMQ_UNKNOWN_WORKFLOW', { workflow: data.w, version: data.v, worker: id });
      return fail(nodeId, { message: e.message, code: e.code, name: e.name });
    }
    const { input, results, actor } = decodePayload(data.p) as {
      input: unknown;
      results?: Record<string, unknown>;
      actor?: Actor;
    };
    const send = (p: NodeProgress) => void job.updateProgress(p as object).catch(ignore);
    const jobId = job.id ?? '';
    const abort = new JobAbort();
    running.set(jobId, abort);
    let out: Awaited<ReturnType<typeof runNodeOnWorker>>;
    try {
      out = await runNodeOnWorker(engine, wf, {
        executionId: data.e,
        nodeId,
        attempt: data.a,
        input,
        results: results ?? {},
        actor,
        // Read by core only when the node looks at ctx.signal or runs a command.
        get signal() {
          return abort.signal;
        },
        workerId: id,
        carrier: data.c,
        onLog: (level, message, fields) =>
          send({ t: 'log', level, message, ...(fields === undefined ? {} : { fields }) }),
        onEvent: (name, payload) => send({ t: 'event', name, payload }),
      });
    } finally {
      if (running.get(jobId) === abort) running.delete(jobId);
    }
    if (!out.ok) return fail(nodeId, out.error);
    try {
      return encodePayload({ ok: true, value: out.value }, { nodeId, what: 'result', limit: options.maxPayloadBytes });
    } catch (e) {
      const err = e as BullmqError;
      return fail(nodeId, { message: err.message, code: err.code, name: err.name });
    }
  };

  const worker = new Worker<NodeJobData, string>(options.group, run, {
    connection: redis,
    prefix,
    concurrency: options.concurrency ?? 1,
    maxStalledCount: 0,
    ...(limiter === undefined ? {} : { limiter: { ...limiter } }),
    ...(options.lockDuration === undefined ? {} : { lockDuration: options.lockDuration }),
    ...(options.stalledInterval === undefined ? {} : { stalledInterval: options.stalledInterval }),
  });
  worker.on('error', (e) => (options.engine?.logger ?? console).warn('bullmq worker error', { error: e.message }));
  await sub.subscribe(k.cancel);
  sub.on('message', (_channel: string, jobId: string) => {
    running.get(jobId)?.abort('cancelled by the coordinator');
  });
  const heartbeat = () => redis.zadd(k.workers, Date.now(), member).catch(() => undefined);
  await heartbeat();
  const timer = setInterval(() => void heartbeat(), beatMs);
  timer.unref();
  await worker.waitUntilReady();

  let closing: Promise<void> | undefined;
  return {
    id,
    group: options.group,
    close() {
      closing ??= (async () => {
        clearInterval(timer);
        // Redis unreachable (before or during the close): stop without waiting for it; the jobs this worker was
        // running are aborted, and stall in Redis (their coordinators see FL_BULLMQ_WORKER_LOST once their locks expire).
        await closeOrForce(
          redis,
          async () => {
            await worker.close();
            await redis.zrem(k.workers, member);
          },
          () => {
            // Their results could not be stored: abort the running jobs (ctx.signal) instead of letting them run on.
            for (const a of running.values()) a.abort('the worker closed while Redis was unreachable');
            void worker.close(true).catch(() => undefined);
            void worker.disconnect().catch(() => undefined);
          },
        );
        sub.disconnect();
        redis.disconnect();
        await engine.close();
      })();
      return closing;
    },
  };
}
