/* Plugin contracts: context propagation (trace context and the like) across process boundaries. */

import type { SerializedError } from '../../errors.js';

/** The node attempt a {@link ContextPropagator} is asked about. */
export interface PropagationScope {
  readonly executionId: string;
  readonly workflow: string;
  readonly nodeId: string;
  readonly attempt: number;
  /** Set on a worker (`runNodeOnWorker`): the worker's id. */
  readonly workerId?: string | undefined;
}

/**
 * The string fields that carry a node attempt's observability context from one process to another — for W3C trace
 * context `{ traceparent, tracestate }`. Keys are the propagator's field names (lower case by convention).
 */
export type PropagationCarrier = Readonly<Record<string, string>>;

/**
 * Carries a node attempt's context (e.g. an OpenTelemetry span) to what the attempt starts in other processes. Added
 * by observability plugins with `api.propagation.add()`; core stays agnostic of the format:
 *
 * - **commands**: `ctx.exec` adds {@link ContextPropagator.env} to the node's own `env` (the node wins), for
 *   every executor (local, SSH, Docker, Kubernetes — each passes `env` its own way);
 * - **remote workers**: a dispatch plugin asks `api.propagation.carrier(scope)` and sends the fields with the job;
 *   the worker hands them to `runNodeOnWorker` as `request.carrier`, where the worker engine's propagators
 *   {@link ContextPropagator.runRemote | run the node inside} that context.
 *
 * Every method is optional and must not throw (a failure is logged and ignored: propagation never fails a node).
 *
 * @example
 * ```ts
 * api.propagation.add({
 *   name: 'request-id',
 *   carrier: (s) => ({ 'x-request-id': `${s.executionId}/${s.nodeId}/${s.attempt}` }),
 *   env: (s) => ({ REQUEST_ID: `${s.executionId}/${s.nodeId}/${s.attempt}` }),
 * });
 * ```
 */
export interface ContextPropagator {
  readonly name: string;
  /** The attempt's context as carrier fields, or `undefined` when it has none (not traced, opted out). */
  carrier?(scope: PropagationScope): PropagationCarrier | undefined;
  /**
   * Environment variables for a command the attempt runs (e.g. `TRACEPARENT`). Added to the node's `env` unless the
   * node sets one of them itself (then none of this propagator's are added: the node's context wins whole).
   */
  env?(scope: PropagationScope): Readonly<Record<string, string>> | undefined;
  /**
   * On a worker: run a remote attempt inside the context `carrier` names (`{}` when the coordinator sent none).
   * Call `run` exactly once and return what it returns (the node's value, or its error serialised and redacted).
   */
  runRemote?(
    scope: PropagationScope,
    carrier: PropagationCarrier,
    run: () => Promise<PropagatedOutcome>,
  ): Promise<PropagatedOutcome>;
}

/** How a remote attempt ended, as {@link ContextPropagator.runRemote} sees it (same shape as `RemoteNodeOutcome`). */
export type PropagatedOutcome =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly error: SerializedError };
