import type { Observable } from 'rxjs';
import type { InjectionToken } from 'tsyringe';
import type { WorkflowDescription } from '../../contracts/descriptions.js';
import type { FlowEvent, SystemEvent } from '../../contracts/events.js';
import type { FlowControlBackend } from '../../contracts/flow-control.js';
import type { Run } from '../../contracts/run-types.js';
import type { ExecutionStore } from './execution-store.js';
import type { Executor } from './executor.js';
import type { Middleware } from './middleware.js';
import type { Logger, MetricsExporter } from './observability.js';
import type { ContextPropagator, PropagationCarrier, PropagationScope } from './propagation.js';
import type { RunEventsView, RunWatcher } from './run-events.js';
import type { RunGraph } from './run-graph.js';
import type { QueuedRun, RunQueue } from './run-queue.js';
import type { Scheduler } from './scheduler.js';
import type { AuditSink, PermissionPolicy, SecretsProvider } from './security.js';
import type { CacheStore, StateStore } from './stores.js';

/* Plugin contracts: plugins. */

/** Everything a plugin may touch while it is set up. */
export interface PluginApi {
  /** The engine's core version (semver). */
  readonly coreVersion: string;
  readonly executors: { register(name: string, executor: Executor): void; get(name: string): Executor | undefined };
  readonly schedulers: { set(scheduler: Scheduler): void };
  readonly middleware: { use(middleware: Middleware): void };
  /**
   * Context propagation to what a node attempt starts elsewhere (see {@link ContextPropagator}): observability
   * plugins `add` a propagator (one per name); dispatch plugins ask for an attempt's `carrier` (merged fields of every
   * propagator, `{}` when none) and send it with the job.
   */
  readonly propagation: {
    add(propagator: ContextPropagator): void;
    carrier(scope: PropagationScope): PropagationCarrier;
  };
  readonly secrets: { addProvider(provider: SecretsProvider): void };
  readonly audit: { addSink(sink: AuditSink): void };
  readonly metrics: { addExporter(exporter: MetricsExporter): void };
  readonly cache: { setStore(store: CacheStore): void };
  readonly state: { setStore(store: StateStore): void };
  /**
   * The durable execution log (`engine.resume`, `engine.runs`, `resume: 'auto'`). `resume` is the engine's `resume`
   * option (`'manual'` by default): a plugin that hands crashed runs to other engines itself (a run queue) can refuse
   * to share them with the engine's own automatic resume.
   */
  readonly executions: { setStore(store: ExecutionStore): void; readonly resume: 'auto' | 'manual' };
  /** Where flow control (`concurrency`, `rateLimit` of workflows) keeps its slots and windows; default in memory. */
  readonly flowControl: { setBackend(backend: FlowControlBackend): void };
  readonly permissions: { setPolicy(policy: PermissionPolicy): void };
  /**
   * Whole-run dispatch: `set` installs the queue behind `engine.enqueue` / `engine.waitForResult` (and remote
   * subworkflows, when the queue implements `runChild`); `start` runs a run taken from the queue on this engine with
   * the definition registered under its workflow name and version (`createEngine({ workflows })`,
   * `engine.register`), or throws `FL_VERSION_NOT_REGISTERED`.
   */
  readonly runQueue: {
    set(queue: RunQueue): void;
    start(run: QueuedRun): Run;
  };
  /** The engine's tsyringe child container (`Tokens.*`). */
  readonly container: PluginContainer;
  /** Every event of every run on this engine. */
  readonly events$: Observable<FlowEvent>;
  /** The engine's {@link SystemEvent}s (worker health, resource expiry) from the installed scheduler. Not replayed. */
  readonly systemEvents$: Observable<SystemEvent>;
  /**
   * Publish a worker-health {@link SystemEvent} (`worker.up` / `worker.down`) on `engine.systemEvents$`, logged like a
   * scheduler's; `scheduler` defaults to the plugin's name. For plugins that own workers outside the scheduler (queues).
   */
  publishSystemEvent(event: SystemEvent): void;
  /**
   * The JSON-safe description (nodes, edges, groups) of the workflow of an active run (a subworkflow run's too), or
   * `undefined` once it settled. Call it from an event handler (e.g. on `workflow.started`) to draw a run's graph. Core
   * keeps the description with the workflow once built; to describe a run only when needed, or after it settled, keep
   * its {@link runGraph} instead.
   */
  describeRun(executionId: string): WorkflowDescription | undefined;
  /**
   * The graph of an active run's workflow (a subworkflow run's too) as a handle that describes it only when asked and
   * stays usable after the run settles, or `undefined` when no such run is active. Nothing is built by this call: ask
   * for it at a run's start, keep it, and call `describe()`, `json()` or `executors()` when needed. See
   * {@link RunGraph}.
   */
  runGraph(executionId: string): RunGraph | undefined;
  /**
   * A read-only view of an active run's event log (a subworkflow run's too) — the events core keeps for
   * `run.events$` replay — or `undefined` when no such run is active. Ask while the run is active (e.g. from an
   * exporter's `handle` on `workflow.started`, or on its final event); the view stays readable after the run settles
   * while the plugin holds it. See {@link RunEventsView}.
   */
  runEvents(executionId: string): RunEventsView | undefined;
  /**
   * Be told when each run of the engine (a subworkflow run too) starts and settles, with the run's
   * {@link RunEventsView} — without being called per event (see {@link RunWatcher}). One watcher per name; removed
   * when the engine closes. Call it during `setup` (`FL_PLUGIN_INVALID` afterwards or for a malformed watcher).
   */
  watchRuns(watcher: RunWatcher): void;
  readonly logger: Logger;
  /** Run `fn` when the engine closes (after the plugin's own disposer, in reverse setup order). */
  onClose(fn: () => void | Promise<void>): void;
  /**
   * Aborted when `engine.close()` starts (its `reason` is an `FL_ENGINE_CLOSED` error). Pass it to whatever `setup`
   * waits for — a connection, a handshake, a first poll — so that closing the engine during setup does not wait for
   * them. `close()` waits at most 5 s for a setup that ignores it, then goes on without it: `ready()` rejects with
   * `FL_ENGINE_CLOSED`, and the plugin is torn down (its disposer, then its `onClose` callbacks) when its setup
   * settles.
   *
   * @example
   * ```ts
   * import { createEngine, definePlugin } from '@flowlane/core';
   *
   * const plugin = definePlugin({
   *   name: 'slow-connect',
   *   version: '1.0.0',
   *   flowlane: '*',
   *   async setup(api) {
   *     // Stands for a client's connect(): it gives up when the engine closes.
   *     await new Promise<void>((resolve, reject) => {
   *       const t = setTimeout(resolve, 100);
   *       api.signal.addEventListener('abort', () => (clearTimeout(t), reject(api.signal.reason)), { once: true });
   *     });
   *   },
   * });
   * const engine = createEngine({ plugins: [plugin] });
   * await engine.close(); // settles at once, without waiting for the 100 ms "connect"
   * ```
   */
  readonly signal: AbortSignal;
}

/** The part of tsyringe's container plugins use. */
export interface PluginContainer {
  register<T>(token: InjectionToken<T>, provider: { useValue: T } | { useFactory: (c: PluginContainer) => T }): void;
  resolve<T>(token: InjectionToken<T>): T;
  isRegistered<T>(token: InjectionToken<T>): boolean;
}

/** A disposer returned by `setup`. */
export type PluginDisposer = () => void | Promise<void>;

/** A plugin definition; create it with `definePlugin`. */
export interface FlowlanePlugin {
  readonly name: string;
  readonly version: string;
  /** The `@flowlane/core` semver range this plugin supports, checked before any setup runs. */
  readonly flowlane: string;
  /** Names of plugins that must be listed before this one. */
  readonly dependsOn?: readonly string[] | undefined;
  // biome-ignore lint/suspicious/noConfusingVoidType: setup functions that return nothing are the common case
  setup(api: PluginApi): void | PluginDisposer | Promise<void | PluginDisposer>;
}

/** Description of a workflow given to plugins (never builder internals). */
