import type { Observable } from 'rxjs';
import type { FlowlaneError, SerializedError } from '../errors.js';
import type { Actor } from '../plugin/contracts/security.js';
import type { FlowEvent, NodeStatus, RunStatus, TriggeredBy } from './events.js';

/** What happened to one node in a run. */
export interface NodeRecord {
  readonly status: NodeStatus;
  /** Attempts made (0 for skipped, cancelled-before-start and cache hits). */
  readonly attempts: number;
  readonly durationMs: number;
  /** The node's output; unlike `result.outputs`, secrets resolved in the run are redacted here (records are for persistence and display). */
  readonly output?: unknown;
  /** The (last) error, serialised and redacted; also set when a fallback or boundary recovered the node. */
  readonly error?: SerializedError | undefined;
  /** The fallback node whose output this node carries. */
  readonly fallbackUsed?: string | undefined;
  /** The error boundary that handled this node's failure. */
  readonly handledBy?: string | undefined;
  /** True when the output came from the cache. */
  readonly cacheHit?: boolean | undefined;
}

/** The settled outcome of a run. `run.result` never rejects for node failures. */
export interface RunResult<TOut extends object = Record<string, unknown>> {
  readonly executionId: string;
  readonly workflow: string;
  readonly status: RunStatus;
  /**
   * Outputs of the nodes that produced one, with their real values (secrets resolved by nodes are not redacted
   * here: this object is returned to the calling code only and never emitted, logged or persisted by the engine).
   */
  readonly outputs: Partial<TOut>;
  readonly nodes: Readonly<Record<string, NodeRecord>>;
  /** Why the run failed or was cancelled (`FL_NODE_FAILED`, `FL_CANCELLED`, `FL_INVALID_INPUT`, …), redacted. */
  readonly error?: FlowlaneError | undefined;
  readonly durationMs: number;
}

/** Options of `engine.run`. */
export interface RunOptions {
  /** Default: a random UUID. Must be unique among the engine's active runs. */
  readonly executionId?: string | undefined;
  /** Aborting cancels the run. */
  readonly signal?: AbortSignal | undefined;
  /**
   * Who the run acts for (checked against node `permissions`, written to audit records). Validated
   * (`FL_INVALID_ACTOR`) and deep-copied and frozen when the run starts: `ctx.actor` cannot be changed by a node.
   */
  readonly actor?: Actor | undefined;
  /**
   * Values to redact in this run (and its subworkflows) although no secrets provider returned them, e.g. a token
   * read from a file. Added to the values of `ctx.getSecret()`, `ctx.markSecret()` and the engine's `redact.also`.
   */
  readonly redact?: RedactOptions | undefined;
  /**
   * Admission priority among waiting runs of the same flow-control key (higher first; default the workflow's
   * `priority`, else 0). Between keys, `fairness` decides. Applies while runs wait for `maxConcurrentRuns` or a
   * flow-control limit.
   */
  readonly priority?: number | undefined;
  /** What started the run (set by triggers and schedules; shown on its `workflow.started` event). */
  readonly triggeredBy?: TriggeredBy | undefined;
}

/** Extra values to redact (`engine.run(…, { redact })`, `createEngine({ redact })`). */
export interface RedactOptions {
  /** Exact values treated like resolved secrets: replaced by `[REDACTED]` wherever the engine emits them. */
  readonly also?: readonly string[] | undefined;
}

/** A running (or queued) execution of a workflow. */
export interface Run<TOut extends object = Record<string, unknown>> {
  readonly executionId: string;
  readonly workflow: string;
  /** Typed events of this run; replays from the start to late subscribers and completes when the run settles. */
  readonly events$: Observable<FlowEvent>;
  /** Settles when the run ends; never rejects for node failures. */
  readonly result: Promise<RunResult<TOut>>;
  /** Deliver a signal to `ctx.waitForSignal(name)` (buffered if nobody waits yet). */
  signal(name: string, payload?: unknown): Promise<void>;
  /** Cancel: aborts every running node's `ctx.signal`, skips nodes not started, settles with `cancelled`. */
  cancel(reason?: string): void;
}
