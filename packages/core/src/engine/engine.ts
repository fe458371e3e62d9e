// `import { type … }`, not `import type`: etc/core.api.md lists rxjs's Observable as an `import { Observable }`.
import { type Observable } from 'rxjs';
import type { FlowEvent, SystemEvent } from '../contracts/events.js';
import type { Run, RunOptions, RunResult } from '../contracts/run-types.js';
import { FlowlaneError } from '../errors.js';
import type { EnqueuedRun, EnqueueOptions, QueuedRunResult } from '../plugin/contracts/run-queue.js';
import type { Actor, AuditRecord } from '../plugin/types.js';
import type { Workflow } from '../workflow.js';
import { captureOrigin, createEngineCore, type EngineCore, type SubmitRun } from './engine-core.js';
import { resumeHost, setupEngine, shutDownEngine } from './engine-lifecycle.js';
import type { EngineOptions } from './engine-options.js';
import { resumeRun } from './resume-run.js';
import { cancelRunById, signalRun } from './run-control.js';
import { waitForQueuedResult } from './run-queue.js';
import type { RunsApi } from './runs-api.js';
import type { ScheduleHandle, ScheduleOptions } from './schedules.js';
import { submitRun, submitToQueue } from './submit-run.js';
import type { TriggerHandle, TriggerOptions } from './triggers.js';

export type { EngineOptions } from './engine-options.js';

/** The options of a run started without any (shared: nothing writes to them). */
const NO_OPTIONS: RunOptions = Object.freeze({});

/**
 * Runs workflows. Create one with {@link createEngine}; close it with `close()` (cancels runs, disposes plugins,
 * leaves no timer or socket behind).
 *
 * @example
 * ```ts
 * import { createEngine, workflow } from '@flowlane/core';
 *
 * const wf = workflow('double').input<{ n: number }>().addNode('double', (ctx) => ctx.input.n * 2).build();
 * const engine = createEngine();
 * const run = engine.run(wf, { n: 1 });
 * run.events$.subscribe((e) => console.log(e.type));
 * const result = await run.result;
 * await engine.close();
 * ```
 */
export class Engine {
  /** The engine's parts and state, shared with the modules its methods delegate to (see engine-core.ts). */
  readonly #core: EngineCore;
  /** The default in-memory audit sink's records (empty when `audit` sinks were given). */
  readonly audit: { readonly records: readonly AuditRecord[] };

  /** @internal Use {@link createEngine}. */
  constructor(options: EngineOptions = {}) {
    const submit: SubmitRun = (wf, input, o, origin) => submitRun(this.#core, wf, input, o, origin);
    this.#core = createEngineCore(this, options, submit);
    this.audit = this.#core.audit;
    setupEngine(this.#core, options.plugins ?? [], submit);
  }

  /** Every event of every run on this engine (for exporters and monitors). Not replayed. */
  get events$(): Observable<FlowEvent> {
    return this.#core.events.events$();
  }

  /**
   * Events about the engine's environment rather than one run step: `worker.down` / `worker.up` (placement
   * schedulers with health checks) and `resource.expired` (resource pools with `leaseExpiry`), from the installed
   * scheduler's `events$`, with `scheduler` set. Not replayed; completes on `close()`.
   *
   * @example
   * ```ts
   * import type { Engine } from '@flowlane/core';
   *
   * declare const engine: Engine;
   * engine.systemEvents$.subscribe((e) => console.log(e.type, e.scheduler)); // worker.down round-robin
   * ```
   */
  get systemEvents$(): Observable<SystemEvent> {
    return this.#core.events.systemEvents$();
  }

  /** Number of runs executing now (queued runs not included). */
  get activeRuns(): number {
    return this.#core.runs.running;
  }

  /** Resolves when every plugin is set up; rejects with the setup error (`FL_PLUGIN_CONFLICT`, `FL_PLUGIN_SETUP_FAILED`). */
  ready(): Promise<void> {
    return this.#core.ready ?? Promise.resolve();
  }

  /**
   * Start a run. Returns at once; the run waits for plugin setup and for a slot under `maxConcurrentRuns`. The
   * caller's context is taken here, synchronously, by the context propagators of observability plugins (with
   * `@flowlane/tracing-otel`, the run's span is a child of the span active in this call, even when the run waits).
   *
   * @example
   * ```ts
   * import { createEngine, workflow } from '@flowlane/core';
   *
   * const wf = workflow('release').input<{ version: string }>().addNode('tag', (ctx) => `v${ctx.input.version}`).build();
   * const engine = createEngine();
   * const run = engine.run(wf, { version: '1.4.2' }, { actor: { id: 'alice', roles: ['deployer'] } });
   * await run.result;
   * await engine.close();
   * ```
   */
  run<TIn, TOut extends object>(wf: Workflow<TIn, TOut>, input: TIn, options: RunOptions = NO_OPTIONS): Run<TOut> {
    if (this.#core.closed) throw new FlowlaneError('FL_ENGINE_CLOSED', {});
    // The caller's context (e.g. its active span), taken now: the run may wait for admission (see propagation.ts).
    const wfAny = wf as unknown as Workflow<unknown, object>;
    return submitRun(this.#core, wfAny, input, options, captureOrigin(this.#core)) as unknown as Run<TOut>;
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
   * import type { Engine, Workflow } from '@flowlane/core';
   *
   * declare const engine: Engine; // with an execution store and a queue that other processes drain
   * declare const wf: Workflow<{ n: number }, { double: number }>;
   * const queued = await engine.enqueue(wf, { n: 1 });
   * const result = await queued.result(); // or, from any process: engine.waitForResult(queued.executionId)
   * ```
   */
  async enqueue<TIn, TOut extends object>(
    wf: Workflow<TIn, TOut>,
    input: TIn,
    options?: EnqueueOptions,
  ): Promise<EnqueuedRun<TOut>> {
    return submitToQueue(this.#core, wf as unknown as Workflow<unknown, TOut>, input, options);
  }

  /**
   * The result of an enqueued run, from whichever coordinator runs it; works from any process that shares the
   * queue, for runs enqueued anywhere. The error of a failed run is serialised (it crossed a process).
   * Rejects with `FL_NO_RUN_QUEUE` when no queue plugin is installed.
   *
   * @example
   * ```ts
   * import type { Engine } from '@flowlane/core';
   *
   * declare const engine: Engine;
   * declare const executionId: string; // from engine.enqueue(…) in this or another process
   * const { status, outputs } = await engine.waitForResult(executionId);
   * ```
   */
  async waitForResult(
    executionId: string,
    options?: { readonly signal?: AbortSignal | undefined },
  ): Promise<QueuedRunResult> {
    await this.ready();
    return waitForQueuedResult(this.#core.rt.runQueue, executionId, options);
  }

  /**
   * Start a workflow whenever an event happens: a custom event (`engine.emit(name, payload)` or `ctx.emitEvent` in a
   * run) or the end of a run (`workflow.completed`, `workflow.failed`; narrow with `workflow`). The started run's
   * `workflow.started` event carries `triggeredBy: { event, executionId }`. Chains of triggered runs deeper than
   * `maxTriggerDepth` are refused with `FL_TRIGGER_LOOP` (given to `onError`, else logged).
   *
   * @example
   * ```ts
   * import { createEngine, workflow } from '@flowlane/core';
   *
   * const checks = workflow('checks').input<{ commit: string }>().addNode('lint', (ctx) => ctx.input.commit).build();
   * const engine = createEngine();
   * const handle = engine.trigger({
   *   on: 'git.push',
   *   when: (e) => (e.payload as { branch: string }).branch === 'main',
   *   run: checks,
   *   input: (e) => ({ commit: (e.payload as { commit: string }).commit }),
   * });
   * engine.emit('git.push', { branch: 'main', commit: 'abc123' });
   * handle.remove();
   * await engine.close();
   * ```
   */
  trigger<TIn, P = unknown>(options: TriggerOptions<TIn, P>): TriggerHandle {
    return this.#core.triggers.add(options as TriggerOptions);
  }

  /**
   * Publish an event from outside any run (a webhook, a queue message) to the engine's triggers. Returns the runs
   * started at once (debounced and queued triggers start theirs later).
   *
   * @example
   * ```ts
   * import type { Engine } from '@flowlane/core';
   *
   * declare const engine: Engine; // with a trigger on 'approval.granted'
   * const [run] = engine.emit('approval.granted', { environment: 'production' });
   * ```
   */
  emit(name: string, payload?: unknown): Run<object>[] {
    if (this.#core.closed) throw new FlowlaneError('FL_ENGINE_CLOSED', {});
    // cancelOn first: a run this event starts is not cancelled by the same event.
    this.#core.flow.onEvent(name, payload);
    return this.#core.triggers.emit(name, payload);
  }

  /**
   * Run a workflow on a cron schedule (5 or 6 fields, read by croner), timed on the engine clock. Occurrences missed
   * while no engine had the schedule are skipped or caught up (`missed`), known from the last handled occurrence
   * kept in the state store. Runs carry `triggeredBy: { event: 'schedule', schedule, scheduledAt }`.
   *
   * @example
   * ```ts
   * import { createEngine, workflow } from '@flowlane/core';
   *
   * const backup = workflow('backup').input<{ target: string }>().addNode('copy', (ctx) => ctx.input.target).build();
   * const engine = createEngine();
   * const nightly = engine.schedule('0 3 * * *', backup, { target: 's3' }, { missed: 'catch-up' });
   * nightly.remove();
   * await engine.close();
   * ```
   */
  schedule<TIn>(cron: string, wf: Workflow<TIn, object>, input: TIn, options?: ScheduleOptions): ScheduleHandle {
    return this.#core.schedules.add(cron, wf as unknown as Workflow<unknown, object>, input, options);
  }

  /**
   * Run and wait: resolves to the outputs, rejects with the run's `FlowlaneError` when it fails or is cancelled.
   *
   * @example
   * ```ts
   * import { createEngine, workflow } from '@flowlane/core';
   *
   * const wf = workflow('double').input<{ n: number }>().addNode('double', (ctx) => ctx.input.n * 2).build();
   * const engine = createEngine();
   * const outputs = await engine.execute(wf, { n: 1 }); // { double: 2 }
   * await engine.close();
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
    this.#core.durable.register(wf);
    return this;
  }

  /**
   * Runs recorded in the execution store (any process sharing it), finished ones included; without a store, this
   * engine's active runs.
   *
   * @example
   * ```ts
   * import type { Engine } from '@flowlane/core';
   *
   * declare const engine: Engine;
   * const { runs } = await engine.runs.list({ status: 'running', workflow: 'deploy', limit: 20 });
   * ```
   */
  get runs(): RunsApi {
    return this.#core.durable.runs(
      () => this.#core.runs.active.values(),
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
   * import { createEngine, type Workflow } from '@flowlane/core';
   * import { redisStore } from '@flowlane/store-redis';
   *
   * declare const deploy: Workflow<{ version: string }, object>; // the workflow the crashed process was running
   * declare const executionId: string; // the run it left unfinished
   * const engine = createEngine({ plugins: [redisStore({ url: 'redis://127.0.0.1:6379' })], workflows: [deploy] });
   * const run = await engine.resume(executionId);
   * const result = await run.result;
   * ```
   */
  async resume(executionId: string, options?: { readonly actor?: Actor | undefined }): Promise<Run> {
    const origin = captureOrigin(this.#core);
    return resumeRun(resumeHost(this.#core), executionId, true, origin, options?.actor) as Promise<Run>;
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
    return signalRun(this.#core, executionId, name, payload, options?.actor);
  }

  /**
   * Cancel an active or queued execution by id. Cancelling a run cancels its running subworkflows; a subworkflow run
   * can also be cancelled by its own id (`<parent>/<node>`), which fails its node in the parent like any failure.
   * `options.actor` is who cancels, checked by a permission policy that implements `authorize` (`FL_ACTION_DENIED`).
   */
  cancel(executionId: string, reason?: string, options?: { readonly actor?: Actor | undefined }): void {
    cancelRunById(this.#core, executionId, reason, options?.actor);
  }

  /**
   * Cancel every run, dispose plugins (reverse order), executors and stores. Idempotent. Plugin setup still running
   * is told to stop (`api.signal` is aborted) and awaited at most 5 s: a plugin cannot be disposed halfway through its
   * setup. A setup that ignores the signal is left behind — `ready()` rejects with `FL_ENGINE_CLOSED`, runs waiting
   * for it fail with that error, and the plugin is torn down whenever its setup settles — so `close()` always settles.
   */
  close(): Promise<void> {
    return shutDownEngine(this.#core);
  }
}

/**
 * Create an engine. Synchronous: static plugin checks (shape, core range, dependencies) throw here as typed errors;
 * plugin `setup` runs in the background — `await engine.ready()` to surface setup errors; runs wait for it.
 *
 * @example
 * ```ts
 * import { createEngine } from '@flowlane/core';
 * import { prometheus } from '@flowlane/metrics-prometheus';
 *
 * const engine = createEngine({ plugins: [prometheus()], maxConcurrentRuns: 10 });
 * await engine.ready();
 * ```
 */
export function createEngine(options?: EngineOptions): Engine {
  return new Engine(options);
}
