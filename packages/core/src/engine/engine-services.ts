import type { SchedulerLike } from 'rxjs';
import type { DependencyContainer } from 'tsyringe';
import type { CacheFlight } from '../compile/with-cache.js';
import type { CustomEvent, FlowEvent } from '../contracts/events.js';
import type { NodeFlow } from '../contracts/flow-control.js';
import type { RunOptions } from '../contracts/run-types.js';
import type { ContextPropagator } from '../plugin/contracts/propagation.js';
import type { RunQueue } from '../plugin/contracts/run-queue.js';
import type {
  AuditSink,
  CacheStore,
  Executor,
  Logger,
  Middleware,
  PermissionPolicy,
  Scheduler,
  SecretsProvider,
  StateStore,
} from '../plugin/types.js';
import type { Workflow } from '../workflow.js';
import type { CustomEventBoard } from './custom-event-board.js';
import type { CapturedOrigin } from './propagation.js';
import type { RunWatchers } from './run-watchers.js';

/**
 * Internal: what a run needs from its engine (clock, plugins' registrations, publishing, child runs). Generic in the
 * run type so this contract does not depend on `Execution` (engine → execution, one way).
 */
export interface EngineServices<X = unknown> {
  readonly clock: SchedulerLike;
  readonly logger: Logger;
  readonly middleware: readonly Middleware[];
  readonly scheduler: Scheduler | undefined;
  readonly executors: ReadonlyMap<string, Executor>;
  readonly secrets: readonly SecretsProvider[];
  readonly auditSinks: readonly AuditSink[];
  readonly propagators: readonly ContextPropagator[];
  /**
   * Where top-level runs waiting to start were asked for (the caller's context from the propagators), by run; only
   * runs with an origin have an entry (kept off the run object: most engines have no propagator).
   */
  readonly runOrigins: WeakMap<object, CapturedOrigin>;
  readonly cacheStore: CacheStore;
  readonly stateStore: StateStore;
  readonly permissionPolicy: PermissionPolicy;
  /** True when the policy is the default one (only nodes that declare permissions are checked). */
  readonly defaultPermissions: boolean;
  /** The queue plugin's run queue (`engine.enqueue`, subworkflow nodes with `runOn`), if one is installed. */
  readonly runQueue: RunQueue | undefined;
  readonly inflight: Map<string, CacheFlight>;
  readonly container: DependencyContainer;
  /** Latest custom event per name, engine-wide, bounded; each run sees those emitted while it runs. */
  readonly lastCustom: CustomEventBoard;
  /** onEvent handlers of active runs for custom event names. */
  readonly customListeners: Map<string, Set<(e: CustomEvent) => void>>;
  publish(event: FlowEvent): void;
  /** Plugins' run watchers (`PluginApi.watchRuns`), told when each run starts and settles. */
  readonly runWatchers: RunWatchers;
  /** Whether {@link publish} would pass an event of `type` to anyone now (exporter, `engine.events$`, channel). */
  heard(type: FlowEvent['type']): boolean;
  /** Base directory for run staging areas (artifacts); default the OS temp dir. */
  readonly artifactsDir: string | undefined;
  /** Values every run redacts (engine option `redact.also`). */
  readonly redactAlso: readonly string[];
  /** Keep track of background work (cleanups) that `engine.close()` must wait for. */
  track(work: Promise<unknown>): void;
  /** Start a child execution (subworkflow) right away, outside the run queue. */
  startChild(wf: Workflow<unknown, object>, input: unknown, options: RunOptions, parent: X): X;
  /** Flow control between runs (node-level `concurrency` / `rateLimit` wait here). */
  readonly flow: NodeFlow;
  /** Called by an execution when it settles. */
  settled(exec: X): void;
}
