import type { FlowEvent, RunStatus } from '../../contracts/events.js';
import type { NodeRecord } from '../../contracts/run-types.js';
import type { SerializedError } from '../../errors.js';
import type { PropagationCarrier } from './propagation.js';
import type { Actor } from './security.js';

/* Plugin contracts: the run queue (whole-run dispatch, remote subworkflows). */

/** A whole run put on a {@link RunQueue}: what any coordinator needs to start it with its own engine. */
export interface QueuedRun {
  readonly executionId: string;
  /** The workflow's name and version: the coordinator that takes the run must have it registered. */
  readonly workflow: string;
  readonly version?: string | undefined;
  readonly input: unknown;
  readonly actor?: Actor | undefined;
  /** Higher first among waiting runs (default 0). */
  readonly priority?: number | undefined;
  /**
   * The context the run belongs to, from the asking engine's context propagators (e.g. W3C `traceparent`; absent
   * when there is none): the `engine.enqueue()` caller's, or for a {@link RemoteChildRun} its subworkflow node
   * attempt's. A queue stores it with the run and passes it back to `api.runQueue.start`, where the serving engine's
   * propagators make it the run's origin.
   */
  readonly carrier?: PropagationCarrier | undefined;
}

/**
 * The settled outcome of a run that ran in another process: like `RunResult`, but the error crossed a process
 * boundary, so it is the serialised (redacted) error with its `code`, not an Error instance.
 */
export interface QueuedRunResult<TOut extends object = Record<string, unknown>> {
  readonly executionId: string;
  readonly workflow: string;
  readonly status: RunStatus;
  readonly outputs: Partial<TOut>;
  readonly nodes: Readonly<Record<string, NodeRecord>>;
  readonly error?: SerializedError | undefined;
  readonly durationMs: number;
}

/** A subworkflow node's child run sent to the coordinators of another group (`runOn` on a subworkflow node). */
export interface RemoteChildRun extends QueuedRun {
  /** The group named by the node's `runOn`. */
  readonly group: string;
  readonly parentExecutionId: string;
  readonly nodeId: string;
  readonly attempt: number;
  /** Aborted when the parent run is cancelled or the node times out: the remote child run must be cancelled. */
  readonly signal: AbortSignal;
  /** Re-publish one of the child run's events on the parent run's stream (`parentExecutionId` is set by the caller). */
  readonly onEvent: (event: FlowEvent) => void;
}

/**
 * Where whole runs wait for a coordinator: installed by a queue plugin (e.g. `@flowlane/queue-bullmq`) with
 * `api.runQueue.set(queue)`. Used by `engine.enqueue` / `engine.waitForResult`, and by subworkflow nodes with a
 * `runOn` group when the queue implements `runChild`.
 */
export interface RunQueue {
  /** Store the run on the queue; resolves once it is stored (it runs later, on whichever coordinator takes it). */
  enqueue(run: QueuedRun): Promise<void>;
  /** Settles with the run's result once the coordinator that took it finishes it (from any process). */
  result(executionId: string, options?: { readonly signal?: AbortSignal | undefined }): Promise<QueuedRunResult>;
  /**
   * Run a subworkflow node's child run on a coordinator of `run.group`; resolves to the child's outputs, rejects with
   * a typed error when the child fails or is cancelled. Optional: without it, subworkflow nodes run in-process.
   */
  runChild?(run: RemoteChildRun): Promise<object>;
}

/** Options of `engine.enqueue`. */
export interface EnqueueOptions {
  /** Default: a random UUID. */
  readonly executionId?: string | undefined;
  /** Who the run acts for (as in `engine.run`). It travels with the run: keep it free of secrets. */
  readonly actor?: Actor | undefined;
  /** Higher first among waiting runs (default the workflow's `priority`, else 0). */
  readonly priority?: number | undefined;
}

/** What `engine.enqueue` returns: the run's id, and its result from whichever coordinator runs it. */
export interface EnqueuedRun<TOut extends object = Record<string, unknown>> {
  readonly executionId: string;
  /** Waits for the run to finish (as `engine.waitForResult(executionId)`); call it only if you need the result. */
  result(options?: { readonly signal?: AbortSignal | undefined }): Promise<QueuedRunResult<TOut>>;
}
