import { setMaxListeners } from 'node:events';
import { isObservable, Observable, type Subscription } from 'rxjs';
import type { InjectionToken } from 'tsyringe';
import type { AuditInput, CacheOptions } from '../builder/types.js';
import { defaultCacheKey } from '../compile/cache-key.js';
import type { CompiledGraph } from '../compile/compiled-graph.js';
import type { WorkflowPlan } from '../compile/node-plan.js';
import { isThenable, toObservable } from '../compile/to-observable.js';
import { FlowlaneError, isFlowlaneError, type SerializedError, serializeError } from '../errors.js';
import type { Actor, ExecHandle, ExecOptions, ExecutionStorage, Executor, Lease } from '../plugin/types.js';
import { Redactor } from '../runtime/redactor.js';
import { internalsOf, type Workflow, type WorkflowInternals } from '../workflow.js';
import { ArtifactStage } from './artifacts.js';
import { actionDenied } from './authorize-action.js';
import type { EngineServices } from './engine-services.js';
import {
  nodeCancelled,
  nodeCompleted,
  nodeSkipped,
  nodeStarted,
  workflowCancelled,
  workflowCompleted,
  workflowFailed,
  workflowStarted,
} from './event-factory.js';
import type { CustomEvent, FlowEvent, RunStatus } from './events.js';
import { type CacheLookup, cacheHit, lookUp, nodeCacheKey, syncHit } from './fast-cache.js';
import { DirectRetries } from './fast-retry.js';
import type { Journal } from './journal.js';
import { LAZY_RECORDS_MIN_NODES, lazyRunResult } from './lazy-result.js';
import { nodePipeline } from './node-pipeline.js';
import { executorFor, resolveSecret, runStorage, writeAudit } from './node-services.js';
import { CANCELLED, FAILED, type NodeExtra, PENDING, RUNNING, SKIPPED, SUCCESS, WAITING } from './node-status.js';
import { nodeDenial } from './permissions.js';
import { announceRunStart, withPropagatedEnv } from './propagation.js';
import { nodeError, type RecoveryHost } from './recovery.js';
import type { ReplayState } from './replay.js';
import { rollbackRun } from './rollback.js';
import { logHandlerFailure, RunEventLog } from './run-events.js';
import type { RunHost } from './run-host.js';
import { checkInput } from './run-input.js';
import { type NodeServices, RunNodeContext } from './run-node-context.js';
import { nodeRecords, type RecordState, rebuildError, redactRunError } from './run-result.js';
import type { NodeRecord, Run, RunOptions, RunResult } from './run-types.js';
import { type SignalBox, signalBox, waitForEvent, waitForSignal } from './signals.js';
import { claimState, stateBuffer } from './state-slab.js';
import { runSubworkflow } from './subworkflow.js';

/**
 * One run of a workflow. The graph is driven by a ready-queue of in-degree counters in typed arrays, drained by a
 * loop (never recursion): nodes whose function returns a plain value complete inline, promises settle through one
 * `then`, and only nodes with options (retry, timeout, cache, middleware, permissions, health checks) go through
 * their RxJS operator pipeline.
 */
export class Execution implements Run, NodeServices {
  readonly executionId: string;
  readonly workflow: string;
  readonly result: Promise<RunResult>;
  readonly input: unknown;
  readonly actor: Actor | undefined;
  readonly outputs: Record<string, unknown> = Object.create(null) as Record<string, unknown>;

  readonly #rt: EngineServices<Execution>;
  readonly #wf: Workflow<unknown, object>;
  readonly #in: WorkflowInternals;
  readonly #g: CompiledGraph;
  #plan!: WorkflowPlan;
  readonly #parent: Execution | undefined;
  readonly #externalSignal: AbortSignal | undefined;
  readonly #triggeredBy: RunOptions['triggeredBy'];

  readonly #st: Uint8Array;
  readonly #indeg: Int32Array;
  readonly #queue: Int32Array;
  #qh = 0;
  #qt = 0;
  readonly #started: Float64Array;
  readonly #dur: Float64Array;
  readonly #attempts: Uint16Array;
  #extra: Map<number, NodeExtra> | undefined;
  #parentSkipped: Uint8Array | undefined;
  #groupRunning: Int32Array | undefined;
  #groupWaiting: number[][] | undefined;
  #groupAdmitted: Uint8Array | undefined;
  #subs: Map<number, Subscription> | undefined;
  #leases: Map<number, Lease> | undefined;
  #remaining: number;
  #now = 0;
  #t0 = 0;
  #pumping = false;
  #done = false;
  readonly #log: RunEventLog;
  #begun = false;
  #runError: FlowlaneError | undefined;
  /** Custom events emitted on the engine after this mark are visible to getEvent (see CustomEventBoard). */
  #customMark = 0;

  #ctrl: AbortController | undefined;
  #redactor: Redactor | undefined;
  #signals: Map<string, SignalBox> | undefined;
  #custom: Map<string, CustomEvent> | undefined;
  #storage: ExecutionStorage | undefined;
  #artifacts: ArtifactStage | undefined;
  #hostView: RunHost | undefined;
  #recoveryView: RecoveryHost | undefined;
  #failedNode: string | undefined;
  #resolve!: (r: RunResult) => void;
  /** Set when the log failed for good after the run ended (`FL_STORE_WRITE_FAILED`): the result is then failed. */
  #storeFailure: FlowlaneError | undefined;
  /** The run's durable log (only with an execution store) and, for a resumed run, the state its log rebuilt. */
  #journal: Journal | undefined;
  #replay: ReplayState | undefined;
  #onExternalAbort: (() => void) | undefined;
  #retries: DirectRetries | undefined;

  constructor(
    rt: EngineServices<Execution>,
    wf: Workflow<unknown, object>,
    input: unknown,
    options: RunOptions,
    executionId: string,
    parent?: Execution,
  ) {
    this.#rt = rt;
    this.#wf = wf;
    this.#in = internalsOf(wf);
    this.#g = this.#in.graph;
    this.#parent = parent;
    this.executionId = executionId;
    this.workflow = wf.name;
    this.input = input;
    this.actor = options.actor;
    this.#externalSignal = options.signal;
    this.#triggeredBy = options.triggeredBy;
    // Parent and subworkflow runs share one redaction set, so a secret resolved by either is redacted in both.
    if (parent !== undefined) this.#redactor = parent.sharedRedactor();
    else if (rt.redactAlso.length > 0 || options.redact?.also !== undefined)
      this.#redactor = redactorWith(rt.redactAlso, options.redact?.also);
    const n = this.#g.ids.length;
    // One backing region for all per-node state (small runs share a block: see state-slab.ts).
    const at = claimState(31 * n);
    const buf = stateBuffer();
    this.#started = new Float64Array(buf, at, n);
    this.#dur = new Float64Array(buf, at + 8 * n, n);
    this.#indeg = new Int32Array(buf, at + 16 * n, n);
    this.#indeg.set(this.#g.indegree);
    this.#queue = new Int32Array(buf, at + 20 * n, 2 * n);
    this.#attempts = new Uint16Array(buf, at + 28 * n, n);
    this.#st = new Uint8Array(buf, at + 30 * n, n);
    this.#remaining = this.#g.activeCount;
    this.#log = new RunEventLog(
      this.#in.handlers,
      logHandlerFailure(rt.logger, this.workflow, (e) => this.#serialize(e).message),
      this,
      this.#g.ids,
    );
    this.result = new Promise((resolve) => {
      this.#resolve = resolve;
    });
  }

  /* ───────────── Run API ───────────── */

  get events$(): Observable<FlowEvent> {
    return this.#log.events$;
  }

  async signal(name: string, payload?: unknown): Promise<void> {
    if (this.#done) throw new FlowlaneError('FL_EXECUTION_NOT_FOUND', { executionId: this.executionId });
    const durable = this.#journal?.signalReceived(name, payload);
    const box = signalBox((this.#signals ??= new Map()), name);
    const waiter = box.waiters.shift();
    if (waiter !== undefined) waiter(payload);
    else box.buffer.push(payload);
    if (durable !== undefined) await durable;
  }

  cancel(reason = 'cancelled'): void {
    if (this.#done) return;
    this.#runError = new FlowlaneError('FL_CANCELLED', { executionId: this.executionId, reason });
    this.#finish('cancelled');
  }

  /* ───────────── Engine hooks ───────────── */

  /** @internal */
  get workflowRef(): Workflow<unknown, object> {
    return this.#wf;
  }
  /** @internal */
  get isChild(): boolean {
    return this.#parent !== undefined;
  }
  /** @internal The run whose subworkflow node started this one (flow control walks it to find held slots). */
  get parentRun(): Execution | undefined {
    return this.#parent;
  }
  /** @internal */
  get wasStarted(): boolean {
    return this.#plan !== undefined;
  }
  /**
   * @internal Durable runs: the journal that writes this run's log, and for a resumed run the state rebuilt from
   * the log (see `durability.ts`). Called by the engine before `start`.
   */
  attachJournal(journal: Journal, replay?: ReplayState): void {
    this.#journal = journal;
    this.#replay = replay;
    if (replay === undefined) return;
    const g = this.#g;
    for (let i = 0; i < g.ids.length; i++) {
      const r = replay.nodes.get(g.ids[i]!);
      // Fallbacks and boundaries that completed keep their outputs (they never enter the ready-queue).
      if (g.standby[i] === 1 && r?.status === 'success') {
        this.outputs[g.ids[i]!] = r.output;
        this.#attempts[i] = r.attempts;
        this.#dur[i] = r.durationMs;
        this.#st[i] = SUCCESS;
      }
    }
    for (const [name, left] of replay.signals)
      if (left.length > 0) signalBox((this.#signals ??= new Map()), name).buffer.push(...left.map((x) => x.payload));
    for (const [name, c] of replay.custom)
      (this.#custom ??= new Map()).set(name, {
        type: 'custom',
        executionId: this.executionId,
        workflow: this.workflow,
        timestamp: c.at,
        name,
        ...(c.nodeId === undefined ? {} : { nodeId: c.nodeId }),
        payload: c.payload,
      });
  }
  /** @internal Engine clock time the run began (0 while queued or validating its input). */
  get startedAt(): number {
    return this.#t0;
  }
  /** @internal */
  get journal(): Journal | undefined {
    return this.#journal;
  }
  /** @internal Redacts the run's resolved secrets from a value (for the log). */
  redactValue(value: unknown): unknown {
    return this.#redactor?.active ? this.#redactor.value(value) : value;
  }
  /** @internal The log can no longer be written (fenced, duplicate id): the run stops here without a final record. */
  stopDurable(error: FlowlaneError, status: 'cancelled' | 'failed' = 'cancelled'): void {
    if (this.#done) {
      // The run ended but its last records cannot be stored: it is not durable, so its result is a failure.
      if (status === 'failed') this.#storeFailure = error;
      return;
    }
    this.#runError = error;
    // Cancelled when another engine owns the run now or it never became durable (no rollback runs here); failed when
    // the store refused the log for good (FL_STORE_WRITE_FAILED): the run ends as any failed run does.
    this.#finish(status);
  }
  /** @internal Flow control ended this run before it started (e.g. `FL_RATE_LIMITED` with `rateLimit.mode: 'drop'`). */
  dropBeforeStart(error: FlowlaneError): void {
    if (this.#done) return;
    this.#runError = error;
    this.#finish('cancelled');
  }
  /** @internal The engine could not start this run (plugin setup failed). */
  failBeforeStart(error: unknown): void {
    this.#runError = isFlowlaneError(error)
      ? (error as FlowlaneError)
      : new FlowlaneError(
          'FL_PLUGIN_SETUP_FAILED',
          { plugin: '(unknown)', reason: serializeError(error).message },
          { cause: error },
        );
    this.#finish('failed');
  }

  /* ───────────── Start ───────────── */

  /** Called by the engine when the run is admitted, with the workflow's plan on this engine. */
  start(plan: WorkflowPlan): void {
    if (this.#done) return;
    this.#plan = plan;
    const denied =
      this.#parent === undefined && typeof this.#rt.permissionPolicy.authorize === 'function'
        ? actionDenied(this.#rt.permissionPolicy, {
            action: 'run',
            actor: this.actor,
            workflow: this.workflow,
            executionId: this.executionId,
          })
        : undefined;
    if (denied !== undefined) {
      this.#runError = denied;
      this.#finish('failed');
      return;
    }
    const ext = this.#externalSignal;
    if (ext !== undefined) {
      if (ext.aborted) {
        this.cancel(reasonText(ext.reason, 'aborted by the caller'));
        return;
      }
      this.#onExternalAbort = () => this.cancel(reasonText(ext.reason, 'aborted by the caller'));
      ext.addEventListener('abort', this.#onExternalAbort, { once: true });
    }
    const schema = this.#in.inputSchema;
    if (schema === undefined) {
      this.#begin();
      return;
    }
    checkInput(
      schema,
      this.input,
      (value) => {
        if (this.#done) return;
        (this as { input: unknown }).input = value;
        this.#begin();
      },
      (issues) => {
        if (!this.#done) this.#invalidInput(issues);
      },
    );
  }

  #invalidInput(issues: string[]): void {
    this.#runError = new FlowlaneError('FL_INVALID_INPUT', { workflow: this.workflow, issues });
    this.#finish('failed');
  }

  #begin(): void {
    this.#begun = true;
    this.#customMark = this.#rt.lastCustom.mark();
    this.#t0 = this.#now = this.#rt.clock.now();
    this.#log.listen(this.#rt.customListeners);
    if (this.#parent === undefined && this.#rt.propagators.length > 0) {
      // Where the run was asked for (the engine kept it while the run waited: see propagation.ts).
      const origin = this.#rt.runOrigins.get(this);
      this.#rt.runOrigins.delete(this);
      announceRunStart(
        this.#rt.propagators,
        {
          executionId: this.executionId,
          workflow: this.workflow,
          resumed: this.#replay !== undefined,
          ...(this.#triggeredBy === undefined ? {} : { triggeredBy: this.#triggeredBy }),
        },
        origin,
        this.#rt.logger,
      );
    }
    this.#emit(
      workflowStarted(
        this,
        this.#now,
        this.#g.activeCount,
        this.actor?.id,
        this.#triggeredBy,
        this.#replay !== undefined,
      ),
    );
    const roots = this.#g.roots;
    for (let k = 0; k < roots.length; k++) this.#queue[this.#qt++] = roots[k]!;
    if (this.#remaining === 0) this.#finish('success');
    else this.#pump();
  }

  /* ───────────── Ready-queue ───────────── */

  #pump(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (this.#qh < this.#qt && !this.#done) this.#startNode(this.#queue[this.#qh++]!);
    } finally {
      this.#pumping = false;
    }
  }

  #startNode(i: number): void {
    if (this.#replay !== undefined && this.#replayNode(i)) return;
    const g = this.#g;
    const def = g.defs[i]!;
    const o = def.options;
    if (this.#groupAdmitted?.[i] === 1) {
      this.#admit(i);
      return;
    }
    if (this.#parentSkipped?.[i] === 1 && o.runIfSkipped !== true) {
      this.#skip(i, 'dependency-skipped');
      return;
    }
    const gate = g.branchGate[i]!;
    if (gate !== -1 && this.#st[gate] === SUCCESS && Boolean(this.outputs[g.ids[gate]!]) !== (g.branchWhen[i] === 1)) {
      this.#skip(i, 'branch');
      return;
    }
    // Permissions first: nothing of a protected node (its condition included) runs for an actor it does not admit.
    if (this.#plan.nodes[i]!.guarded) {
      const denied = this.#denial(i);
      if (denied !== undefined) {
        this.#failBeforeRun(i, denied);
        return;
      }
    }
    const condition = o.condition;
    if (condition !== undefined) {
      this.#st[i] = WAITING;
      let ok: unknown;
      try {
        ok = condition(new RunNodeContext(this, i, 0));
      } catch (e) {
        this.#failBeforeRun(i, e);
        return;
      }
      if (isThenable(ok)) {
        ok.then(
          (v) => {
            if (this.#done) return;
            this.#now = this.#rt.clock.now();
            if (v) this.#group(i);
            else this.#skip(i, 'condition');
            this.#pump();
          },
          (e: unknown) => this.#failBeforeRun(i, e),
        );
        return;
      }
      if (!ok) {
        this.#skip(i, 'condition');
        return;
      }
    }
    this.#group(i);
  }

  /** A resumed run: settles node `i` from its log when its outcome there is final (it does not run again). */
  #replayNode(i: number): boolean {
    const id = this.#g.ids[i]!;
    const replay = this.#replay!;
    const r = replay.nodes.get(id);
    if (r === undefined) {
      const last = replay.attempts.get(id);
      if (last === undefined) return false;
      // In flight at the crash: it runs again as the next attempt, after what was left of a retry delay.
      this.#attempts[i] = last;
      const retryAt = replay.retryAt.get(id);
      replay.attempts.delete(id);
      replay.retryAt.delete(id);
      const wait = retryAt === undefined ? 0 : retryAt - this.#rt.clock.now();
      if (wait <= 0) return false;
      this.#st[i] = WAITING;
      const timer = this.#rt.clock.schedule(() => {
        this.#subs?.delete(i);
        if (this.#done) return;
        this.#now = this.#rt.clock.now();
        this.#startNode(i);
        this.#pump();
      }, wait);
      (this.#subs ??= new Map()).set(i, timer);
      return true;
    }
    this.#started[i] = this.#now - r.durationMs;
    this.#attempts[i] = r.attempts;
    if (r.status === 'success') {
      this.outputs[id] = r.output;
      if (r.fallbackUsed !== undefined || r.handledBy !== undefined || r.cacheHit === true)
        this.#setExtra(i, {
          ...(r.fallbackUsed === undefined ? {} : { fallbackUsed: r.fallbackUsed }),
          ...(r.handledBy === undefined ? {} : { handledBy: r.handledBy }),
          ...(r.cacheHit === true ? { cacheHit: true } : {}),
        });
      this.#settle(i, SUCCESS);
    } else if (r.status === 'skipped') this.#settle(i, SKIPPED);
    else {
      this.#setExtra(i, { error: rebuildError(r.error!) });
      this.#settle(i, FAILED);
    }
    return true;
  }

  #group(i: number): void {
    const gi = this.#g.groupOf[i]!;
    if (gi !== -1) {
      const cap = this.#g.groups[gi]!.concurrency;
      if (cap !== undefined && cap !== Number.POSITIVE_INFINITY) {
        const running = (this.#groupRunning ??= new Int32Array(this.#g.groups.length));
        if (running[gi]! >= cap) {
          this.#st[i] = WAITING;
          const waiting = (this.#groupWaiting ??= this.#g.groups.map(() => []));
          waiting[gi]!.push(i);
          return;
        }
        running[gi]!++;
        (this.#groupAdmitted ??= new Uint8Array(this.#g.ids.length))[i] = 1;
      }
    }
    this.#admit(i);
  }

  #admit(i: number): void {
    // Without a scheduler: straight to the run (no closures on the hot path).
    if (this.#rt.scheduler === undefined) {
      this.#run(i);
      return;
    }
    this.#acquire(
      i,
      this.#g.defs[i]!.options.priority ?? 0,
      () => this.#run(i),
      (e) => this.#failBeforeRun(i, e),
    );
  }

  /**
   * Asks the scheduler (if any) to admit node `i` at `priority`, then calls `go` with its lease recorded (or `fail`
   * with the admission error). Without a scheduler `go` runs at once.
   */
  #acquire(i: number, priority: number, go: () => void, fail: (e: unknown) => void): void {
    const sched = this.#rt.scheduler;
    if (sched === undefined) {
      go();
      return;
    }
    const request = {
      executionId: this.executionId,
      workflow: this.workflow,
      node: this.#in.descriptions()[i]!,
      priority,
    };
    this.#st[i] = WAITING;
    let lease: Lease | Promise<Lease>;
    try {
      lease = sched.acquire(request, this.runSignal());
    } catch (e) {
      fail(e);
      return;
    }
    if (isThenable(lease)) {
      (lease as Promise<Lease>).then((l) => {
        if (this.#done) {
          sched.release(l, 'cancelled');
          return;
        }
        (this.#leases ??= new Map()).set(i, l);
        this.#now = this.#rt.clock.now();
        go();
        this.#pump();
      }, fail);
      return;
    }
    (this.#leases ??= new Map()).set(i, lease);
    go();
  }

  /** A node failed before its function ran (condition threw, admission failed): report it as its failure. */
  #failBeforeRun(i: number, error: unknown): void {
    if (this.#done) return;
    this.#begin_(i);
    // node.started said attempt 1: the record and node.failed say the same.
    if (this.#attempts[i] === 0) this.#attempts[i] = 1;
    this.#nodeError(i, error);
    this.#pump();
  }

  /** Marks node `i` running and emits `node.started` for its first attempt (1, or the next one in a resumed run). */
  #begin_(i: number): void {
    this.#st[i] = RUNNING;
    this.#started[i] = this.#now;
    const worker = this.#leases?.get(i)?.workerId;
    if (worker === undefined && this.#unheard('node.started')) this.#log.started(i, this.#attempts[i]! + 1, this.#now);
    else this.#emit(nodeStarted(this, this.#now, this.#g.ids[i]!, this.#attempts[i]! + 1, worker));
  }

  #run(i: number): void {
    this.#begin_(i);
    const plan = this.#plan.nodes[i]!;
    if (plan.retryOnly) {
      this.#directRetries().start(i, this.#g.defs[i]!.options.retry!);
      return;
    }
    if (!plan.fast) {
      const cache = this.#g.defs[i]!.options.cache;
      if (cache !== undefined) {
        this.#cacheFirst(i, cache);
        return;
      }
      this.#subscribe(
        i,
        this.#pipeline(i, undefined),
        (v) => this.#succeed(i, v),
        (e) => this.#nodeError(i, e),
      );
      return;
    }
    const attempt = ++this.#attempts[i]!;
    let r: unknown;
    try {
      r = this.#invoke(i, new RunNodeContext(this, i, attempt), undefined);
    } catch (e) {
      this.#nodeError(i, e);
      return;
    }
    if (r !== null && (typeof r === 'object' || typeof r === 'function')) {
      // 1 promise, 2 observable; reading a returned value can throw too (a revoked Proxy).
      let kind: number;
      try {
        kind = typeof (r as PromiseLike<unknown>).then === 'function' ? 1 : isObservable(r) ? 2 : 0;
      } catch (e) {
        this.#nodeError(i, e);
        return;
      }
      if (kind === 1) {
        (r as PromiseLike<unknown>).then(
          (v) => this.#succeed(i, v),
          (e: unknown) => this.#nodeError(i, e),
        );
        return;
      }
      if (kind === 2) {
        this.#subscribe(
          i,
          toObservable(r as Observable<unknown>),
          (v) => this.#succeed(i, v),
          (e) => this.#nodeError(i, e),
        );
        return;
      }
    }
    this.#succeed(i, r);
  }

  /**
   * A cached node looks its key up first (`fast-cache.ts`): a synchronous hit settles it at once, as the pipeline's
   * cache stage would (same events and record); otherwise the pipeline runs with this lookup.
   */
  #cacheFirst(i: number, cache: CacheOptions): void {
    const id = this.#g.ids[i]!;
    let lookup: CacheLookup;
    try {
      const part =
        cache.keyFn === undefined
          ? defaultCacheKey(this.#g, this.outputs, this.input, i)
          : cache.keyFn(new RunNodeContext(this, i, 1) as never);
      const key = nodeCacheKey(this.workflow, this.#wf.version, id, part);
      lookup = lookUp(cache.store ?? this.#rt.cacheStore, this.#rt.inflight, key);
    } catch (e) {
      this.#nodeError(i, e);
      return;
    }
    const hit = syncHit(lookup);
    if (hit === undefined) {
      this.#subscribe(
        i,
        nodePipeline(this.#host(), i, undefined, lookup),
        (v) => this.#succeed(i, v),
        (e) => this.#nodeError(i, e),
      );
      return;
    }
    this.#setExtra(i, { cacheHit: true });
    // One clock read for both events: nothing runs between them.
    const now = this.#rt.clock.now();
    this.#emit(cacheHit(this.executionId, this.workflow, now, id, false));
    this.#succeed(i, hit.value, undefined, now);
  }

  /** Retries run by the ready-queue for nodes whose only option is `retry` (see `fast-retry.ts`; made on first use). */
  #directRetries(): DirectRetries {
    return (this.#retries ??= new DirectRetries(this.#host(), {
      succeed: (i, v) => this.#succeed(i, v),
      fail: (i, e) => this.#nodeError(i, e),
      track: (i, sub) => {
        if (sub === undefined) this.#subs?.delete(i);
        else (this.#subs ??= new Map()).set(i, sub);
      },
    }));
  }

  #invoke(i: number, ctx: RunNodeContext, error: unknown): unknown {
    const def = this.#g.defs[i]!;
    if (def.kind === 'subworkflow') return runSubworkflow(this.#rt, def, ctx, this, this.actor);
    return this.#plan.nodes[i]!.invoke(ctx, error);
  }

  #subscribe(i: number, source: Observable<unknown>, ok: (v: unknown) => void, fail: (e: unknown) => void): void {
    let value: unknown;
    let settled = false;
    const sub = source.subscribe({
      next: (v) => {
        value = v;
      },
      error: (e: unknown) => {
        settled = true;
        this.#subs?.delete(i);
        fail(e);
      },
      complete: () => {
        settled = true;
        this.#subs?.delete(i);
        ok(value);
      },
    });
    if (!settled && !this.#done) (this.#subs ??= new Map()).set(i, sub);
  }

  /* ───────────── Per-node pipeline (only for nodes whose options need it) ───────────── */

  #pipeline(i: number, error: unknown): Observable<unknown> {
    return nodePipeline(this.#host(), i, error);
  }

  /** Asks the permission policy about node `i`: undefined when allowed, else the (audited) denial or its error. */
  #denial(i: number): unknown {
    return nodeDenial(
      this.#rt.permissionPolicy,
      { actor: this.actor, node: this.#in.descriptions()[i]!, workflow: this.workflow, executionId: this.executionId },
      (reason) => void this.audit(i, { action: 'node.execute', outcome: 'denied', details: { reason } }),
    );
  }

  /* ───────────── Settlement ───────────── */

  /** `now`: a clock read made just before by the caller (a synchronous cache hit), else read here. */
  #succeed(
    i: number,
    value: unknown,
    via?: { kind: 'fallback' | 'boundary'; id: string },
    now = this.#rt.clock.now(),
  ): void {
    if (this.#done) return;
    this.#now = now;
    this.outputs[this.#g.ids[i]!] = value;
    if (via === undefined && this.#unheard('node.completed'))
      this.#log.completed(i, this.#attempts[i]!, now, now - this.#started[i]!);
    else this.#emit(nodeCompleted(this, now, this.#g.ids[i]!, this.#attempts[i]!, now - this.#started[i]!, via));
    this.#settle(i, SUCCESS);
  }

  #skip(i: number, reason: 'condition' | 'dependency-skipped' | 'branch'): void {
    this.#started[i] = this.#now;
    this.#emit(nodeSkipped(this, this.#now, this.#g.ids[i]!, reason));
    this.#settle(i, SKIPPED);
  }

  /** Final state of node `i`: release its slot and lease, unlock its dependents. */
  #settle(i: number, status: number): void {
    const g = this.#g;
    this.#st[i] = status;
    this.#dur[i] = this.#now - this.#started[i]!;
    this.#release(i, status === SUCCESS || status === SKIPPED ? 'success' : 'failed');
    if (g.standby[i] === 1) return;
    const journal = this.#journal;
    if (journal?.pending === true) {
      // Durable runs: dependents start only once this node's outcome is in the log.
      journal.whenDurable(() => {
        if (this.#done) return;
        this.#unlock(i, status);
        if (!this.#pumping) this.#pump();
      });
      return;
    }
    this.#unlock(i, status);
  }

  /** Node `i` settled with `status`: its dependents' in-degrees drop; the run succeeds after the last node. */
  #unlock(i: number, status: number): void {
    const g = this.#g;
    const skipped = status === SKIPPED;
    const children = g.children;
    const end = g.childStart[i + 1]!;
    for (let e = g.childStart[i]!; e < end; e++) {
      const c = children[e]!;
      if (skipped) (this.#parentSkipped ??= new Uint8Array(g.ids.length))[c] = 1;
      if (--this.#indeg[c]! === 0) this.#queue[this.#qt++] = c;
    }
    if (--this.#remaining === 0) this.#finish('success');
    else if (!this.#pumping) this.#pump();
  }

  #release(i: number, outcome: 'success' | 'failed' | 'cancelled'): void {
    const lease = this.#leases?.get(i);
    if (lease !== undefined) {
      this.#leases!.delete(i);
      this.#rt.scheduler?.release(lease, outcome);
    }
    if (this.#groupAdmitted?.[i] === 1) {
      this.#groupAdmitted[i] = 0;
      const gi = this.#g.groupOf[i]!;
      this.#groupRunning![gi]!--;
      const next = this.#groupWaiting?.[gi]?.shift();
      if (next !== undefined && !this.#done) {
        this.#groupRunning![gi]!++;
        this.#groupAdmitted[next] = 1;
        this.#queue[this.#qt++] = next;
      }
    }
  }

  /** Node `i` failed (after its own retries): fallback → boundary → onError (see `recovery.ts`). */
  #nodeError(i: number, thrown: unknown): void {
    nodeError(this.#recoveryHost(), i, thrown);
  }

  #setExtra(i: number, patch: NodeExtra): void {
    const map = (this.#extra ??= new Map());
    map.set(i, { ...map.get(i), ...patch });
  }

  /* ───────────── End of run ───────────── */

  #finish(status: RunStatus): void {
    if (this.#done) return;
    this.#done = true;
    this.#now = this.#rt.clock.now();
    if (status !== 'success') {
      const reason =
        this.#runError ?? new FlowlaneError('FL_CANCELLED', { executionId: this.executionId, reason: status });
      const subs = this.#subs;
      this.#subs = undefined;
      if (subs !== undefined) for (const s of subs.values()) s.unsubscribe();
      this.#ctrl?.abort(reason);
      const st = this.#st;
      for (let i = 0; i < st.length; i++) {
        if (st[i]! <= RUNNING && (this.#g.standby[i] === 0 || st[i] !== PENDING)) {
          if (st[i] === RUNNING) {
            this.#dur[i] = this.#now - this.#started[i]!;
            // Nodes cut short get an event of their own, so exporters can close what node.started opened.
            this.#emit(
              nodeCancelled(this, this.#now, this.#g.ids[i]!, this.#attempts[i]!, this.#dur[i]!, reason.message),
            );
          }
          st[i] = CANCELLED;
          this.#release(i, 'cancelled');
        }
      }
      const signals = this.#signals;
      if (signals !== undefined) for (const box of signals.values()) box.waiters.length = 0;
    }
    if (status === 'failed' && this.#begun) {
      this.#rollback().then(
        () => this.#finalize(status, this.#rt.clock.now()),
        () => this.#finalize(status, this.#rt.clock.now()),
      );
      return;
    }
    this.#finalize(status, this.#now);
  }

  #rollback(): Promise<void> {
    return rollbackRun(this.#host(), {
      st: this.#st,
      attempts: this.#attempts,
      extra: this.#extra,
      outputs: this.outputs,
    });
  }

  /** `now`: the clock read at the end of the run (by `#finish`, or after the rollback). */
  #finalize(status: RunStatus, now: number): void {
    const durationMs = now - (this.#begun ? this.#t0 : now);
    if (status === 'success') this.#emit(workflowCompleted(this, now, durationMs));
    else if (status === 'cancelled')
      this.#emit(
        workflowCancelled(
          this,
          now,
          durationMs,
          (this.#runError?.details as { reason?: string } | undefined)?.reason ?? 'cancelled',
        ),
      );
    else this.#emit(workflowFailed(this, now, durationMs, this.#failedNode, this.#serialize(this.#runError)));

    this.#log.complete();
    this.#log.unlisten(this.#rt.customListeners);
    if (this.#onExternalAbort !== undefined) this.#externalSignal?.removeEventListener('abort', this.#onExternalAbort);
    if (this.#storage !== undefined) {
      try {
        const r = this.#rt.stateStore.release?.(this.executionId);
        if (isThenable(r))
          r.then(undefined, (e: unknown) => this.#rt.logger.warn('state store release failed', { error: String(e) }));
      } catch (e) {
        this.#rt.logger.warn('state store release failed', { error: String(e) });
      }
    }
    this.#artifacts?.cleanup(this.#host());
    this.#rt.settled(this);
    const result = this.#buildResult(status, durationMs);
    // A durable run reports its outcome only once its last record is stored.
    if (this.#journal === undefined) this.#resolve(result);
    else
      this.#journal
        .flushed()
        .then(() =>
          this.#resolve(
            this.#storeFailure === undefined
              ? result
              : { ...result, status: 'failed', error: redactRunError(this.#redactor, this.#storeFailure) },
          ),
        );
  }

  #buildResult(status: RunStatus, durationMs: number): RunResult {
    const error = this.#runError === undefined ? undefined : redactRunError(this.#redactor, this.#runError);
    // Records of a large run are built on first read (lazy-result.ts) from state that no longer changes. A run that
    // redacts builds them now (its redaction set is shared with its family and may grow after it ended).
    if (this.#g.ids.length < LAZY_RECORDS_MIN_NODES || this.#redactor?.active === true)
      return {
        executionId: this.executionId,
        workflow: this.workflow,
        status,
        outputs: this.outputs,
        nodes: this.#nodeRecords(),
        ...(error === undefined ? {} : { error }),
        durationMs,
      };
    const state: RecordState = {
      g: this.#g,
      st: this.#st,
      attempts: this.#attempts,
      dur: this.#dur,
      outputs: this.outputs,
      extra: this.#extra,
      redactor: undefined,
      serialize: (e) => serializeError(e),
    };
    const fields = { executionId: this.executionId, workflow: this.workflow, status, outputs: this.outputs, error };
    return lazyRunResult({ ...fields, durationMs }, () => nodeRecords(state));
  }

  #nodeRecords(): Record<string, NodeRecord> {
    return nodeRecords({
      g: this.#g,
      st: this.#st,
      attempts: this.#attempts,
      dur: this.#dur,
      outputs: this.outputs,
      extra: this.#extra,
      redactor: this.#redactor,
      serialize: (e) => this.#serialize(e),
    });
  }

  /* ───────────── Events ───────────── */

  #emit(e: FlowEvent): void {
    // Events of subworkflow runs carry their parent's id (added here so hot event literals keep one shape).
    if (this.#parent !== undefined) (e as { parentExecutionId?: string }).parentExecutionId = this.#parent.executionId;
    this.#log.push(e);
    this.#journal?.event(e);
    this.#log.handle(e);
    this.#rt.publish(e);
    this.#parent?.forward(e);
  }

  /**
   * True when no one would hear an event of `type` now (no parent run, journal, engine listener, `onEvent` handler
   * or live `events$` subscriber): the log then keeps it compact, as an object only once read.
   */
  #unheard(type: 'node.started' | 'node.completed'): boolean {
    return this.#parent === undefined && this.#journal === undefined && this.#log.quiet(type) && !this.#rt.heard(type);
  }

  /** Re-publishes a child run's event on this run's own stream (not on the engine's: the child published it). */
  forward(e: FlowEvent): void {
    this.#log.push(e);
    this.#parent?.forward(e);
  }

  #serialize(e: unknown, stack = true): SerializedError {
    const options = stack ? undefined : { stack: false };
    return this.#redactor?.active ? this.#redactor.error(e, options) : serializeError(e, options);
  }

  /* ───────────── The run as its services see it ───────────── */

  /** The view of this run that health checks, rollback, artifacts and the option pipeline use (made on first use). */
  #host(): RunHost {
    if (this.#hostView !== undefined) return this.#hostView;
    this.#hostView = {
      executionId: this.executionId,
      workflow: this.workflow,
      actor: this.actor,
      rt: this.#rt,
      g: this.#g,
      attempts: this.#attempts,
      priorFailures: (i) => this.#replay?.failures.get(this.#g.ids[i]!) ?? 0,
      outputs: this.outputs,
      version: this.#wf.version,
      origin: this,
      isDone: () => this.#done,
      emit: (e) => this.#emit(e),
      serialize: (e, stack) => this.#serialize(e, stack),
      runSignal: () => this.runSignal(),
      ctx: (i, attempt, ctrl) => new RunNodeContext(this, i, attempt, ctrl),
      execHandle: (i, command, options, signal) => this.execHandle(i, command, options, signal),
      executorFor: (i, target) => this.#executorFor(i, target),
      input: () => this.input,
      plan: (i) => this.#plan.nodes[i]!,
      descriptions: () => this.#in.descriptions(),
      invoke: (i, ctx, error) => this.#invoke(i, ctx as RunNodeContext, error),
      redact: <T>(value: T): T => (this.#redactor?.active ? this.#redactor.value(value) : value),
      markCacheHit: (i) => this.#setExtra(i, { cacheHit: true }),
      defaultCacheKey: (i) => defaultCacheKey(this.#g, this.outputs, this.input, i),
      adoptSecrets: (leader) => this.#adoptSecrets(leader as Execution),
      denial: (i) => this.#denial(i),
      artifacts: () => (this.#artifacts ??= new ArtifactStage(this.#rt.artifactsDir)),
    };
    return this.#hostView;
  }

  /** The view of this run that recovery (fallbacks, boundaries) uses (made on first failure). */
  #recoveryHost(): RecoveryHost {
    if (this.#recoveryView !== undefined) return this.#recoveryView;
    this.#recoveryView = {
      executionId: this.executionId,
      workflow: this.workflow,
      rt: this.#rt,
      g: this.#g,
      st: this.#st,
      dur: this.#dur,
      started: this.#started,
      attempts: this.#attempts,
      isDone: () => this.#done,
      now: () => this.#now,
      tick: () => (this.#now = this.#rt.clock.now()),
      emit: (e) => this.#emit(e),
      serialize: (e, stack) => this.#serialize(e, stack),
      redacting: () => this.#redactor?.active === true,
      setExtra: (i, patch) => this.#setExtra(i, patch),
      setOutput: (i, value) => {
        this.outputs[this.#g.ids[i]!] = value;
      },
      takeLease: (i) => {
        const lease = this.#leases?.get(i);
        if (lease !== undefined) this.#leases!.delete(i);
        return lease;
      },
      release: (i, outcome) => this.#release(i, outcome),
      settle: (i, status) => this.#settle(i, status),
      succeed: (i, value, via) => this.#succeed(i, value, via),
      acquire: (i, priority, go, fail) => this.#acquire(i, priority, go, fail),
      beginNode: (i) => this.#begin_(i),
      pipeline: (i, error) => this.#pipeline(i, error),
      subscribe: (i, source, ok, fail) => this.#subscribe(i, source, ok, fail),
      pump: () => this.#pump(),
      failRun: (error, nodeId) => {
        this.#runError = error;
        this.#failedNode = nodeId;
        this.#finish('failed');
      },
    };
    return this.#recoveryView;
  }

  /* ───────────── Services for RunNodeContext ───────────── */

  idOf(i: number): string {
    return this.#g.ids[i]!;
  }

  workerOf(i: number): string | undefined {
    return this.#leases?.get(i)?.workerId;
  }

  runSignal(): AbortSignal {
    if (this.#ctrl === undefined) {
      this.#ctrl = new AbortController();
      // One listener per waiting node (scheduler queue, signal waits, commands) is expected; each is removed.
      setMaxListeners(0, this.#ctrl.signal);
    }
    return this.#ctrl.signal;
  }

  log(
    i: number,
    level: 'debug' | 'info' | 'warn' | 'error',
    message: string,
    fields?: Readonly<Record<string, unknown>>,
  ): void {
    const r = this.#redactor;
    const msg = r?.active ? r.string(String(message)) : String(message);
    const f = fields === undefined ? undefined : r?.active ? r.value(fields) : fields;
    this.#emit({
      type: 'node.log',
      executionId: this.executionId,
      workflow: this.workflow,
      timestamp: this.#rt.clock.now(),
      nodeId: this.#g.ids[i]!,
      level,
      message: msg,
      ...(f === undefined ? {} : { fields: f }),
    });
  }

  emitCustom(i: number, name: string, payload: unknown): void {
    const r = this.#redactor;
    const e: CustomEvent = {
      type: 'custom',
      executionId: this.executionId,
      workflow: this.workflow,
      timestamp: this.#rt.clock.now(),
      name,
      nodeId: this.#g.ids[i]!,
      payload: r?.active ? r.value(payload) : payload,
    };
    (this.#custom ??= new Map()).set(name, e);
    this.#rt.lastCustom.publish(e);
    this.#emit(e);
    const listeners = this.#rt.customListeners.get(name);
    if (listeners !== undefined) for (const l of [...listeners]) l(e);
  }

  getCustom(name: string): CustomEvent | undefined {
    return this.#custom?.get(name) ?? this.#rt.lastCustom.since(name, this.#customMark);
  }

  waitForSignal(i: number, name: string, timeout: number | undefined, signal: AbortSignal): Promise<unknown> {
    const box = signalBox((this.#signals ??= new Map()), name);
    return waitForSignal(this.#rt.clock, box, this.#journal, this.#g.ids[i]!, name, timeout, signal);
  }

  waitForEvent(i: number, name: string, timeout: number | undefined, signal: AbortSignal): Promise<CustomEvent> {
    return waitForEvent(this.#rt.clock, this.#rt.customListeners, this.#g.ids[i]!, name, timeout, signal);
  }

  storage(): ExecutionStorage {
    this.#storage ??= runStorage(this.#rt.stateStore, this.executionId, () => this.#journal);
    return this.#storage;
  }

  getSecret(name: string): Promise<string> {
    return resolveSecret(this.#rt.secrets, () => this.sharedRedactor(), name);
  }

  /** `ctx.markSecret(value)`: redact a value that did not come from a secrets provider. */
  markSecret(value: string): void {
    if (typeof value !== 'string')
      throw new FlowlaneError('FL_INVALID_OPTION', {
        option: 'markSecret value',
        reason: `expected a string, got ${value === null ? 'null' : typeof value}`,
      });
    this.sharedRedactor().add(value);
  }

  /** Values made by another run (a shared cache computation) carry its secrets: redact them here too. */
  #adoptSecrets(other: Execution): void {
    const theirs = other.#redactor;
    if (theirs?.active) this.sharedRedactor().absorb(theirs);
  }

  /** @internal The redaction set of this run's family (the top-level run's, shared with every subworkflow run). */
  sharedRedactor(): Redactor {
    if (this.#parent !== undefined) return (this.#redactor ??= this.#parent.sharedRedactor());
    return (this.#redactor ??= new Redactor());
  }

  audit(i: number, record: AuditInput): Promise<void> {
    return writeAudit(this.#host(), this.#redactor, i, record);
  }

  execHandle(
    i: number,
    command: string,
    options: Omit<ExecOptions, 'signal'> | undefined,
    signal: AbortSignal,
  ): ExecHandle {
    const { executor, target } = this.#executorFor(i, options?.target);
    const nodeId = this.#g.ids[i]!;
    const scope = { executionId: this.executionId, workflow: this.workflow, nodeId, attempt: this.#attempts[i]! };
    return executor.exec(command, {
      ...withPropagatedEnv(this.#rt.propagators, scope, this.#rt.logger, options),
      signal,
      executionId: this.executionId,
      nodeId,
      ...(target === undefined ? {} : { target }),
    });
  }

  #executorFor(i: number, explicitTarget?: string): { executor: Executor; target: string | undefined } {
    return executorFor({ rt: this.#rt, g: this.#g }, i, explicitTarget, this.workerOf(i));
  }

  resolve<T>(token: InjectionToken<T>): T {
    return this.#rt.container.resolve(token);
  }
}

function redactorWith(...lists: (readonly string[] | undefined)[]): Redactor {
  const r = new Redactor();
  for (const list of lists) if (list !== undefined) for (const v of list) r.add(v);
  return r;
}

function reasonText(reason: unknown, fallback: string): string {
  if (reason instanceof Error) return reason.message;
  if (typeof reason === 'string') return reason;
  return fallback;
}
