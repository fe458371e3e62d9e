import type { SchedulerLike } from 'rxjs';
import type { RedactOptions } from '../contracts/run-types.js';
import type { DependencyContainer } from '../plugin/container.js';
import type {
  AuditSink,
  CacheStore,
  Executor,
  FlowlanePlugin,
  Logger,
  Middleware,
  PermissionPolicy,
  Scheduler,
  SecretsProvider,
  StateStore,
} from '../plugin/types.js';
import type { DurabilityOptions } from './durability.js';

/** Options of {@link createEngine}. Everything has an in-memory default, so a workflow runs with none. */
export interface EngineOptions extends DurabilityOptions {
  /** Plugins, set up in order (dependencies first); disposed in reverse order by `close()`. */
  readonly plugins?: readonly FlowlanePlugin[] | undefined;
  /** Time source for delays, timeouts and timestamps (an RxJS scheduler; `TestScheduler` for virtual time). */
  readonly clock?: SchedulerLike | undefined;
  readonly logger?: Logger | undefined;
  /** Runs beyond this many wait in a FIFO queue. Default: unbounded. */
  readonly maxConcurrentRuns?: number | undefined;
  /** Nodes running at once across all runs (FIFO admission). Default: unbounded. */
  readonly concurrency?: number | undefined;
  readonly cache?: CacheStore | undefined;
  readonly state?: StateStore | undefined;
  /** Secrets providers asked in order (default: environment variables `FLOWLANE_SECRET_<NAME>`). */
  readonly secrets?: readonly SecretsProvider[] | undefined;
  /** Audit sinks (default: one in-memory sink, see `engine.audit`). */
  readonly audit?: readonly AuditSink[] | undefined;
  readonly permissions?: PermissionPolicy | undefined;
  /** Extra executors by name (`local` is always there unless replaced). */
  readonly executors?: Readonly<Record<string, Executor>> | undefined;
  readonly middleware?: readonly Middleware[] | undefined;
  readonly scheduler?: Scheduler | undefined;
  /** Base directory for each run's artifact staging area (default: the OS temp dir). */
  readonly artifactsDir?: string | undefined;
  /** Parent DI container (default: tsyringe's root). */
  readonly container?: DependencyContainer | undefined;
  /** Values redacted in every run, like resolved secrets (see docs/builder.md, Secrets). */
  readonly redact?: RedactOptions | undefined;
  /** Longest chain of runs started by triggers from runs started by triggers (loop protection). Default 10. */
  readonly maxTriggerDepth?: number | undefined;
}
