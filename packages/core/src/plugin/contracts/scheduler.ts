import type { Observable } from 'rxjs';
import type { NodeDescription } from '../../contracts/descriptions.js';
import type { SystemEvent } from '../../contracts/events.js';

/* Plugin contracts: scheduling. */

/** What a scheduler sees of a ready node asking to run. */
export interface AdmissionRequest {
  readonly executionId: string;
  readonly workflow: string;
  readonly node: NodeDescription;
  /** Higher runs first (from the node's `priority`, default 0). */
  readonly priority: number;
}

/** Permission to run one node, returned by {@link Scheduler.acquire}; given back through `release`. */
export interface Lease {
  readonly request: AdmissionRequest;
  /** The worker/host the scheduler placed the node on, exposed as `ctx.workerId` and used as executor target. */
  readonly workerId?: string | undefined;
}

/**
 * Decides which ready node runs next and where. `acquire` may answer synchronously (fast path) or with a promise
 * that resolves when the node may start; aborting `signal` (run cancelled) must reject or drop the request.
 */
export interface Scheduler {
  readonly name: string;
  acquire(request: AdmissionRequest, signal: AbortSignal): Lease | Promise<Lease>;
  release(lease: Lease, outcome: 'success' | 'failed' | 'cancelled'): void;
  /** Queue depth for metrics exporters. */
  pending?(): number;
  /**
   * Worker health changes (`worker.down` / `worker.up`) and resource expiry (`resource.expired`). The engine
   * subscribes once its plugins are set up and republishes them on `engine.systemEvents$` with `scheduler` set to
   * this scheduler's name; a wrapping scheduler (e.g. resource pools) forwards its inner scheduler's stream.
   */
  readonly events$?: Observable<SystemEvent> | undefined;
  dispose?(): void | Promise<void>;
}
