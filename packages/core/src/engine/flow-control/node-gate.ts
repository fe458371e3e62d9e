import type { SchedulerLike } from 'rxjs';
import type { NodeAdmission, NodeFlow } from '../../contracts/flow-control.js';
import { FlowlaneError } from '../../errors.js';
import type { BackendLink } from './backend-link.js';
import { keyOf } from './keys.js';

/** One admission through backend slots and windows (a node attempt or a subworkflow run). */
export interface Admission {
  readonly slot: { readonly key: string; readonly limit: number } | undefined;
  readonly rate:
    | {
        readonly key: string;
        readonly limit: number;
        readonly period: number;
        /** Set with `mode: 'drop'`: the error to end with instead of waiting for the window. */
        readonly drop: (() => Error) | undefined;
      }
    | undefined;
  /** Unique per attempt (node) or the execution id (run). */
  readonly holder: string;
  readonly signal: AbortSignal;
}

/**
 * Node-level flow control (`concurrency` / `rateLimit` in a node's options): bounds attempts of one node per key
 * across every run of the engine (or of the engines sharing the backend). Waiting attempts retry when this engine
 * frees a slot of their key, after the backend's poll interval, or when the rate window lets them in.
 */
export class NodeGate implements NodeFlow {
  readonly #link: BackendLink;
  readonly #clock: SchedulerLike;
  /** Node attempts waiting for a slot, by backend key: woken when this engine releases one. */
  readonly #waiters = new Map<string, Set<() => void>>();

  constructor(link: BackendLink, clock: SchedulerLike) {
    this.#link = link;
    this.#clock = clock;
    link.onRelease((slot) => {
      const wake = this.#waiters.get(slot);
      if (wake === undefined) return;
      this.#waiters.delete(slot);
      for (const w of wake) w();
    });
  }

  /**
   * Resolves with the function that releases the slot once the attempt may start; rejects with `signal.reason` when
   * the run ends while it waits, and with `FL_RATE_LIMITED` when `rateLimit.mode` is `'drop'` and the window is full.
   */
  async enterNode(n: NodeAdmission): Promise<() => void> {
    const base = `${n.ctx.workflow}/${n.nodeId}`;
    const c = n.concurrency;
    const r = n.rateLimit;
    const rateKey = r === undefined ? undefined : keyOf(r.key, n.ctx, 'rateLimit.key');
    return this.enter({
      slot:
        c === undefined
          ? undefined
          : { key: `${base}:concurrency:${keyOf(c.key, n.ctx, 'concurrency.key')}`, limit: c.limit },
      rate:
        r === undefined
          ? undefined
          : {
              key: `${base}:rate:${rateKey}`,
              limit: r.limit,
              period: r.period,
              drop:
                r.mode === 'drop'
                  ? () =>
                      new FlowlaneError('FL_RATE_LIMITED', {
                        executionId: n.ctx.executionId,
                        workflow: n.ctx.workflow,
                        nodeId: n.nodeId,
                        key: rateKey!,
                        limit: r.limit,
                        period: r.period,
                      })
                  : undefined,
            },
      holder: n.holder,
      signal: n.signal,
    });
  }

  /**
   * Waits for a slot of `a.slot` and a start in the window of `a.rate` (either may be absent), then resolves with the
   * slot's release function. Used for node attempts and for subworkflow runs (which wait for their key, never for
   * engine room). Rejects with `signal.reason` on abort, and with `a.rate.drop()` when dropping.
   */
  async enter(a: Admission): Promise<() => void> {
    const { slot, rate } = a;
    for (;;) {
      a.signal.throwIfAborted();
      const backend = this.#link.backend;
      if (slot !== undefined) {
        const ok = await backend.acquire({ key: slot.key, limit: slot.limit, holder: a.holder });
        if (!ok) {
          await this.#wait(slot.key, backend.pollInterval, a.signal);
          continue;
        }
      }
      if (rate !== undefined) {
        const now = this.#clock.now();
        const d = await backend.take({
          key: rate.key,
          limit: rate.limit,
          period: rate.period,
          now,
          holder: a.holder,
        });
        if (!d.admitted) {
          if (slot !== undefined) this.#link.release(slot.key, a.holder);
          if (rate.drop !== undefined) throw rate.drop();
          await this.#wait(undefined, Math.max(0, d.retryAt - now), a.signal);
          continue;
        }
      }
      let released = false;
      return () => {
        if (released || slot === undefined) return;
        released = true;
        this.#link.release(slot.key, a.holder);
      };
    }
  }

  /** Waits for a release of `slot` on this engine, `ms` on the engine clock, or the end of the run. */
  #wait(slot: string | undefined, ms: number | undefined, signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const done = (): void => {
        timer?.unsubscribe();
        signal.removeEventListener('abort', onAbort);
        if (slot !== undefined) this.#waiters.get(slot)?.delete(done);
        resolve();
      };
      const onAbort = (): void => {
        done();
        reject(signal.reason);
      };
      const timer = ms === undefined ? undefined : this.#clock.schedule(done, ms);
      if (slot !== undefined) {
        let set = this.#waiters.get(slot);
        if (set === undefined) this.#waiters.set(slot, (set = new Set()));
        set.add(done);
      }
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}
