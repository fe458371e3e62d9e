import type { JobsOptions, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { NodeJobData } from './protocol.js';

/** One node dispatch waiting for the next flush. */
export interface DispatchRequest {
  readonly queue: Queue;
  /** Key of the run's node → job id hash. */
  readonly inflightKey: string;
  readonly nodeId: string;
  /** The job id this dispatch sends if the node's slot is free. */
  readonly fresh: string;
  readonly data: NodeJobData;
  readonly opts: JobsOptions;
  /** Checked at flush time: an attempt aborted before its job was sent sends none. */
  readonly signal: AbortSignal;
  /**
   * The run was resumed from its log: a job its predecessor dispatched for the node is adopted. A fresh run (even one
   * reusing an earlier run's id) takes the node's slot for its own job instead.
   */
  readonly adopt: boolean;
}

/** How a dispatch ended: its own job was added, or the node's slot held a predecessor's job (adopted). */
export interface DispatchOutcome {
  readonly jobId: string;
  readonly adopted: boolean;
}

interface Entry {
  readonly req: DispatchRequest;
  resolve(o: DispatchOutcome | undefined): void;
  reject(e: unknown): void;
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
export class DispatchBatcher {
  readonly #redis: ClaimingRedis;
  readonly #ttlMs: number;
  #pending: Entry[] = [];
  #scheduled: NodeJS.Immediate | undefined;

  /** `redis`: a connection of the coordinator's own (the claim script is defined on it). */
  constructor(redis: Redis, ttlMs: number) {
    redis.defineCommand('flowlaneClaim', { numberOfKeys: 1, lua: CLAIM });
    this.#redis = redis as ClaimingRedis;
    this.#ttlMs = ttlMs;
  }

  /**
   * Claims the node's slot and adds its job (or finds the job already in the slot) with the other dispatches of this
   * turn. Resolves `undefined` when the attempt was aborted before its job was sent.
   */
  dispatch(req: DispatchRequest): Promise<DispatchOutcome | undefined> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ req, resolve, reject });
      this.#scheduled ??= setImmediate(() => void this.#flush());
    });
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
    const live: Entry[] = [];
    for (const e of batch) {
      if (e.req.signal.aborted) e.resolve(undefined);
      else live.push(e);
    }
    // By run hash and mode (a run's dispatches of one turn share it; the key keeps two modes apart all the same).
    const byRun = new Map<string, Entry[]>();
    for (const e of live) {
      const key = `${e.req.adopt ? '1' : '0'}${e.req.inflightKey}`;
      const list = byRun.get(key);
      if (list === undefined) byRun.set(key, [e]);
      else list.push(e);
    }
    // Claims: one per run (an HSET transaction for a fresh run, the claim script for a resumed one), all sent together.
    const claimed: { entry: Entry; held: string }[] = [];
    await Promise.all(
      [...byRun].map(async ([mode, entries]) => {
        try {
          const key = mode.slice(1);
          const pairs: string[] = [];
          for (const e of entries) pairs.push(e.req.nodeId, e.req.fresh);
          if (mode[0] === '0') {
            // A fresh run takes every slot: one HSET and the expiry in a transaction, nothing to read back (a per-node
            // HSET + HGET in a script cost Redis about 1 ms more per 1,000 nodes, and the reply as much to parse).
            const replies = await this.#redis
              .multi()
              .hset(key, ...pairs)
              .pexpire(key, this.#ttlMs)
              .exec();
            const failed = replies?.find(([err]) => err !== null)?.[0];
            if (replies === null || failed !== undefined) throw failed ?? new Error('claim transaction aborted');
            for (const entry of entries) claimed.push({ entry, held: entry.req.fresh });
            return;
          }
          const held = await this.#redis.flowlaneClaim(key, this.#ttlMs, ...pairs);
          for (const [n, entry] of entries.entries()) claimed.push({ entry, held: held[n] ?? entry.req.fresh });
        } catch (err) {
          for (const e of entries) e.reject(err);
        }
      }),
    );
    // Adds: one addBulk per group queue for the nodes whose slot took the fresh id.
    const byQueue = new Map<Queue, Entry[]>();
    for (const { entry, held } of claimed) {
      if (entry.req.signal.aborted) {
        entry.resolve(undefined);
        continue;
      }
      if (held !== entry.req.fresh) {
        entry.resolve({ jobId: held, adopted: true });
        continue;
      }
      const list = byQueue.get(entry.req.queue);
      if (list === undefined) byQueue.set(entry.req.queue, [entry]);
      else list.push(entry);
    }
    await Promise.all(
      [...byQueue].map(async ([queue, entries]) => {
        try {
          await queue.addBulk(
            entries.map((e) => ({ name: e.req.nodeId, data: e.req.data, opts: { ...e.req.opts, jobId: e.req.fresh } })),
          );
          for (const e of entries) e.resolve({ jobId: e.req.fresh, adopted: false });
        } catch (err) {
          for (const e of entries) e.reject(err);
        }
      }),
    );
  }
}
