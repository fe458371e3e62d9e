import type { Observable } from 'rxjs';
import type { InjectionToken } from 'tsyringe';
import type { CustomEvent } from '../contracts/events.js';
import type { FlowConcurrencyOptions, FlowRateLimitOptions } from '../contracts/flow-control.js';
import type {
  Actor,
  CacheStore,
  ExecHandle,
  ExecOptions,
  ExecResult,
  ExecutionStorage,
  NodeLogger,
  NodePermissions,
} from '../plugin/types.js';

/** What a node function may return. */
export type NodeReturn<R> = R | PromiseLike<R> | Observable<R>;

/** `ctx.exec`: run a command through the node's executor (or the local one). */
export interface ExecFn {
  (command: string, options?: Omit<ExecOptions, 'signal'>): Promise<ExecResult>;
  /** The streaming form: subscribe to `output$`, await `result`. */
  stream(command: string, options?: Omit<ExecOptions, 'signal'>): ExecHandle;
}

/** Audit entry written from a node with `ctx.audit(...)`. */
export interface AuditInput {
  readonly action: string;
  readonly resource?: string | undefined;
  readonly outcome?: 'success' | 'denied' | 'failure' | undefined;
  readonly details?: Readonly<Record<string, unknown>> | undefined;
}

/**
 * The context a node function receives.
 * `results` holds the outputs of the nodes it depends on, typed from the builder.
 */
export interface NodeContext<TIn = unknown, TResults = Record<string, unknown>> {
  readonly input: TIn;
  readonly results: Readonly<TResults>;
  readonly executionId: string;
  readonly workflow: string;
  readonly nodeId: string;
  /** 1 on the first attempt, then 2, 3… on retries. */
  readonly attempt: number;
  /**
   * `<executionId>:<nodeId>`, stable across attempts and across a resume in another process: key the node's side
   * effects with it (a node in flight at a crash runs again — at-least-once).
   */
  readonly idempotencyKey: string;
  /** Aborted on timeout, cancel, run failure and engine close. Pass it to fetch, child processes, … */
  readonly signal: AbortSignal;
  /** Structured logs; each line becomes a redacted `node.log` event. */
  readonly log: NodeLogger;
  /** The actor the run acts for, if any. */
  readonly actor: Actor | undefined;
  /** The worker the scheduler placed this node on, if a placement scheduler is installed. */
  readonly workerId: string | undefined;
  /** Publish a `custom` event (engine-wide: other workflows' `onEvent(name)` handlers receive it). */
  emitEvent(name: string, payload?: unknown): void;
  /**
   * The latest `custom` event named `name`: this run's own first, else the latest emitted on this engine while this
   * run was running (never an earlier run's payload; at most 1,000 names are remembered engine-wide).
   */
  getEvent<P = unknown>(name: string): CustomEvent<P> | undefined;
  /**
   * Wait for the next `custom` event named `name` emitted on this engine (by any run) after this call.
   * Rejects with `FL_EVENT_TIMEOUT` after `timeout` ms, or with the abort reason when the node is aborted.
   */
  waitForEvent<P = unknown>(name: string, options?: { timeout?: number | undefined }): Promise<CustomEvent<P>>;
  /** Wait for `run.signal(name, payload)`; signals sent before the wait are buffered. Rejects with `FL_SIGNAL_TIMEOUT`. */
  waitForSignal<P = unknown>(name: string, options?: { timeout?: number | undefined }): Promise<P>;
  /** Per-execution shared state (pluggable `StateStore`). */
  readonly storage: ExecutionStorage;
  /** Resolve a secret; its value is redacted from everything the engine emits. */
  getSecret(name: string): Promise<string>;
  /**
   * Treat `value` as a secret from now on: redacted (like `getSecret` values) from everything this run and its
   * subworkflows emit afterwards. For secrets that do not come from a secrets provider (read from a file, minted
   * by an API). Earlier events are not rewritten.
   */
  markSecret(value: string): void;
  /** Write an audit record (redacted, stamped with execution, node and actor). */
  audit(record: AuditInput): Promise<void>;
  /** Run a command through this node's executor. */
  readonly exec: ExecFn;
  /** Resolve a service from the engine's DI container. */
  resolve<T>(token: InjectionToken<T>): T;
}

/** A node function. Error-boundary handlers also receive the error. */
export type NodeFn<TIn, TResults, R> = (ctx: NodeContext<TIn, TResults>, error: unknown) => NodeReturn<R>;

/** Class of an error, or an error code, for `nonRetryable` / `errorTypes`. */
// biome-ignore lint/suspicious/noExplicitAny: constructor parameter lists are erased here on purpose
export type ErrorMatcher = (abstract new (...args: any[]) => Error) | string;

/** Retry policy of a node. Exponential and linear backoff are just coefficients. */
export interface RetryPolicy {
  /** Total attempts including the first (≥ 1). */
  readonly maxAttempts: number;
  /** Delay before the first retry, ms. Default 1000. */
  readonly initialInterval?: number | undefined;
  /** Multiplier per retry (1 = linear/constant). Default 2. */
  readonly backoffCoefficient?: number | undefined;
  /** Upper bound for a delay, ms. Default 60000. */
  readonly maxInterval?: number | undefined;
  /** Randomise each delay down by up to this fraction (0–1; `true` = 1, "full jitter"). Default 0. */
  readonly jitter?: boolean | number | undefined;
  /** Errors (classes or codes) never retried. `FL_PERMISSION_DENIED`, `FL_CANCELLED` and `FL_EXECUTOR_NOT_FOUND` never are. */
  readonly nonRetryable?: readonly ErrorMatcher[] | undefined;
  /** Only these errors are retried, when given. */
  readonly retryOn?: readonly ErrorMatcher[] | undefined;
  /** Called before each retry: return a delay (ms) to override it, `false` to stop retrying. */
  readonly onRetry?: ((error: unknown, attempt: number, ctx: NodeContext) => number | false | undefined) | undefined;
}

/** Cache options of a node. Concurrent runs with the same key share one execution. */
export interface CacheOptions<TIn = unknown, TResults = Record<string, unknown>> {
  /** Time to live, ms (> 0). */
  readonly ttl: number;
  /** The key within this node (default: JSON of input and parent results). */
  readonly keyFn?: ((ctx: NodeContext<TIn, TResults>) => string) | undefined;
  /** A store other than the engine's (default: in-memory LRU). */
  readonly store?: CacheStore | undefined;
}

/** Which executor a node's `ctx.exec` uses. */
export type ExecutorSelector = string | { readonly name: string; readonly target?: string | undefined };

/**
 * Health check run on the node's executor after the node succeeds; failing fails the node (and its work is rolled
 * back with the rest when the run fails). Each attempt emits `node.health-checked`.
 */
export interface HealthCheckOptions {
  /** A shell script (without `args`) or a program (with `args`, passed as argv). */
  readonly command: string;
  readonly args?: readonly string[] | undefined;
  /** Attempts before giving up. Default 1. */
  readonly retries?: number | undefined;
  /** Delay between attempts, ms. Default 1000. */
  readonly interval?: number | undefined;
  /** Per-attempt limit, ms: the command is stopped and the attempt fails with `FL_TIMEOUT`. Default 30,000. */
  readonly timeout?: number | undefined;
  /** Extra environment variables for the command. */
  readonly env?: Readonly<Record<string, string>> | undefined;
  /** Working directory of the command. */
  readonly cwd?: string | undefined;
}

/** The command form of a node's `rollback`. */
export interface RollbackCommand {
  /** A shell script (without `args`) or a program (with `args`, passed as argv). */
  readonly command: string;
  readonly args?: readonly string[] | undefined;
  /** Extra environment variables for the command. */
  readonly env?: Readonly<Record<string, string>> | undefined;
  /** Working directory of the command. */
  readonly cwd?: string | undefined;
  /** Limit, ms: the command is stopped and the rollback fails (`FL_ROLLBACK_FAILED`). Default 300,000. */
  readonly timeout?: number | undefined;
}

/**
 * Files a node moves through the run's staging area: `out` are copied from the node's executor after it succeeds,
 * `in` are copied to the node's executor before it runs (from an `out` of an ancestor node).
 */
export interface ArtifactOptions {
  readonly out?: readonly { readonly from: string; readonly name: string }[] | undefined;
  readonly in?: readonly { readonly name: string; readonly to: string }[] | undefined;
}

/**
 * Rollback run for a completed node when the run fails (reverse topological order): a command on the node's executor
 * or a function of the node's context and output. Either is given up after its timeout (command: `timeout`, default
 * 300,000 ms; function: 300,000 ms on the engine clock) so a hanging rollback cannot hold the run or `engine.close()`.
 */
export type RollbackOptions<TIn, TResults> =
  | RollbackCommand
  | ((ctx: NodeContext<TIn, TResults>, output: unknown) => NodeReturn<unknown>);

/** Options every node accepts. */
export interface NodeOptions<TIn = unknown, TResults = Record<string, unknown>, D extends string = string> {
  /** Nodes that must settle before this one; their outputs appear in `ctx.results`. */
  readonly dependsOn?: readonly D[] | undefined;
  /** Run only when true; otherwise the node is `skipped` (and its dependents too, unless they set `runIfSkipped`). */
  readonly condition?: ((ctx: NodeContext<TIn, TResults>) => boolean | PromiseLike<boolean>) | undefined;
  /** Run even when a dependency was skipped (its result is then `undefined`). */
  readonly runIfSkipped?: boolean | undefined;
  readonly retry?: RetryPolicy | undefined;
  /** Per-attempt timeout, ms (> 0, at most 2,147,483,647 — the longest timer). */
  readonly timeout?: number | undefined;
  /** Node run in this one's place when it fails (after retries). Fallbacks cascade. */
  readonly fallback?: string | undefined;
  /** `fail` (default) fails the run; `continue` marks the node failed and goes on (dependents see `undefined`). */
  readonly onError?: 'fail' | 'continue' | 'fallback' | undefined;
  readonly cache?: CacheOptions<TIn, TResults> | undefined;
  /** Higher runs first when a scheduler orders ready nodes. */
  readonly priority?: number | undefined;
  readonly tags?: readonly string[] | undefined;
  readonly executor?: ExecutorSelector | undefined;
  /** Resources for schedulers/resource pools, e.g. `{ cpu: 2, labels: ['gpu'] }`. */
  readonly resources?: Readonly<Record<string, number | string | readonly string[]>> | undefined;
  readonly permissions?: NodePermissions | undefined;
  readonly healthCheck?: HealthCheckOptions | undefined;
  /** Artifacts collected from (`out`) or delivered to (`in`) this node's executor, by name. */
  readonly artifacts?: ArtifactOptions | undefined;
  readonly rollback?: RollbackOptions<TIn, TResults> | undefined;
  /** Estimated duration, ms (used by schedulers for critical paths). */
  readonly estimatedMs?: number | undefined;
  /** Free-form metadata for plugins. */
  readonly meta?: Readonly<Record<string, unknown>> | undefined;
  /**
   * Where a dispatch plugin (e.g. `@flowlane/queue-bullmq`) runs the node: a worker group's name, or `'local'` for
   * in-process. Without such a plugin the node runs in-process whatever the value.
   */
  readonly runOn?: string | undefined;
  /**
   * Flow control of this node across runs: at most `limit` executions (attempts) of the node per key at once, across
   * every run on the engine (or on a shared flow-control backend). Waiting does not count toward `timeout`.
   */
  readonly concurrency?: FlowConcurrencyOptions<TIn> | undefined;
  /**
   * Never more than `limit` attempts of this node per key in any window of `period` ms. Excess attempts wait
   * (`mode: 'delay'`, the default) or fail at once with `FL_RATE_LIMITED` (`mode: 'drop'`; `retry`, `fallback` and
   * `onError` apply as to any failure).
   */
  readonly rateLimit?: FlowRateLimitOptions<TIn> | undefined;
}

/** Options of an error-boundary node. */
export interface BoundaryOptions<D extends string = string> {
  readonly onError: true;
  /** Nodes whose failures (after retries and fallbacks) this boundary handles. */
  readonly forNodes: readonly D[];
  /** Only errors of these classes or codes; all errors when omitted. */
  readonly errorTypes?: readonly ErrorMatcher[] | undefined;
  readonly dependsOn?: readonly D[] | undefined;
  readonly timeout?: number | undefined;
  readonly retry?: RetryPolicy | undefined;
  readonly tags?: readonly string[] | undefined;
  /** Scheduling priority when the boundary runs (at least the failed node's). */
  readonly priority?: number | undefined;
  /** Resources the boundary takes from resource pools / worker labels while it runs. */
  readonly resources?: Readonly<Record<string, number | string | readonly string[]>> | undefined;
  /** Which executor the boundary's `ctx.exec` uses. */
  readonly executor?: ExecutorSelector | undefined;
}

/** Result entry of `forEach` with `failurePolicy: 'allSettled'`. */
export type SettledItem<R> =
  | { readonly status: 'fulfilled'; readonly value: R }
  | { readonly status: 'rejected'; readonly reason: unknown };

/* ───────────────────────────── Descriptions (JSON-safe) ───────────────────────────── */

export type { NodeDescription, NodeKind, WorkflowDescription } from '../contracts/descriptions.js';
