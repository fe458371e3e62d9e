import { randomUUID } from 'node:crypto';
import { asyncScheduler, type Observable, Subject, type Subscription } from 'rxjs';
import { planWorkflow, type WorkflowPlan } from '../compile/node-plan.js';
import { createMemoryAuditSink } from '../defaults/memory-audit-sink.js';
import { FlowlaneError, isFlowlaneError, serializeError } from '../errors.js';
import type { EnqueuedRun, EnqueueOptions, QueuedRun, QueuedRunResult } from '../plugin/contracts/run-queue.js';
import { checkPlugins, type ExporterHook, type PluginHostTarget, safe, setupPlugins } from '../plugin/plugin-host.js';
import { TokenKeys as Tokens } from '../plugin/token-keys.js';
import type { Actor, Logger } from '../plugin/types.js';
import type { Workflow } from '../workflow.js';
import { authorizeAction } from './authorize-action.js';
import { Durability, type RunsApi } from './durability.js';
import type { EngineOptions } from './engine-options.js';
import { createEngineRegistry, createHeard, createPublisher, type EngineRegistry } from './engine-registry.js';
import { type FlowEvent, type SystemEvent } from './events.js';
import { Execution } from './execution.js';
import { FlowGate } from './flow-control/gate.js';
import { type CapturedOrigin, captureRunOrigin, runOriginCarrier } from './propagation.js';
import { checkRedact, checkRunOptions } from './run-options.js';
import { enqueueRun, waitForQueuedResult } from './run-queue.js';
import type { Run, RunOptions, RunResult } from './run-types.js';
import { registerRuntime } from './runtime-registry.js';
import { type ScheduleHandle, type ScheduleOptions, ScheduleSet } from './schedules.js';
import { publishSystemEvent, relaySchedulerEvents } from './system-events.js';
import { type TriggerHandle, TriggerHub, type TriggerOptions } from './triggers.js';
import { validateEngineOptions, validateRunArgs } from './validate-options.js';

export type { EngineOptions } from './engine-options.js';

/** The options of a run started without any (shared: nothing writes to them). */
const NO_OPTIONS: RunOptions = Object.freeze({});

const consoleLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: (m, f) => console.warn(`[flowlane] ${m}`, f ?? ''),
  error: (m, f) => console.error(`[flowlane] ${m}`, f ?? ''),
};

/**
 * Runs workflows. Create one with {@link createEngine}; close it with `close()` (cancels runs, disposes plugins,
 * leaves no timer or socket behind).
 *
 * @example
 * ```ts
 * const engine = createEngine();
 * const run = engine.run(wf, { n: 1 });
 * run.events$.subscribe((e) => console.log(e.type));
 * const result = await run.result;
 * await engine.close();
 * ```
 */
export class Engine {
  readonly #rt: EngineRegistry<Execution>;
  readonly #subject = new Subject<FlowEvent>();
  readonly #system = new Subject<SystemEvent>();
  /** Exporters' `handleSystem` callbacks. */
  readonly #systemHandlers: ExporterHook<SystemEvent>[] = [];
  #schedulerEvents: Subscription | undefined;
  readonly #plans = new WeakMap<object, WorkflowPlan>();
  readonly #active = new Map<string, Execution>();
  /** Subworkflow runs executing now, by id (`<parent id>/<node id>`). */
  readonly #children = new Map<string, Execution>();
  readonly #queued: Execution[] = [];
  readonly #maxRuns: number;
  readonly #disposers: { owner: string; fn: () => void | Promise<void> }[] = [];
  readonly #ownerOf = new Map<string, string>();
  readonly #background = new Set<Promise<unknown>>();
  /** Execution log, leases, resume (see durability.ts). */
  readonly #durable: Durability;
  /** Exporters' `handle` callbacks: called directly for every event (cheaper than a Subject subscription). */
  readonly #eventHandlers: ExporterHook<FlowEvent>[] = [];
  readonly #triggers: TriggerHub;
  /** Flow control between runs: per-key concurrency, rate limits, fairness, priority, cancelOn (flow-control/). */
  readonly #flow: FlowGate;
  readonly #schedules: ScheduleSet;
  #running = 0;
  #draining = false;
  #ready: Promise<void> | undefined;
  #readyError: unknown;
  #isReady = false;
  #closed = false;
  #closing: Promise<void> | undefined;
  /** The default in-memory audit sink's records (empty when `audit` sinks were given). */
  readonly audit: { readonly records: readonly import('../plugin/types.js').AuditRecord[] };

  /** @internal Use {@link createEngine}. */
  constructor(options: EngineOptions = {}) {
    validateEngineOptions(options);
    const clock = options.clock ?? asyncScheduler;
    const logger = options.logger ?? consoleLogger;
    const memoryAudit = createMemoryAuditSink();
    this.audit = memoryAudit;
    const maxRuns = options.maxConcurrentRuns ?? Number.POSITIVE_INFINITY;
    if (!(maxRuns === Number.POSITIVE_INFINITY || (Number.isInteger(maxRuns) && maxRuns >= 1)))
      throw new FlowlaneError('FL_INVALID_OPTION', {
        option: 'maxConcurrentRuns',
        reason: `expected an integer ≥ 1, got ${String(maxRuns)}`,
      });
    const conc = options.concurrency;
    if (conc !== undefined && !(conc === Number.POSITIVE_INFINITY || (Number.isInteger(conc) && conc >= 1)))
      throw new FlowlaneError('FL_INVALID_OPTION', {
        option: 'concurrency',
        reason: `expected an integer ≥ 1, got ${String(conc)}`,
      });
    this.#maxRuns = maxRuns;
    if (options.redact !== undefined) checkRedact(options.redact, 'redact');
    this.#durable = new Durability(options, clock, logger);
    this.#rt = createEngineRegistry<Execution>(
      options,
      clock,
      logger,
      memoryAudit,
      createPublisher(this.#eventHandlers, this.#subject, (e) => {
        this.#flow.onEvent(e.name, e.payload);
        this.#triggers.onEvent(e);
      }),
      {
        track: (work) => {
          this.#background.add(work);
          void work.finally(() => this.#background.delete(work));
        },
        startChild: (wf, input, opts, parent) => {
          const exec = new Execution(this.#rt, wf, input, opts, opts.executionId ?? randomUUID(), parent);
          // Registered by id while it runs, so engine.cancel / engine.signal reach it like a top-level run.
          this.#children.set(exec.executionId, exec);
          const plan = this.#planFor(wf);
          // A child of a workflow with flow-control options waits for its own keys (never for engine room).
          if (wf.flowControl !== undefined) this.#flow.enterChild(exec, input, opts.signal, () => exec.start(plan));
          else exec.start(plan);
          return exec;
        },
        settled: (exec) => this.#settled(exec),
        flow: () => this.#flow,
      },
      createHeard(this.#eventHandlers, this.#subject),
    );
    const container = this.#rt.container;
    const executors = this.#rt.executors;
    const depth = options.maxTriggerDepth ?? 10;
    if (!(Number.isInteger(depth) && depth >= 1))
      throw new FlowlaneError('FL_INVALID_OPTION', {
        option: 'maxTriggerDepth',
        reason: `expected an integer ≥ 1, got ${String(depth)}`,
      });
    // Triggered and scheduled runs: the origin is the triggering event's caller (captured by the hub), or none (a
    // schedule, a run's end: not the context the clock callback or the finished run happens to run in).
    const start = (wf: Workflow<unknown, object>, input: unknown, o: RunOptions, origin?: CapturedOrigin) =>
      this.#run(wf, input, o, origin);
    this.#flow = new FlowGate({
      clock,
      logger,
      room: () => (this.#isReady ? this.#maxRuns - this.#running - this.#queued.length : 0),
      admit: (exec) => this.#start(exec),
    });
    this.#triggers = new TriggerHub({
      clock,
      logger,
      maxChainDepth: depth,
      run: start,
      capture: () => this.#captureOrigin(),
    });
    this.#schedules = new ScheduleSet({
      clock,
      logger,
      ready: () => this.ready(),
      stateStore: () => this.#rt.stateStore,
      run: start,
    });
    container.register(Tokens.Engine, { useValue: this });
    container.register(Tokens.Logger, { useValue: logger });
    container.register(Tokens.Clock, { useValue: clock });
    container.register(Tokens.Executors, { useValue: executors });
    registerRuntime(this, this.#rt as EngineRegistry<unknown>);
    container.register(Tokens.AuditSinks, { useFactory: () => this.#rt.auditSinks });
    container.register(Tokens.CacheStore, { useFactory: () => this.#rt.cacheStore });
    container.register(Tokens.StateStore, { useFactory: () => this.#rt.stateStore });
    container.register(Tokens.PermissionPolicy, { useFactory: () => this.#rt.permissionPolicy });
    container.register(Tokens.Scheduler, { useFactory: () => this.#rt.scheduler });

    const plugins = options.plugins ?? [];
    checkPlugins(plugins);
    if (plugins.length === 0) {
      this.#isReady = true;
      this.#watchScheduler();
      this.#durable.startScanning((id) => this.#autoResume(id));
    } else {
      this.#ready = setupPlugins(plugins, this.#pluginHost()).then(
        (disposers) => {
          this.#disposers.push(...disposers);
          this.#isReady = true;
          this.#watchScheduler();
          this.#drain();
          this.#durable.startScanning((id) => this.#autoResume(id));
        },
        (e: unknown) => {
          this.#readyError = e;
          for (const x of this.#queued.splice(0)) this.#failQueued(x, e);
          this.#flow.failAll(e);
          throw e;
        },
      );
      this.#ready.catch(() => undefined);
    }
  }

  /** Every event of every run on this engine (for exporters and monitors). Not replayed. */
  get events$(): Observable<FlowEvent> {
    return this.#subject.asObservable();
  }

  /**
   * Events about the engine's environment rather than one run step: `worker.down` / `worker.up` (placement
   * schedulers with health checks) and `resource.expired` (resource pools with `leaseExpiry`), from the installed
   * scheduler's `events$`, with `scheduler` set. Not replayed; completes on `close()`.
   *
   * @example
   * ```ts
   * engine.systemEvents$.subscribe((e) => console.log(e.type, e.scheduler)); // worker.down round-robin
   * ```
   */
  get systemEvents$(): Observable<SystemEvent> {
    return this.#system.asObservable();
  }

  /** Subscribes to the installed scheduler's `events$` (once plugins are set up) and republishes them. */
  #watchScheduler(): void {
    this.#schedulerEvents = relaySchedulerEvents(
      this.#rt.scheduler,
      this.#rt.logger,
      this.#systemHandlers,
      this.#system,
    );
  }

  /** Number of runs executing now (queued runs not included). */
  get activeRuns(): number {
    return this.#running;
  }

  /** Resolves when every plugin is set up; rejects with the setup error (`FL_PLUGIN_CONFLICT`, `FL_PLUGIN_SETUP_FAILED`). */
  ready(): Promise<void> {
    return this.#ready ?? Promise.resolve();
  }

  /**
   * Start a run. Returns at once; the run waits for plugin setup and for a slot under `maxConcurrentRuns`. The
   * caller's context is taken here, synchronously, by the context propagators of observability plugins (with
   * `@flowlane/tracing-otel`, the run's span is a child of the span active in this call, even when the run waits).
   *
   * @example
   * ```ts
   * const run = engine.run(wf, { version: '1.4.2' }, { actor: { id: 'alice', roles: ['deployer'] } });
   * ```
   */
  run<TIn, TOut extends object>(wf: Workflow<TIn, TOut>, input: TIn, options: RunOptions = NO_OPTIONS): Run<TOut> {
    if (this.#closed) throw new FlowlaneError('FL_ENGINE_CLOSED', {});
    // The caller's context (e.g. its active span), taken now: the run may wait for admission (see propagation.ts).
    return this.#run(wf, input, options, this.#captureOrigin());
  }

  /** The caller's context for a run asked for now, from the context propagators (`undefined` when none captures). */
  #captureOrigin(): CapturedOrigin | undefined {
    return captureRunOrigin(this.#rt.propagators, this.#rt.logger, this.#isReady);
  }

  #run<TIn, TOut extends object>(
    wf: Workflow<TIn, TOut>,
    input: TIn,
    options: RunOptions,
    origin: CapturedOrigin | undefined,
  ): Run<TOut> {
    if (this.#closed) throw new FlowlaneError('FL_ENGINE_CLOSED', {});
    // Checked before the run is registered: a bad option must not take a slot under maxConcurrentRuns.
    validateRunArgs(wf, options);
    options = checkRunOptions(options);
    const id = options.executionId ?? randomUUID();
    if (this.#active.has(id)) throw new FlowlaneError('FL_DUPLICATE_EXECUTION', { executionId: id });
    const exec = new Execution(this.#rt, wf as unknown as Workflow<unknown, object>, input, options, id);
    if (origin !== undefined) this.#rt.runOrigins.set(exec, origin);
    this.#active.set(id, exec);
    if (this.#readyError !== undefined) this.#failQueued(exec, this.#readyError);
    else if (this.#flow.controls(exec.workflowRef, options.priority)) this.#flow.enqueue(exec, input, options.priority);
    else if (this.#isReady && this.#running < this.#maxRuns) this.#start(exec);
    else this.#queued.push(exec);
    this.#triggers.watch(exec);
    return exec as unknown as Run<TOut>;
  }

  /**
   * Put a whole run on the installed run queue (a queue plugin such as `bullmqDispatch` from
   * `@flowlane/queue-bullmq`) for any coordinator serving it to run, instead of running it here. Resolves once the
   * run is stored, with its id and `result()`; the run's input and `actor` travel through the queue (plain data), and
   * so does the caller's context from the context propagators (e.g. its trace context: the served run's span is a
   * child of the caller's). Rejects with `FL_NO_RUN_QUEUE` when no queue plugin is installed.
   *
   * @example
   * ```ts
   * const queued = await engine.enqueue(wf, { n: 1 });
   * const result = await queued.result(); // or, from any process: engine.waitForResult(queued.executionId)
   * ```
   */
  async enqueue<TIn, TOut extends object>(
    wf: Workflow<TIn, TOut>,
    input: TIn,
    options?: EnqueueOptions,
  ): Promise<EnqueuedRun<TOut>> {
    if (this.#closed) throw new FlowlaneError('FL_ENGINE_CLOSED', {});
    // The caller's context, taken synchronously when the propagators are known (else after setup, in the same
    // async context).
    let carrier = this.#isReady ? runOriginCarrier(this.#rt.propagators, this.#rt.logger) : undefined;
    await this.ready();
    carrier ??= runOriginCarrier(this.#rt.propagators, this.#rt.logger);
    return enqueueRun(this.#rt.runQueue, wf as unknown as Workflow<unknown, TOut>, input, options, carrier);
  }

  /**
   * The result of an enqueued run, from whichever coordinator runs it; works from any process that shares the
   * queue, for runs enqueued anywhere. The error of a failed run is serialised (it crossed a process).
   * Rejects with `FL_NO_RUN_QUEUE` when no queue plugin is installed.
   *
   * @example
   * ```ts
   * const { status, outputs } = await engine.waitForResult(executionId);
   * ```
   */
  async waitForResult(
    executionId: string,
    options?: { readonly signal?: AbortSignal | undefined },
  ): Promise<QueuedRunResult> {
    await this.ready();
    return waitForQueuedResult(this.#rt.runQueue, executionId, options);
  }

  /**
   * Start a workflow whenever an event happens: a custom event (`engine.emit(name, payload)` or `ctx.emitEvent` in a
   * run) or the end of a run (`workflow.completed`, `workflow.failed`; narrow with `workflow`). The started run's
   * `workflow.started` event carries `triggeredBy: { event, executionId }`. Chains of triggered runs deeper than
   * `maxTriggerDepth` are refused with `FL_TRIGGER_LOOP` (given to `onError`, else logged).
   *
   * @example
   * ```ts
   * const handle = engine.trigger({
   *   on: 'git.push',
   *   when: (e) => (e.payload as { branch: string }).branch === 'main',
   *   run: checks,
   *   input: (e) => ({ commit: (e.payload as { commit: string }).commit }),
   * });
   * engine.emit('git.push', { branch: 'main', commit: 'abc123' });
   * handle.remove();
   * ```
   */
  trigger<TIn, P = unknown>(options: TriggerOptions<TIn, P>): TriggerHandle {
    return this.#triggers.add(options as TriggerOptions);
  }

  /**
   * Publish an event from outside any run (a webhook, a queue message) to the engine's triggers. Returns the runs
   * started at once (debounced and queued triggers start theirs later).
   *
   * @example
   * ```ts
   * const [run] = engine.emit('approval.granted', { environment: 'production' });
   * ```
   */
  emit(name: string, payload?: unknown): Run<object>[] {
    if (this.#closed) throw new FlowlaneError('FL_ENGINE_CLOSED', {});
    // cancelOn first: a run this event starts is not cancelled by the same event.
    this.#flow.onEvent(name, payload);
    return this.#triggers.emit(name, payload);
  }

  /**
   * Run a workflow on a cron schedule (5 or 6 fields, read by croner), timed on the engine clock. Occurrences missed
   * while no engine had the schedule are skipped or caught up (`missed`), known from the last handled occurrence
   * kept in the state store. Runs carry `triggeredBy: { event: 'schedule', schedule, scheduledAt }`.
   *
   * @example
   * ```ts
   * const nightly = engine.schedule('0 3 * * *', backup, { target: 's3' }, { missed: 'catch-up' });
   * nightly.remove();
   * ```
   */
  schedule<TIn>(cron: string, wf: Workflow<TIn, object>, input: TIn, options?: ScheduleOptions): ScheduleHandle {
    return this.#schedules.add(cron, wf as unknown as Workflow<unknown, object>, input, options);
  }

  /**
   * Run and wait: resolves to the outputs, rejects with the run's `FlowlaneError` when it fails or is cancelled.
   *
   * @example
   * ```ts
   * const outputs = await engine.execute(wf, { n: 1 });
   * ```
   */
  async execute<TIn, TOut extends object>(
    wf: Workflow<TIn, TOut>,
    input: TIn,
    options?: RunOptions,
  ): Promise<Partial<TOut>> {
    const r: RunResult<TOut> = await this.run(wf, input, options).result;
    if (r.status === 'success') return r.outputs;
    throw r.error ?? new FlowlaneError('FL_CANCELLED', { executionId: r.executionId, reason: r.status });
  }

  /**
   * Make a workflow definition resumable on this engine (same as listing it in `createEngine({ workflows })`).
   * Several versions of one workflow live side by side; a resumed run uses the version it started with.
   */
  register(wf: Workflow<unknown, object>): this {
    this.#durable.register(wf);
    return this;
  }

  /**
   * Runs recorded in the execution store (any process sharing it), finished ones included; without a store, this
   * engine's active runs.
   *
   * @example
   * ```ts
   * const { runs } = await engine.runs.list({ status: 'running', workflow: 'deploy', limit: 20 });
   * ```
   */
  get runs(): RunsApi {
    return this.#durable.runs(
      () => this.#active.values(),
      () => this.ready(),
    );
  }

  /**
   * Continue a run from its log — typically one whose process died. Takes the run's lease at once (the previous
   * owner, if alive, is fenced and stops); completed nodes keep their logged outputs and do not run again, nodes
   * that were in flight run again (at-least-once), buffered signals and signal-wait deadlines carry over.
   * `options.actor` is who asks, checked by a permission policy that implements `authorize` (action `resume`,
   * before the lease is taken). Rejects with `FL_EXECUTION_NOT_FOUND`, `FL_EXECUTION_FINISHED`,
   * `FL_VERSION_NOT_REGISTERED`, `FL_VERSION_MISMATCH`, `FL_ACTION_DENIED` or `FL_NO_EXECUTION_STORE`.
   * Context propagators see the caller of `resume` as the resumed run's origin (a tracing plugin parents the
   * continuation on the caller's span).
   *
   * @example
   * ```ts
   * const engine = createEngine({ plugins: [redisStore({ url })], workflows: [deploy] });
   * const run = await engine.resume(executionId);
   * const result = await run.result;
   * ```
   */
  async resume(executionId: string, options?: { readonly actor?: Actor | undefined }): Promise<Run> {
    return this.#resume(executionId, true, this.#captureOrigin(), options?.actor) as Promise<Run>;
  }

  async #resume(
    executionId: string,
    force: boolean,
    origin: CapturedOrigin | undefined,
    actor?: Actor,
  ): Promise<Run | undefined> {
    if (this.#closed) throw new FlowlaneError('FL_ENGINE_CLOSED', {});
    await this.ready();
    if (this.#active.has(executionId)) throw new FlowlaneError('FL_DUPLICATE_EXECUTION', { executionId });
    const r = await this.#durable.take(
      executionId,
      force,
      force
        ? (workflow) => authorizeAction(this.#rt.permissionPolicy, { action: 'resume', actor, workflow, executionId })
        : undefined,
    );
    if (r === undefined) return undefined;
    if (this.#closed) throw new FlowlaneError('FL_ENGINE_CLOSED', {});
    if (this.#active.has(executionId)) throw new FlowlaneError('FL_DUPLICATE_EXECUTION', { executionId });
    const started = r.state.started;
    const exec = new Execution(
      this.#rt,
      r.workflow,
      started.input,
      started.actor === undefined ? {} : { actor: started.actor },
      executionId,
    );
    exec.attachJournal(this.#durable.journalForResumed(exec, r), r.state);
    if (origin !== undefined) this.#rt.runOrigins.set(exec, origin);
    // ctx.storage as the log left it (a durable state store already has it; writing it again is harmless).
    for (const [key, v] of r.state.storage)
      await (v.deleted
        ? this.#rt.stateStore.delete(executionId, key)
        : this.#rt.stateStore.set(executionId, key, v.value));
    this.#active.set(executionId, exec);
    // Flow control again: the resumed run counts against its concurrency key (flow-control/gate.ts).
    if (this.#flow.controls(r.workflow, undefined)) this.#flow.enqueue(exec, started.input, undefined, true);
    else if (this.#running < this.#maxRuns) this.#start(exec);
    else this.#queued.push(exec);
    return exec;
  }

  /** One run found by `resume: 'auto'`: resumed when its lease expired and this engine wins the claim. */
  async #autoResume(executionId: string): Promise<void> {
    if (this.#active.has(executionId)) return;
    try {
      // Nobody asked for it: no origin.
      await this.#resume(executionId, false, undefined);
    } catch (e) {
      if (this.#durable.unregistered === 'fail' && isFlowlaneError(e, 'FL_VERSION_NOT_REGISTERED')) {
        await this.#durable.failUnregistered(executionId, e as FlowlaneError);
        return;
      }
      throw e;
    }
  }

  /**
   * Seed form of `run.signal`: deliver a signal to an active execution by id (a subworkflow's: `<parent>/<node>`).
   * `options.actor` is who sends it, checked by a permission policy that implements `authorize` (`FL_ACTION_DENIED`).
   */
  async signal(
    executionId: string,
    name: string,
    payload?: unknown,
    options?: { readonly actor?: Actor | undefined },
  ): Promise<void> {
    const exec = this.#active.get(executionId) ?? this.#children.get(executionId);
    if (exec === undefined) throw new FlowlaneError('FL_EXECUTION_NOT_FOUND', { executionId });
    const { workflow } = exec;
    authorizeAction(this.#rt.permissionPolicy, {
      action: 'signal',
      actor: options?.actor,
      workflow,
      executionId,
      signal: name,
    });
    await exec.signal(name, payload);
  }

  /**
   * Cancel an active or queued execution by id. Cancelling a run cancels its running subworkflows; a subworkflow run
   * can also be cancelled by its own id (`<parent>/<node>`), which fails its node in the parent like any failure.
   * `options.actor` is who cancels, checked by a permission policy that implements `authorize` (`FL_ACTION_DENIED`).
   */
  cancel(executionId: string, reason?: string, options?: { readonly actor?: Actor | undefined }): void {
    const exec = this.#active.get(executionId) ?? this.#children.get(executionId);
    if (exec === undefined) throw new FlowlaneError('FL_EXECUTION_NOT_FOUND', { executionId });
    const { workflow } = exec;
    authorizeAction(this.#rt.permissionPolicy, { action: 'cancel', actor: options?.actor, workflow, executionId });
    exec.cancel(reason);
  }

  /** Cancel every run, dispose plugins (reverse order), executors and stores. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#closed = true;
    this.#triggers.close();
    this.#schedules.close();
    this.#flow.close();
    await this.#ready?.catch(() => undefined);
    this.#durable.close();
    const runs = [...this.#active.values()];
    // Durable runs stay resumable: what they logged so far is kept, their cancellation is not logged.
    for (const r of runs) r.journal?.detach();
    for (const r of runs) r.cancel('engine closed');
    await Promise.all(runs.map((r) => r.result));
    await Promise.all(this.#background);
    const errors: unknown[] = [];
    for (const d of this.#disposers.reverse()) {
      try {
        await d.fn();
      } catch (e) {
        errors.push(e);
        this.#rt.logger.error('plugin dispose failed', { plugin: d.owner, error: serializeError(e).message });
      }
    }
    this.#disposers.length = 0;
    const rt = this.#rt;
    for (const ex of new Set(rt.executors.values())) await safe(() => ex.dispose(), rt.logger);
    await safe(() => rt.scheduler?.dispose?.(), rt.logger);
    await safe(() => rt.cacheStore.dispose?.(), rt.logger);
    await safe(() => rt.stateStore.dispose?.(), rt.logger);
    await safe(() => this.#durable.store?.dispose?.(), rt.logger);
    await safe(() => this.#flow.backend.dispose?.(), rt.logger);
    for (const s of rt.secrets) await safe(() => s.dispose?.(), rt.logger);
    for (const s of rt.auditSinks) await safe(() => s.dispose?.(), rt.logger);
    rt.inflight.clear();
    this.#schedulerEvents?.unsubscribe();
    this.#system.complete();
    this.#subject.complete();
    rt.container.dispose?.();
  }

  /** The engine as the plugin host sees it (registrations land in `#rt`). */
  #pluginHost(): PluginHostTarget {
    return {
      registry: this.#rt,
      ownerOf: this.#ownerOf,
      eventHandlers: this.#eventHandlers,
      systemHandlers: this.#systemHandlers,
      events$: this.events$,
      systemEvents$: this.systemEvents$,
      publishSystemEvent: (e, source) =>
        publishSystemEvent(e, source, this.#rt.logger, this.#systemHandlers, this.#system),
      setExecutionStore: (store) => {
        this.#durable.store = store;
      },
      resumeMode: this.#durable.mode,
      setFlowControlBackend: (backend) => {
        this.#flow.backend = backend;
      },
      startQueued: (run) => this.#startQueued(run),
      describeRun: (id) => (this.#active.get(id) ?? this.#children.get(id))?.workflowRef.toJSON(),
    };
  }

  /** A run a queue plugin took from its run queue (`api.runQueue.start`). */
  #startQueued(q: QueuedRun): Run {
    const wf = this.#durable.lookup(q.workflow, q.version);
    if (wf === undefined)
      throw new FlowlaneError('FL_VERSION_NOT_REGISTERED', {
        executionId: q.executionId,
        workflow: q.workflow,
        version: q.version ?? '(none)',
        registered: this.#durable.versionsOf(q.workflow),
      });
    const { executionId, actor, priority } = q;
    const carrier = carrierOf(q.carrier);
    return this.#run(
      wf,
      q.input,
      {
        executionId,
        ...(actor === undefined ? {} : { actor }),
        ...(priority === undefined ? {} : { priority }),
      },
      // The enqueuer's context, not the queue consumer's.
      carrier === undefined ? undefined : { carrier },
    );
  }

  #planFor(wf: Workflow<unknown, object>): WorkflowPlan {
    let plan = this.#plans.get(wf);
    if (plan === undefined) this.#plans.set(wf, (plan = planWorkflow(this.#rt, wf)));
    return plan;
  }

  #start(exec: Execution): void {
    this.#running++;
    if (exec.journal === undefined) {
      const journal = this.#durable.journalForNew(exec);
      if (journal !== undefined) exec.attachJournal(journal);
    }
    exec.start(this.#planFor(exec.workflowRef));
  }

  #failQueued(exec: Execution, error: unknown): void {
    exec.failBeforeStart(error);
  }

  #settled(exec: Execution): void {
    if (exec.isChild) {
      if (this.#children.get(exec.executionId) === exec) this.#children.delete(exec.executionId);
      if (exec.workflowRef.flowControl !== undefined) this.#flow.settled(exec);
      return;
    }
    if (this.#active.get(exec.executionId) === exec) this.#active.delete(exec.executionId);
    if (exec.journal !== undefined) this.#durable.leases.delete(exec.executionId);
    if (this.#active.size === 0) this.#rt.lastCustom.clear();
    if (exec.wasStarted) this.#running--;
    else {
      const k = this.#queued.indexOf(exec);
      if (k !== -1) this.#queued.splice(k, 1);
    }
    this.#flow.settled(exec);
    this.#drain();
  }

  #drain(): void {
    // Not re-entrant: a run that settles synchronously inside #start calls #drain again through #settled; the outer
    // loop picks up the slot instead, so 1,000 queued runs never nest 1,000 deep.
    if (!this.#isReady || this.#draining) return;
    this.#draining = true;
    try {
      while (this.#running < this.#maxRuns && this.#queued.length > 0) this.#start(this.#queued.shift()!);
    } finally {
      this.#draining = false;
    }
    this.#flow.pump();
  }
}

/** The string fields of a queued run's carrier (it crossed a process: anything else is dropped); none → undefined. */
function carrierOf(c: unknown): Readonly<Record<string, string>> | undefined {
  if (typeof c !== 'object' || c === null) return undefined;
  let out: Record<string, string> | undefined;
  for (const [k, v] of Object.entries(c)) if (typeof v === 'string') (out ??= {})[k] = v;
  return out;
}

/**
 * Create an engine. Synchronous: static plugin checks (shape, core range, dependencies) throw here as typed errors;
 * plugin `setup` runs in the background — `await engine.ready()` to surface setup errors; runs wait for it.
 *
 * @example
 * ```ts
 * const engine = createEngine({ plugins: [prometheus()], maxConcurrentRuns: 10 });
 * await engine.ready();
 * ```
 */
export function createEngine(options?: EngineOptions): Engine {
  return new Engine(options);
}
