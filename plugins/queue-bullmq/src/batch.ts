import type { JobsOptions, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { NodeJobData } from './protocol.js';

/** One node dispatch waiting for the next flush. */
export interface DispatchRequest {
  readonly queue: Queue;
  /** Key of the run's node → job id hash (one string per run: the batcher groups a turn's dispatches by it). */
  readonly inflightKey: string;
  readonly nodeId: string;
  /** The job id this dispatch sends if the node's slot is free. */
  readonly fresh: string;
  /** The job's data; only read when the job is added (a waiter may drop it once sent). */
  readonly data: NodeJobData | undefined;
  readonly opts: JobsOptions;
  /** Checked at flush time: an attempt aborted before its job was sent sends none. */
  readonly signal: AbortSignal;
  /**
   * The run was resumed from its log: a job its predecessor dispatched for the node is adopted. A fresh run (even one
   * reusing an earlier run's id) takes the node's slot for its own job instead.
   */
  readonly adopt: boolean;
}

/**
 * What the batcher tells about each dispatch: `sent` with the job id the node's slot holds once the job is added (the
 * request's `fresh` id, or a predecessor's job to adopt), or `undefined` when the attempt was aborted before its job
 * was sent; `failed` when Redis failed (nothing was sent). One pair of functions for every dispatch: no promise or
 * closure per node.
 */
export interface DispatchHandlers<R extends DispatchRequest> {
  sent(req: R, held: string | undefined): void;
  failed(req: R, error: unknown): void;
}

/**
 * A resumed run's claim: per `node, fresh id` pair, set the node's slot in the run hash to the fresh id unless it holds
 * one, and return the id it holds (one script call per run and flush instead of a MULTI per node). A fresh run takes
 * every slot with one HSET instead (its slots may hold an earlier run's jobs, which it must not adopt).
 */
const CLAIM = `
local out = {}
for i = 2, #ARGV, 2 do
  redis.call('HSETNX', KEYS[1], ARGV[i], ARGV[i + 1])
  out[#out + 1] = redis.call('HGET', KEYS[1], ARGV[i])
end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return out
`;

type ClaimingRedis = Redis & { flowlaneClaim(key: string, ...args: (string | number)[]): Promise<string[]> };

/**
 * Groups the dispatches of every node that becomes ready in one turn of the event loop: one claim per run and
 * one `Queue.addBulk` per group queue, flushed on `setImmediate`, instead of two or three round trips per node.
 */
export class DispatchBatcher<R extends DispatchRequest> {
  readonly #redis: ClaimingRedis;
  readonly #ttlMs: number;
  readonly #on: DispatchHandlers<R>;
  #pending: R[] = [];
  #scheduled: NodeJS.Immediate | undefined;
  readonly #flushNow = () => void this.#flush();

  /** `redis`: a connection of the coordinator's own (the claim script is defined on it). */
  constructor(redis: Redis, ttlMs: number, on: DispatchHandlers<R>) {
    redis.defineCommand('flowlaneClaim', { numberOfKeys: 1, lua: CLAIM });
    this.#redis = redis as ClaimingRedis;
    this.#ttlMs = ttlMs;
    this.#on = on;
  }

  /**
   * Claims the node's slot and adds its job (or finds the job already in the slot) with the other dispatches of this
   * turn; the outcome goes to the handlers.
   */
  dispatch(req: R): void {
    this.#pending.push(req);
    this.#scheduled ??= setImmediate(this.#flushNow);
  }

  /** Sends what is pending now (used on close). */
  async drain(): Promise<void> {
    if (this.#scheduled !== undefined) {
      clearImmediate(this.#scheduled);
      await this.#flush();
    }
  }

  async #flush(): Promise<void> {
    this.#scheduled = undefined;
    const batch = this.#pending;
    this.#pending = [];
    const on = this.#on;
    // By run hash, per mode (a run's dispatches of one turn share its key: one string per run, no key built per node).
    const fresh = new Map<string, R[]>();
    const adopting = new Map<string, R[]>();
    for (const req of batch) {
      if (req.signal.aborted) {
        on.sent(req, undefined);
        continue;
      }
      const byRun = req.adopt ? adopting : fresh;
      const list = byRun.get(req.inflightKey);
      if (list === undefined) byRun.set(req.inflightKey, [req]);
      else list.push(req);
    }
    // Claims: one per run (an HSET transaction for a fresh run, the claim script for a resumed one), all sent together.
    const claimed: R[] = [];
    const held: string[] = [];
    const claim = async (key: string, reqs: R[], adopt: boolean) => {
      try {
        const pairs: string[] = [];
        for (const r of reqs) pairs.push(r.nodeId, r.fresh);
        if (!adopt) {
          // A fresh run takes every slot: one HSET and the expiry in a transaction, nothing to read back (a per-node
          // HSET + HGET in a script cost Redis about 1 ms more per 1,000 nodes, and the reply as much to parse).
          const replies = await this.#redis
            .multi()
            .hset(key, ...pairs)
            .pexpire(key, this.#ttlMs)
            .exec();
          const failed = replies?.find(([err]) => err !== null)?.[0];
          if (replies === null || failed !== undefined) throw failed ?? new Error('claim transaction aborted');
          for (const r of reqs) {
            claimed.push(r);
            held.push(r.fresh);
          }
          return;
        }
        const ids = await this.#redis.flowlaneClaim(key, this.#ttlMs, ...pairs);
        for (const [n, r] of reqs.entries()) {
          claimed.push(r);
          held.push(ids[n] ?? r.fresh);
        }
      } catch (err) {
        for (const r of reqs) on.failed(r, err);
      }
    };
    const claims: Promise<void>[] = [];
    for (const [key, reqs] of fresh) claims.push(claim(key, reqs, false));
    for (const [key, reqs] of adopting) claims.push(claim(key, reqs, true));
    await Promise.all(claims);
    // Adds: one addBulk per group queue for the nodes whose slot took the fresh id.
    const byQueue = new Map<Queue, R[]>();
    for (let n = 0; n < claimed.length; n++) {
      const r = claimed[n]!;
      if (r.signal.aborted) on.sent(r, undefined);
      else if (held[n] !== r.fresh) on.sent(r, held[n]);
      else {
        const list = byQueue.get(r.queue);
        if (list === undefined) byQueue.set(r.queue, [r]);
        else list.push(r);
      }
    }
    await Promise.all(
      [...byQueue].map(async ([queue, reqs]) => {
        try {
          await queue.addBulk(reqs.map((r) => ({ name: r.nodeId, data: r.data, opts: { ...r.opts, jobId: r.fresh } })));
        } catch (err) {
          for (const r of reqs) on.failed(r, err);
          return;
        }
        for (const r of reqs) on.sent(r, r.fresh);
      }),
    );
  }
}
