import type { SchedulerLike } from 'rxjs';
import type { BackendLink } from './backend-link.js';
import { keyOf } from './keys.js';
import type { NodeAdmission, NodeFlow } from './types.js';

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
   * the run ends while it waits.
   */
  async enterNode(n: NodeAdmission): Promise<() => void> {
    const base = `${n.ctx.workflow}/${n.nodeId}`;
    const slot =
      n.concurrency === undefined
        ? undefined
        : `${base}:concurrency:${keyOf(n.concurrency.key, n.ctx, 'concurrency.key')}`;
    const rate =
      n.rateLimit === undefined ? undefined : `${base}:rate:${keyOf(n.rateLimit.key, n.ctx, 'rateLimit.key')}`;
    for (;;) {
      n.signal.throwIfAborted();
      const backend = this.#link.backend;
      if (slot !== undefined) {
        const ok = await backend.acquire({ key: slot, limit: n.concurrency!.limit, holder: n.holder });
        if (!ok) {
          await this.#wait(slot, backend.pollInterval, n.signal);
          continue;
        }
      }
      if (rate !== undefined) {
        const r = n.rateLimit!;
        const now = this.#clock.now();
        const d = await backend.take({ key: rate, limit: r.limit, period: r.period, now, holder: n.holder });
        if (!d.admitted) {
          if (slot !== undefined) this.#link.release(slot, n.holder);
          await this.#wait(undefined, Math.max(0, d.retryAt - now), n.signal);
          continue;
        }
      }
      let released = false;
      return () => {
        if (released || slot === undefined) return;
        released = true;
        this.#link.release(slot, n.holder);
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
