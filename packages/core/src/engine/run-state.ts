import { setMaxListeners } from 'node:events';
import { inspect } from 'node:util';
import type { Observable, Subscription } from 'rxjs';
import type { CompiledGraph } from '../builder/compiled-graph.js';
import type { CustomEvent, FlowEvent, RunStatus } from '../contracts/events.js';
import type { RunOptions, RunResult } from '../contracts/run-types.js';
import type { FlowlaneError, SerializedError } from '../errors.js';
import { serializeError } from '../errors.js';
import type { RunEventsView } from '../plugin/contracts/run-events.js';
import type { Actor, ExecutionStorage, Lease } from '../plugin/types.js';
import { Redactor } from '../runtime/redactor.js';
import { internalsOf, type Workflow, type WorkflowInternals } from '../workflow.js';
import type { ArtifactStage } from './artifacts.js';
import type { EngineServices } from './engine-services.js';
import type { DirectRetries } from './fast-retry.js';
import type { Journal } from './journal.js';
import type { NodeExtra } from './node-status.js';
import type { ReplayState } from './replay.js';
import { logHandlerFailure, RunEventLog } from './run-events.js';
import type { RunHost } from './run-host.js';
import type { RunPlan } from './run-plan.js';
import type { SignalBox } from './signals.js';
import { claimState, stateBuffer } from './state-slab.js';

/**
 * Everything one run knows: its identity, per-node state in typed arrays (one region of a shared slab), the
 * ready-queue's counters and what is made on first use (leases, subscriptions, signals, storage). The modules around
 * the ready-queue (`run-start.ts`, `run-finish.ts`, `node-gates.ts`, `run-replay.ts`, `recovery.ts`…) read and
 * write it directly; the steps they call back into are the ready-queue's (`Execution`), declared abstract here so
 * those modules depend on this file only. Every field is internal: a user sees the run through the `Run` interface.
 */
export abstract class RunState {
  readonly executionId: string;
  readonly workflow: string;
  readonly result: Promise<RunResult>;
  /** The run's input (replaced by its schema's output once checked). */
  input: unknown;
  readonly actor: Actor | undefined;
  readonly outputs: Record<string, unknown> = Object.create(null) as Record<string, unknown>;

  /** @internal */ readonly rt: EngineServices<RunState>;
  /** @internal */ readonly wf: Workflow<unknown, object>;
  /** @internal */ readonly internals: WorkflowInternals;
  /** @internal */ readonly g: CompiledGraph;
  /** @internal The workflow's plan on this engine (set by `start`). */ plan!: RunPlan;
  /** @internal */ readonly parent: RunState | undefined;
  /** @internal */ readonly externalSignal: AbortSignal | undefined;
  /** @internal */ readonly triggeredBy: RunOptions['triggeredBy'];

  /** @internal Node states (`node-status.ts`). */ readonly st: Uint8Array;
  /** @internal Unsettled parents per node. */ readonly indeg: Int32Array;
  /** @internal The ready-queue: node indexes from `qh` (next to start) to `qt` (next free slot). */
  readonly queue: Int32Array;
  /** @internal */ qh = 0;
  /** @internal */ qt = 0;
  /** @internal Start time of each node (engine clock). */ readonly started: Float64Array;
  /** @internal */ readonly dur: Float64Array;
  /** @internal */ readonly attempts: Uint16Array;
  /** @internal Records' extras (error, fallback, boundary, cache hit), only for nodes that have one. */
  extra: Map<number, NodeExtra> | undefined;
  /** @internal */ parentSkipped: Uint8Array | undefined;
  /** @internal Concurrency groups: running count, waiting nodes, and which nodes hold a slot. */
  groupRunning: Int32Array | undefined;
  /** @internal */ groupWaiting: number[][] | undefined;
  /** @internal */ groupAdmitted: Uint8Array | undefined;
  /** @internal What to unsubscribe when the run ends early (pipelines, timers). */
  subs: Map<number, Subscription> | undefined;
  /** @internal */ leases: Map<number, Lease> | undefined;
  /** @internal Active nodes not settled yet. */ remaining: number;
  /** @internal The time of the step being processed. */ now = 0;
  /** @internal */ t0 = 0;
  /** @internal */ pumping = false;
  /** @internal */ done = false;
  /** @internal */ begun = false;
  /** @internal */ readonly eventLog: RunEventLog;
  /** @internal */ runError: FlowlaneError | undefined;
  /** @internal */ failedNode: string | undefined;
  /** @internal Custom events emitted on the engine after this mark are visible to getEvent (see CustomEventBoard). */
  customMark = 0;

  /** @internal */ ctrl: AbortController | undefined;
  /** @internal */ redactor: Redactor | undefined;
  /** @internal */ signals: Map<string, SignalBox> | undefined;
  /** @internal */ custom: Map<string, CustomEvent> | undefined;
  /** @internal */ storageView: ExecutionStorage | undefined;
  /** @internal */ artifactStage: ArtifactStage | undefined;
  /** @internal */ resolveResult!: (r: RunResult) => void;
  /** @internal Set when the log failed for good after the run ended (`FL_STORE_WRITE_FAILED`): the result is failed. */
  storeFailure: FlowlaneError | undefined;
  /** @internal The run's durable log (only with an execution store) and, for a resumed run, what its log rebuilt. */
  journal: Journal | undefined;
  /** @internal */ replay: ReplayState | undefined;
  /** @internal */ onExternalAbort: (() => void) | undefined;
  /** @internal */ retries: DirectRetries | undefined;

  constructor(
    rt: EngineServices<RunState>,
    wf: Workflow<unknown, object>,
    input: unknown,
    options: RunOptions,
    executionId: string,
    parent: RunState | undefined,
  ) {
    this.rt = rt;
    this.wf = wf;
    this.internals = internalsOf(wf);
    this.g = this.internals.graph;
    this.parent = parent;
    this.executionId = executionId;
    this.workflow = wf.name;
    this.input = input;
    this.actor = options.actor;
    this.externalSignal = options.signal;
    this.triggeredBy = options.triggeredBy;
    // Parent and subworkflow runs share one redaction set, so a secret resolved by either is redacted in both.
    if (parent !== undefined) this.redactor = parent.sharedRedactor();
    else if (rt.redactAlso.length > 0 || options.redact?.also !== undefined)
      this.redactor = redactorWith(rt.redactAlso, options.redact?.also);
    const n = this.g.ids.length;
    // One backing region for all per-node state (small runs share a block: see state-slab.ts).
    const at = claimState(31 * n);
    const buf = stateBuffer();
    this.started = new Float64Array(buf, at, n);
    this.dur = new Float64Array(buf, at + 8 * n, n);
    this.indeg = new Int32Array(buf, at + 16 * n, n);
    this.indeg.set(this.g.indegree);
    this.queue = new Int32Array(buf, at + 20 * n, 2 * n);
    this.attempts = new Uint16Array(buf, at + 28 * n, n);
    this.st = new Uint8Array(buf, at + 30 * n, n);
    this.remaining = this.g.activeCount;
    this.eventLog = new RunEventLog(
      this.internals.handlers,
      logHandlerFailure(rt.logger, this.workflow, (e) => this.serialize(e).message),
      // Not `this`: a plugin may keep the log's view (`PluginApi.runEvents`) after the run, never the run itself.
      { executionId: this.executionId, workflow: this.workflow },
      this.g.ids,
    );
    this.result = new Promise((resolve) => {
      this.resolveResult = resolve;
    });
  }

  /**
   * The run as users saw it before its state moved here: its public fields only (the internals below are enumerable
   * own properties, and reach the engine's services, which `JSON.stringify` must not walk).
   */
  toJSON(): object {
    const { outputs, executionId, workflow, input, actor, result } = this;
    return { outputs, executionId, workflow, input, actor, result };
  }

  /** `console.log(run)` / `util.inspect(run)`: the public fields, as {@link toJSON}. */
  [inspect.custom](_depth: number, options: object): string {
    return `${this.constructor.name} ${inspect(this.toJSON(), options)}`;
  }

  /* ───────────── The ready-queue's steps (implemented by Execution) ───────────── */

  /** @internal Drains the ready-queue (not re-entrant). */
  abstract pump(): void;
  /** @internal Starts node `i` (it left the ready-queue). */
  abstract startNode(i: number): void;
  /** @internal Node `i` passed its condition and group: admission by the scheduler, then its run. */
  abstract admit(i: number): void;
  /** @internal Node `i` produced `value`. `now`: a clock read made just before by the caller. */
  abstract succeed(i: number, value: unknown, via?: { kind: 'fallback' | 'boundary'; id: string }, now?: number): void;
  /** @internal Node `i` was skipped. */
  abstract skip(i: number, reason: 'condition' | 'dependency-skipped' | 'branch'): void;
  /** @internal Final state of node `i`: release its slot and lease, unlock its dependents. */
  abstract settle(i: number, status: number): void;
  /** @internal Node `i` failed (after its own retries): recovery decides what happens. */
  abstract nodeError(i: number, thrown: unknown): void;
  /** @internal Ends the run with `status`. */
  abstract finish(status: RunStatus): void;
  /** @internal Marks node `i` running and emits `node.started`. */
  abstract beginNode(i: number): void;
  /** @internal Calls node `i`'s behaviour (or starts its subworkflow). */
  abstract invoke(i: number, ctx: unknown, error: unknown): unknown;
  /** @internal Subscribes to node `i`'s pipeline, tracked until it settles. */
  abstract subscribe(
    i: number,
    source: Observable<unknown>,
    ok: (v: unknown) => void,
    fail: (e: unknown) => void,
  ): void;
  /** @internal Node `i`'s operator pipeline (`error`: the error a boundary handles). */
  abstract pipeline(i: number, error: unknown): Observable<unknown>;
  /** @internal The view of the run that health checks, rollback, artifacts and the pipeline use. */
  abstract host(): RunHost;

  /* ───────────── Shared by every part of the run ───────────── */

  /** @internal Publishes `e`: the run's stream, its journal, `onEvent` handlers, the engine, the parent run. */
  emit(e: FlowEvent): void {
    // Events of subworkflow runs carry their parent's id (added here so hot event literals keep one shape).
    if (this.parent !== undefined) (e as { parentExecutionId?: string }).parentExecutionId = this.parent.executionId;
    this.eventLog.push(e);
    this.journal?.event(e);
    this.eventLog.handle(e);
    this.rt.publish(e);
    this.parent?.forward(e);
  }

  /**
   * @internal True when no one would hear an event of `type` now (no parent run, journal, engine listener, `onEvent`
   * handler or live `events$` subscriber): the log then keeps it compact, as an object only once read.
   */
  unheard(type: 'node.started' | 'node.completed'): boolean {
    return this.parent === undefined && this.journal === undefined && this.eventLog.quiet(type) && !this.rt.heard(type);
  }

  /** Re-publishes a child run's event on this run's own stream (not on the engine's: the child published it). */
  forward(e: FlowEvent): void {
    this.eventLog.push(e);
    this.parent?.forward(e);
  }

  /** @internal Serialises an error, redacting the run's secrets. */
  serialize(e: unknown, stack = true): SerializedError {
    const options = stack ? undefined : { stack: false };
    return this.redactor?.active ? this.redactor.error(e, options) : serializeError(e, options);
  }

  /** @internal */
  setExtra(i: number, patch: NodeExtra): void {
    const map = (this.extra ??= new Map());
    map.set(i, { ...map.get(i), ...patch });
  }

  /** @internal Redacts the run's resolved secrets from a value. */
  redactValue<T>(value: T): T {
    return this.redactor?.active ? this.redactor.value(value) : value;
  }

  /** @internal The redaction set of this run's family (the top-level run's, shared with every subworkflow run). */
  /** @internal The run's event log as plugins read it (`PluginApi.runEvents`). */
  eventsView(): RunEventsView {
    return this.eventLog.view(this.executionId, this.workflow);
  }

  sharedRedactor(): Redactor {
    if (this.parent !== undefined) return (this.redactor ??= this.parent.sharedRedactor());
    return (this.redactor ??= new Redactor());
  }

  /** The run's abort signal (made on first use; aborted when the run ends early). */
  runSignal(): AbortSignal {
    if (this.ctrl === undefined) {
      this.ctrl = new AbortController();
      // One listener per waiting node (scheduler queue, signal waits, commands) is expected; each is removed.
      setMaxListeners(0, this.ctrl.signal);
    }
    return this.ctrl.signal;
  }
}

function redactorWith(...lists: (readonly string[] | undefined)[]): Redactor {
  const r = new Redactor();
  for (const list of lists) if (list !== undefined) for (const v of list) r.add(v);
  return r;
}
