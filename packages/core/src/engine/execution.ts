import { isObservable, type Observable } from 'rxjs';
import { toObservable } from '../compile/to-observable.js';
import type { FlowEvent, RunStatus } from '../contracts/events.js';
import type { Run, RunOptions } from '../contracts/run-types.js';
import { FlowlaneError } from '../errors.js';
import type { Workflow } from '../workflow.js';
import { startCached } from './cache-first.js';
import type { EngineServices } from './engine-services.js';
import { nodeCompleted, nodeSkipped, nodeStarted } from './event-factory.js';
import { DirectRetries } from './fast-retry.js';
import type { Journal } from './journal.js';
import { callMiddleware } from './middleware-call.js';
import { acquire, checkCondition, failBeforeRun, release, waitForGroupSlot } from './node-gates.js';
import { RUNNING, SKIPPED, SUCCESS } from './node-status.js';
import { nodeError } from './recovery.js';
import type { ReplayState } from './replay.js';
import { cancelRun, finishRun } from './run-finish.js';
import { RunNodeContext } from './run-node-context.js';
import type { RunPlan } from './run-plan.js';
import { attachJournal, replayNode } from './run-replay.js';
import { RunServices } from './run-services.js';
import { startRun } from './run-start.js';
import { signalBox } from './signals.js';
import { runSubworkflow } from './subworkflow.js';

/**
 * One run of a workflow. The graph is driven by a ready-queue of in-degree counters in typed arrays, drained by a
 * loop (never recursion): nodes whose function returns a plain value complete inline, promises settle through one
 * `then`, and only nodes with options (retry, timeout, cache, middleware, permissions, health checks) go through
 * their RxJS operator pipeline.
 *
 * The run's state is {@link RunState}; what its nodes reach is {@link RunServices}. Around the ready-queue:
 * `run-start.ts` (admission, input, roots), `node-gates.ts` (condition, group slots, scheduler leases),
 * `recovery.ts` (fallbacks, boundaries), `run-finish.ts` (cancellation, rollback, result), `run-replay.ts` (resume).
 */
export class Execution extends RunServices implements Run {
  constructor(
    rt: EngineServices<Execution>,
    wf: Workflow<unknown, object>,
    input: unknown,
    options: RunOptions,
    executionId: string,
    parent?: Execution,
  ) {
    super(rt, wf, input, options, executionId, parent);
  }

  /* ───────────── Run API ───────────── */

  get events$(): Observable<FlowEvent> {
    return this.eventLog.events$;
  }

  async signal(name: string, payload?: unknown): Promise<void> {
    if (this.done) throw new FlowlaneError('FL_EXECUTION_NOT_FOUND', { executionId: this.executionId });
    const durable = this.journal?.signalReceived(name, payload);
    const box = signalBox((this.signals ??= new Map()), name);
    const waiter = box.waiters.shift();
    if (waiter !== undefined) waiter(payload);
    else box.buffer.push(payload);
    if (durable !== undefined) await durable;
  }

  cancel(reason = 'cancelled'): void {
    cancelRun(this, reason);
  }

  /* ───────────── Engine hooks ───────────── */

  /** @internal */
  get workflowRef(): Workflow<unknown, object> {
    return this.wf;
  }
  /** @internal */
  get isChild(): boolean {
    return this.parent !== undefined;
  }
  /** @internal The run whose subworkflow node started this one (flow control walks it to find held slots). */
  get parentRun(): Execution | undefined {
    return this.parent as Execution | undefined;
  }
  /** @internal */
  get wasStarted(): boolean {
    return this.plan !== undefined;
  }
  /** @internal Engine clock time the run began (0 while queued or validating its input). */
  get startedAt(): number {
    return this.t0;
  }
  /**
   * @internal Durable runs: the journal that writes this run's log, and for a resumed run the state rebuilt from
   * the log (see `durability.ts`). Called by the engine before `start`.
   */
  attachJournal(journal: Journal, replay?: ReplayState): void {
    attachJournal(this, journal, replay);
  }
  /** Called by the engine when the run is admitted, with the workflow's plan on this engine (see `run-start.ts`). */
  start(plan: RunPlan): void {
    startRun(this, plan);
  }

  /* ───────────── Ready-queue ───────────── */

  /** @internal */
  pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      // Plain nodes (run-plan.ts) skip every check of startNode and the option dispatch of #run, unless the run is
      // resumed (replay), has a scheduler (leases) or the node's parent was skipped.
      const plain = this.replay === undefined && this.rt.scheduler === undefined ? this.plan.plain : undefined;
      const queue = this.queue;
      while (this.qh < this.qt && !this.done) {
        const i = queue[this.qh++]!;
        if (plain !== undefined && plain[i] === 1 && this.parentSkipped?.[i] !== 1) this.runPlain(i);
        else this.startNode(i);
      }
    } finally {
      this.pumping = false;
    }
  }

  /** @internal Node `i` left the ready-queue: replay, group slot, skip, branch, permissions, condition — then run. */
  startNode(i: number): void {
    if (this.replay !== undefined && replayNode(this, this.replay, i)) return;
    const g = this.g;
    const o = g.defs[i]!.options;
    if (this.groupAdmitted?.[i] === 1) {
      this.admit(i);
      return;
    }
    if (this.parentSkipped?.[i] === 1 && o.runIfSkipped !== true) {
      this.skip(i, 'dependency-skipped');
      return;
    }
    const gate = g.branchGate[i]!;
    if (gate !== -1 && this.st[gate] === SUCCESS && Boolean(this.outputs[g.ids[gate]!]) !== (g.branchWhen[i] === 1)) {
      this.skip(i, 'branch');
      return;
    }
    // Permissions first: nothing of a protected node (its condition included) runs for an actor it does not admit.
    if (this.plan.nodes[i]!.guarded) {
      const denied = this.denial(i);
      if (denied !== undefined) {
        failBeforeRun(this, i, denied);
        return;
      }
    }
    if (o.condition !== undefined) checkCondition(this, i, o.condition, () => this.#group(i));
    else this.#group(i);
  }

  #group(i: number): void {
    const gi = this.g.groupOf[i]!;
    if (gi !== -1) {
      const cap = this.g.groups[gi]!.concurrency;
      if (cap !== undefined && cap !== Number.POSITIVE_INFINITY && waitForGroupSlot(this, i, gi, cap)) return;
    }
    this.admit(i);
  }

  /** @internal */
  admit(i: number): void {
    // Without a scheduler: straight to the run (no closures on the hot path).
    if (this.rt.scheduler === undefined) {
      this.#run(i);
      return;
    }
    acquire(
      this,
      i,
      this.g.defs[i]!.options.priority ?? 0,
      () => this.#run(i),
      (e) => failBeforeRun(this, i, e),
    );
  }

  /** @internal Marks node `i` running and emits `node.started` for its first attempt (1, or the next one resumed). */
  beginNode(i: number): void {
    this.st[i] = RUNNING;
    this.started[i] = this.now;
    const worker = this.leases?.get(i)?.workerId;
    if (worker === undefined && this.unheard('node.started')) this.eventLog.started(i, this.attempts[i]! + 1, this.now);
    else this.emit(nodeStarted(this, this.now, this.g.ids[i]!, this.attempts[i]! + 1, worker));
  }

  /**
   * @internal A plain node (`RunPlan.plain`) leaves the ready-queue: `node.started`, one call, then its value settles
   * inline, its promise through one `then`, its observable through a subscription — what {@link startNode} and
   * `#run` do for it, without their checks.
   */
  runPlain(i: number): void {
    const now = this.now;
    this.st[i] = RUNNING;
    this.started[i] = now;
    const attempt = ++this.attempts[i]!;
    if (this.unheard('node.started')) this.eventLog.started(i, attempt, now);
    else this.emit(nodeStarted(this, now, this.g.ids[i]!, attempt, undefined));
    // Plain nodes are never subworkflows: their behaviour is called straight from the plan's array (see invoke).
    let r: unknown;
    try {
      r = this.plan.invokers[i]!(new RunNodeContext(this, i, attempt), undefined);
    } catch (e) {
      this.nodeError(i, e);
      return;
    }
    if (r !== null && (typeof r === 'object' || typeof r === 'function')) this.#settleLater(i, r);
    else this.succeed(i, r);
  }

  /**
   * The time of a node whose native promise just fulfilled (its `then` callback runs now). A clock read is a system
   * call that costs as much as a small node's whole step on some machines, and a wave of async nodes fulfils in one
   * microtask checkpoint, so the callbacks share one read: a callback that runs before the microtask queued at the
   * last read ({@link #closeWindow}) was itself queued before that read, so its promise fulfilled before it, and the
   * run's latest reading (`now`, never earlier than that read) is a time at or after the node's completion — as a
   * fresh read would be, only closer. The window opens only while other promises of the run are awaited; other
   * thenables (which may call back at any time) and subclasses of Promise always read the clock.
   */
  #settledAt(): number {
    if (this.#window) return this.now;
    this.#window = true;
    queueMicrotask((this.#closeWindow ??= () => (this.#window = false)));
    return this.rt.clock.now();
  }

  /** Native promises of this run's nodes whose `then` callbacks have not run yet. */
  #awaited = 0;
  /** True from a clock read in {@link #settledAt} until the microtask queued by that read runs. */
  #window = false;
  #closeWindow: (() => boolean) | undefined;

  /** Node `i` returned an object: a promise settles it through `then`, an observable through its last value. */
  #settleLater(i: number, r: object): void {
    // 1 promise (3 a native one, whose callbacks run as microtask jobs: see #settledAt), 2 observable; reading a
    // returned value can throw too (a revoked Proxy).
    let kind: number;
    try {
      kind =
        typeof (r as PromiseLike<unknown>).then === 'function'
          ? r.constructor === Promise
            ? 3
            : 1
          : isObservable(r)
            ? 2
            : 0;
    } catch (e) {
      this.nodeError(i, e);
      return;
    }
    if (kind === 3) {
      this.#awaited++;
      (r as Promise<unknown>).then(
        (v) => {
          // The last awaited promise outside a window has no one to share a read with (a chain of async nodes).
          const others = --this.#awaited > 0;
          this.succeed(i, v, undefined, others || this.#window ? this.#settledAt() : this.rt.clock.now());
        },
        (e: unknown) => {
          this.#awaited--;
          this.nodeError(i, e);
        },
      );
    } else if (kind === 1)
      (r as PromiseLike<unknown>).then(
        (v) => this.succeed(i, v),
        (e: unknown) => this.nodeError(i, e),
      );
    else if (kind === 2)
      this.subscribe(
        i,
        toObservable(r as Observable<unknown>),
        (v) => this.succeed(i, v),
        (e) => this.nodeError(i, e),
      );
    else this.succeed(i, r);
  }

  #run(i: number): void {
    this.beginNode(i);
    const plan = this.plan.nodes[i]!;
    if (plan.retryOnly) {
      this.#directRetries().start(i, this.g.defs[i]!.options.retry!);
      return;
    }
    if (!plan.fast) {
      if (this.plan.viaMiddleware[i] === 1) {
        callMiddleware(
          this,
          i,
          (v) => this.succeed(i, v),
          (e) => this.nodeError(i, e),
        );
        return;
      }
      const cache = this.g.defs[i]!.options.cache;
      if (cache !== undefined) {
        startCached(this, i, cache);
        return;
      }
      this.subscribe(
        i,
        this.pipeline(i, undefined),
        (v) => this.succeed(i, v),
        (e) => this.nodeError(i, e),
      );
      return;
    }
    const attempt = ++this.attempts[i]!;
    let r: unknown;
    try {
      r = this.invoke(i, new RunNodeContext(this, i, attempt), undefined);
    } catch (e) {
      this.nodeError(i, e);
      return;
    }
    if (r !== null && (typeof r === 'object' || typeof r === 'function')) this.#settleLater(i, r);
    else this.succeed(i, r);
  }

  /** Retries run by the ready-queue for nodes whose only option is `retry` (see `fast-retry.ts`; made on first use). */
  #directRetries(): DirectRetries {
    return (this.retries ??= new DirectRetries(this.host(), {
      succeed: (i, v) => this.succeed(i, v),
      fail: (i, e) => this.nodeError(i, e),
      track: (i, sub) => {
        if (sub === undefined) this.subs?.delete(i);
        else (this.subs ??= new Map()).set(i, sub);
      },
    }));
  }

  /** @internal */
  invoke(i: number, ctx: unknown, error: unknown): unknown {
    const def = this.g.defs[i]!;
    if (def.kind === 'subworkflow')
      return runSubworkflow(this.rt as EngineServices<Execution>, def, ctx as RunNodeContext, this, this.actor);
    return this.plan.nodes[i]!.invoke(ctx as RunNodeContext, error);
  }

  /** @internal */
  subscribe(i: number, source: Observable<unknown>, ok: (v: unknown) => void, fail: (e: unknown) => void): void {
    let value: unknown;
    let settled = false;
    const sub = source.subscribe({
      next: (v) => {
        value = v;
      },
      error: (e: unknown) => {
        settled = true;
        this.subs?.delete(i);
        fail(e);
      },
      complete: () => {
        settled = true;
        this.subs?.delete(i);
        ok(value);
      },
    });
    if (!settled && !this.done) (this.subs ??= new Map()).set(i, sub);
  }

  /* ───────────── Settlement ───────────── */

  /** @internal `now`: a clock read made just before by the caller (a synchronous cache hit), else read here. */
  succeed(
    i: number,
    value: unknown,
    via?: { kind: 'fallback' | 'boundary'; id: string },
    now = this.rt.clock.now(),
  ): void {
    if (this.done) return;
    this.now = now;
    this.outputs[this.g.ids[i]!] = value;
    if (via === undefined && this.unheard('node.completed'))
      this.eventLog.completed(i, this.attempts[i]!, now, now - this.started[i]!);
    else this.emit(nodeCompleted(this, now, this.g.ids[i]!, this.attempts[i]!, now - this.started[i]!, via));
    this.settle(i, SUCCESS);
  }

  /** @internal */
  skip(i: number, reason: 'condition' | 'dependency-skipped' | 'branch'): void {
    this.started[i] = this.now;
    this.emit(nodeSkipped(this, this.now, this.g.ids[i]!, reason));
    this.settle(i, SKIPPED);
  }

  /** @internal Final state of node `i`: release its slot and lease, unlock its dependents. */
  settle(i: number, status: number): void {
    this.st[i] = status;
    this.dur[i] = this.now - this.started[i]!;
    release(this, i, status === SUCCESS || status === SKIPPED ? 'success' : 'failed');
    if (this.g.standby[i] === 1) return;
    const journal = this.journal;
    if (journal?.pending === true) {
      // Durable runs: dependents start only once this node's outcome is in the log.
      journal.whenDurable(() => {
        if (this.done) return;
        this.#unlock(i, status);
        if (!this.pumping) this.pump();
      });
      return;
    }
    this.#unlock(i, status);
  }

  /** Node `i` settled with `status`: its dependents' in-degrees drop; the run succeeds after the last node. */
  #unlock(i: number, status: number): void {
    const g = this.g;
    const skipped = status === SKIPPED;
    const children = g.children;
    const end = g.childStart[i + 1]!;
    for (let e = g.childStart[i]!; e < end; e++) {
      const c = children[e]!;
      if (skipped) (this.parentSkipped ??= new Uint8Array(g.ids.length))[c] = 1;
      if (--this.indeg[c]! === 0) this.queue[this.qt++] = c;
    }
    if (--this.remaining === 0) this.finish('success');
    else if (!this.pumping) this.pump();
  }

  /** @internal Node `i` failed (after its own retries): fallback → boundary → onError (see `recovery.ts`). */
  nodeError(i: number, thrown: unknown): void {
    nodeError(this, i, thrown);
  }

  /** @internal See `run-finish.ts`. */
  finish(status: RunStatus): void {
    finishRun(this, status);
  }
}
