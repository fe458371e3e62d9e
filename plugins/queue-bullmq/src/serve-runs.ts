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
  type QueuedRunResult,
  type Run,
  serializeError,
  Tokens,
} from '@flowlane/core';
import { type Job, WaitingError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { decodePayload, encodePayload } from './codec.js';
import { BullmqError } from './errors.js';
import { checkKeys, checkMs, type keys } from './protocol.js';
import { childRunsQueue, ENQUEUED_RUNS_QUEUE, INFLIGHT_TTL_MS, type RunJobData, type RunProgress } from './run-jobs.js';

/*
 * Consumer side of the run queue (`bullmqDispatch({ serve })`): this coordinator takes run jobs (enqueued runs, child
 * runs of its coordinator groups) and runs them with its own engine, resuming a run a crashed coordinator started.
 */

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

/** What {@link serveRuns} needs from the run queue. */
export interface ServeRunsDeps {
  readonly api: PluginApi;
  readonly redis: Redis;
  readonly prefix: string;
  readonly keys: ReturnType<typeof keys>;
  readonly serve: BullmqServeOptions;
  readonly maxPayloadBytes: number | undefined;
  /** Connections the run queue disconnects last when it closes (the consumers' are added here). */
  readonly connections: Redis[];
}

/** The consumers of `serve`, stopped by the run queue's `close` / `abort`. */
export interface RunServer {
  /** Stops taking runs (the runs being run finish or go back to the queue). */
  close(): Promise<void>;
  /** Drops the consumers' connections at once (Redis unreachable): their runs stall and are taken over later. */
  abort(): void;
}

/** Starts the consumers of `serve` (their workers are ready when this resolves). */
export async function serveRuns(deps: ServeRunsDeps): Promise<RunServer> {
  const { api, redis, prefix, keys: k, serve, connections } = deps;
  const consumers = new Set<Worker>();
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
  const sub = redis.duplicate();
  sub.on('error', () => undefined);
  connections.push(sub);
  await sub.subscribe(k.cancel);
  sub.on('message', (_channel: string, jobId: string) => {
    for (const w of consumers) w.cancelJob(jobId, 'cancelled by the parent run');
  });
  await Promise.all([...consumers].map((w) => w.waitUntilReady()));
  return {
    async close() {
      await Promise.all([...consumers].map((c) => c.close()));
      sub.disconnect();
    },
    abort() {
      for (const c of consumers) {
        void c.close(true).catch(() => undefined);
        void c.disconnect().catch(() => undefined);
      }
    },
  };
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
