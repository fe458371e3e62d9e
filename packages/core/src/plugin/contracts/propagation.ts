/* Plugin contracts: context propagation (trace context and the like) across process boundaries. */

import type { TriggeredBy } from '../../contracts/events.js';
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

/** The top-level run a {@link ContextPropagator} is told about in {@link ContextPropagator.runStarting}. */
export interface RunPropagationScope {
  readonly executionId: string;
  readonly workflow: string;
  /** True for a run continued from its log (`engine.resume`, `resume: 'auto'`, a served run taken over). */
  readonly resumed: boolean;
  /** Set when a trigger or a schedule started the run (as on its `workflow.started` event). */
  readonly triggeredBy?: TriggeredBy | undefined;
}

/**
 * Where a top-level run was asked for, as {@link ContextPropagator.runStarting} gets it back. Both fields are absent
 * when the run has no caller to belong to: a schedule, a trigger on another run's end, `resume: 'auto'`.
 */
export interface RunOrigin {
  /**
   * What this propagator's {@link ContextPropagator.captureRun} returned in the call that asked for the run, in this
   * process: `engine.run()`, `engine.resume()`, or the `engine.emit()` / `ctx.emitEvent()` whose trigger started it.
   */
  readonly captured?: unknown;
  /**
   * A run taken from the run queue: the carrier fields `engine.enqueue()` sent with it (every propagator's
   * {@link ContextPropagator.runCarrier}, merged), possibly from another process.
   */
  readonly carrier?: PropagationCarrier | undefined;
  /**
   * A run continued from its durable log (`engine.resume`, `resume: 'auto'`, a served run taken over after its
   * coordinator died): the fields every propagator's {@link ContextPropagator.runContext} gave when the run first
   * started, read back from the run's first log record — possibly written by another process. Absent for runs that
   * were not logged with any.
   */
  readonly started?: PropagationCarrier | undefined;
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
 * - **runs**: the caller's context becomes the run's parent. `engine.run()`, `engine.resume()` and the events that
 *   start triggered runs call {@link ContextPropagator.captureRun} synchronously, in the caller's context; core keeps
 *   the value with the run, however long it waits for admission (`maxConcurrentRuns`, flow control), and hands it
 *   back to {@link ContextPropagator.runStarting} just before the run's `workflow.started` event. `engine.enqueue()`
 *   sends {@link ContextPropagator.runCarrier} with the queued run instead, to whichever coordinator serves it.
 *
 * Every method is optional and must not throw (a failure is logged and ignored: propagation never fails a node or a
 * run).
 *
 * @example
 * ```ts
 * import { definePlugin } from '@flowlane/core';
 *
 * export const requestIds = () =>
 *   definePlugin({
 *     name: 'flowlane-plugin-request-id',
 *     version: '1.0.0',
 *     flowlane: '^0.1.0',
 *     setup(api) {
 *       api.propagation.add({
 *         name: 'request-id',
 *         carrier: (s) => ({ 'x-request-id': `${s.executionId}/${s.nodeId}/${s.attempt}` }),
 *         env: (s) => ({ REQUEST_ID: `${s.executionId}/${s.nodeId}/${s.attempt}` }),
 *       });
 *     },
 *   });
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
  /**
   * The caller's context, taken synchronously when a run is asked for (e.g. the active span): an opaque value core
   * keeps with the run (never serialised, never shown) and hands back as `origin.captured` to
   * {@link ContextPropagator.runStarting}. Return `undefined` to record nothing.
   */
  captureRun?(): unknown;
  /**
   * `engine.enqueue()`: the caller's context as carrier fields, sent with the queued run (they cross processes: no
   * secrets). The serving coordinator's propagators get them as `origin.carrier` in
   * {@link ContextPropagator.runStarting}.
   */
  runCarrier?(): PropagationCarrier | undefined;
  /**
   * A top-level run is about to emit `workflow.started` (subworkflow runs are not announced: they belong to their
   * parent run): `origin` says where it was asked for. Called synchronously, right before the event, in this process.
   */
  runStarting?(run: RunPropagationScope, origin: RunOrigin): void;
  /**
   * Durable runs (an execution store is installed): the run's own context as carrier fields — e.g. its run span — kept
   * in the run's first log record (they are stored: no secrets). Called once per new top-level run, after
   * {@link ContextPropagator.runStarting} and before the `workflow.started` event; `at` is that event's timestamp. When
   * the run is later continued from its log, possibly by another process after a crash, the fields come back as
   * `origin.started` in `runStarting`, so the continued run can point to where it began.
   */
  runContext?(run: RunPropagationScope, at: number): PropagationCarrier | undefined;
}

/** How a remote attempt ended, as {@link ContextPropagator.runRemote} sees it (same shape as `RemoteNodeOutcome`). */
export type PropagatedOutcome =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly error: SerializedError };
