import type { MiddlewareContext } from '@flowlane/core';
import type { JobsOptions, Queue } from 'bullmq';
import type { DispatchRequest } from './batch.js';
import type { NodeJobData } from './protocol.js';

/** What every waiter of a coordinator shares: the waiters by job id and the abort listeners. */
export interface WaiterHost {
  readonly waiters: Map<string, Waiter>;
  readonly aborts: AbortWatch;
}

/**
 * One dispatched node attempt, from its dispatch to its job's outcome: the batcher's request and the coordinator's
 * waiter in one object. Settling it (`resolve` / `reject`, once) stops listening for its job and its signal.
 */
export class Waiter implements DispatchRequest {
  /** The job it waits for (an adopted job's, once adopted). */
  jobId: string;
  /** When the job was sent (or adopted), ms. */
  since = Number.POSITIVE_INFINITY;
  /** The attempt's outcome (what the middleware returns). */
  readonly done: Promise<unknown>;
  readonly #host: WaiterHost;
  #resolve!: (v: unknown) => void;
  #reject!: (e: unknown) => void;

  constructor(
    host: WaiterHost,
    readonly ctx: MiddlewareContext,
    readonly queue: Queue,
    readonly inflightKey: string,
    readonly fresh: string,
    /** The job's data until the job is sent (then dropped: nothing reads it again while the job runs). */
    public data: NodeJobData | undefined,
    readonly opts: JobsOptions,
    readonly adopt: boolean,
  ) {
    this.#host = host;
    this.jobId = fresh;
    this.done = new Promise<unknown>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    host.waiters.set(fresh, this);
    // One abort listener per signal (the run's, or an attempt's with a timeout), not one per node: a run's nodes
    // share its signal, and an AbortSignal's listener list costs O(listeners) per add.
    host.aborts.watch(ctx.signal, this);
  }

  get nodeId(): string {
    return this.ctx.nodeId;
  }
  get signal(): AbortSignal {
    return this.ctx.signal;
  }

  resolve(v: unknown): void {
    this.#end();
    this.#resolve(v);
  }

  reject(e: unknown): void {
    this.#end();
    this.#reject(e);
  }

  #end(): void {
    const { waiters, aborts } = this.#host;
    if (waiters.get(this.jobId) === this) waiters.delete(this.jobId);
    aborts.unwatch(this.ctx.signal, this);
  }
}

/**
 * The waiters of each abort signal, behind one listener per signal: aborting it rejects every waiter it has.
 */
export class AbortWatch {
  readonly #bySignal = new Map<AbortSignal, { readonly set: Set<Waiter>; readonly onAbort: () => void }>();
  constructor(private readonly abort: (w: Waiter, reason: unknown) => void) {}

  watch(signal: AbortSignal, w: Waiter): void {
    let entry = this.#bySignal.get(signal);
    if (entry === undefined) {
      const set = new Set<Waiter>();
      const onAbort = () => {
        this.#bySignal.delete(signal);
        for (const x of [...set]) this.abort(x, signal.reason);
      };
      entry = { set, onAbort };
      this.#bySignal.set(signal, entry);
      signal.addEventListener('abort', onAbort, { once: true });
    }
    entry.set.add(w);
  }

  unwatch(signal: AbortSignal, w: Waiter): void {
    const entry = this.#bySignal.get(signal);
    if (entry === undefined || !entry.set.delete(w) || entry.set.size > 0) return;
    this.#bySignal.delete(signal);
    signal.removeEventListener('abort', entry.onAbort);
  }
}
