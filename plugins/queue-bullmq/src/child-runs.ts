import { randomBytes } from 'node:crypto';
import {
  type FlowEvent,
  isFlowlaneError,
  type PluginApi,
  type QueuedRunResult,
  type RemoteChildRun,
} from '@flowlane/core';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { decodePayload } from './codec.js';
import { BullmqError } from './errors.js';
import type { keys } from './protocol.js';
import { childRunsQueue, INFLIGHT_TTL_MS, runJobData, runJobId, runJobOptions } from './run-jobs.js';

/*
 * Hierarchical orchestrators: a subworkflow node with `runOn: '<group>'` runs its child run on a coordinator serving
 * that group (`serve.groups`, see serve-runs.ts); the child's events flow back to the parent run.
 */

/** Deletes a hash field only if it still holds the given value (a newer child run id is left alone). */
const FORGET_IF_SAME =
  "if redis.call('hget', KEYS[1], ARGV[1]) == ARGV[2] then return redis.call('hdel', KEYS[1], ARGV[1]) end return 0";

/** What {@link runChild} needs from the run queue. */
export interface ChildRunContext {
  readonly api: PluginApi;
  readonly redis: Redis;
  readonly keys: ReturnType<typeof keys>;
  /** Coordinator groups a child run may go to (`bullmqDispatch({ groups })`). */
  readonly groups: readonly string[];
  /** The run was resumed from its log on this engine (it adopts the child runs its predecessor started). */
  readonly isResumed: (executionId: string) => boolean;
  readonly maxPayloadBytes: number | undefined;
  readonly queueOf: (name: string) => Queue;
  /** Awaits run job `executionId` of queue `name` (see the run queue), `add`ing it first when given. */
  readonly awaitRun: (
    name: string,
    executionId: string,
    w: { onEvent?: ((e: FlowEvent, i: number | undefined) => void) | undefined },
    signal: AbortSignal | undefined,
    add?: () => Promise<unknown>,
  ) => Promise<QueuedRunResult>;
}

/** Runs a subworkflow node's child run on a coordinator of `req.group`: the run queue's `runChild`. */
export async function runChild(c: ChildRunContext, req: RemoteChildRun): Promise<object> {
  const { api, redis, keys: k } = c;
  if (!c.groups.includes(req.group))
    throw new BullmqError('FL_BULLMQ_UNKNOWN_GROUP', { nodeId: req.nodeId, group: req.group, groups: c.groups });
  // The node's child run id is kept in the parent's in-flight hash (field `run:<nodeId>`): a parent resumed on
  // another coordinator (its attempt count goes on) finds it and awaits the child already there instead of
  // starting a second one. A child that did not succeed is forgotten, so the node's retry starts a new child:
  // the first keeps the local subworkflow id `<parent>/<node>`, a retry's is `<parent>/<node>~<attempt>`.
  const slot = k.inflight(req.parentExecutionId);
  const field = `run:${req.nodeId}`;
  const name = childRunsQueue(req.group);
  let fresh = req.attempt <= 1 ? req.executionId : `${req.executionId}~${req.attempt}`;
  let executionId: string;
  if (c.isResumed(req.parentExecutionId)) {
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
    const held = await redis.exists(c.queueOf(name).toKey(runJobId(fresh)));
    if (held !== 0) fresh = `${fresh}.${randomBytes(4).toString('hex')}`;
    await redis.multi().hset(slot, field, fresh).pexpire(slot, INFLIGHT_TTL_MS).exec();
    executionId = fresh;
  }
  const forget = () => void redis.eval(FORGET_IF_SAME, 1, slot, field, executionId).catch(() => undefined);
  const data = runJobData({ ...req, executionId }, c.maxPayloadBytes, req.parentExecutionId);
  // The serving coordinator keeps every event of the child in a list (numbered 1, 2, …): events are forwarded in
  // that order, one after the other; a gap (an event kept by a coordinator killed before it sent it) is filled
  // from the list, and a resumed parent that (re-)attaches to a child which ran while no parent listened gets the
  // child's events so far from the list before the live ones. None is forwarded twice.
  const reattach = c.isResumed(req.parentExecutionId);
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
      r = await c.awaitRun(name, executionId, { onEvent }, req.signal, async () => {
        await c.queueOf(name).add(req.nodeId, data, runJobOptions(executionId, undefined));
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
}
