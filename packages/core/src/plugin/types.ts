import type { Observable } from 'rxjs';
import type { InjectionToken } from 'tsyringe';
import type { NodeDescription, WorkflowDescription } from '../contracts/descriptions.js';
import type { FlowEvent, SystemEvent } from '../engine/events.js';
import type { SerializedError } from '../errors.js';
import type { ExecutionStore } from './execution-store.js';

/* ───────────────────────────── Executors ───────────────────────────── */

/** Options of one command run through an {@link Executor}. */
export interface ExecOptions {
  /** Arguments, passed as an argv vector (never through a shell unless `shell: true`). */
  readonly args?: readonly string[] | undefined;
  /** Run `command` through `/bin/sh -c` (the command is then a shell script; `args` become `$1…`). Default false. */
  readonly shell?: boolean | undefined;
  /** Extra environment variables (merged over the executor's base environment). */
  readonly env?: Readonly<Record<string, string>> | undefined;
  /** Working directory. */
  readonly cwd?: string | undefined;
  /** Data written to the command's stdin (then stdin is closed). */
  readonly stdin?: string | Uint8Array | undefined;
  /** Kill the command after this many ms (rejects with `FL_TIMEOUT`). */
  readonly timeout?: number | undefined;
  /** Aborting kills the command (rejects with `FL_CANCELLED`). */
  readonly signal?: AbortSignal | undefined;
  /** Resolve instead of rejecting with `FL_EXEC_FAILED` on a non-zero exit. Default false. */
  readonly allowFailure?: boolean | undefined;
  /** Stop the command when stdout + stderr exceed this many bytes. Default 16 MiB. */
  readonly maxOutputBytes?: number | undefined;
  /** Executor-specific target (an SSH host, a container, a pod, a worker id). */
  readonly target?: string | undefined;
  /** The run and node the command belongs to (set by the engine for `ctx.exec`), for error messages and logs. */
  readonly executionId?: string | undefined;
  readonly nodeId?: string | undefined;
}

/** One chunk of streamed command output. */
export interface OutputChunk {
  readonly stream: 'stdout' | 'stderr';
  readonly data: string;
}

/** The outcome of a finished command. */
export interface ExecResult {
  /** Exit code; `null` when the process was ended by a signal (where the executor can tell). */
  readonly exitCode: number | null;
  /**
   * The signal that ended the process, when the executor can tell. Container and pod executors usually cannot: they
   * report `128 + n` exit codes instead and leave this `null`/undefined.
   */
  readonly signal?: string | null | undefined;
  readonly stdout: string;
  readonly stderr: string;
  readonly durationMs: number;
}

/** A running command: its output as a stream and its result as a promise. */
export interface ExecHandle {
  /** Output chunks in arrival order; completes when the command ends. Hot: subscribe before awaiting `result`. */
  readonly output$: Observable<OutputChunk>;
  /** Settles when the command ends; rejects with `FL_EXEC_FAILED`, `FL_TIMEOUT` or `FL_CANCELLED`. */
  readonly result: Promise<ExecResult>;
  /** Stop the command now (same as aborting its signal). */
  kill(reason?: string): void;
}

/** Result of copying an artifact. */
export interface CopyResult {
  readonly bytes: number;
  readonly files: number;
  /** sha256 (hex) of the content for a single file. */
  readonly sha256?: string | undefined;
}

/** Options of `copyIn` / `copyOut`. */
export interface CopyOptions {
  readonly target?: string | undefined;
  /** Aborting stops the copy. */
  readonly signal?: AbortSignal | undefined;
}

/** Health of an executor or one of its targets. */
export interface HealthStatus {
  readonly healthy: boolean;
  readonly message?: string | undefined;
  readonly latencyMs?: number | undefined;
}

/**
 * Runs commands somewhere (this machine, an SSH host, a container, a pod) and moves artifacts in and out.
 * Registered by plugins with `api.executors.register(name, executor)`; nodes pick one with `executor: 'name'`.
 */
export interface Executor {
  /** Start `command`; never throws synchronously for a failing command (the handle's result rejects). */
  exec(command: string, options?: ExecOptions): ExecHandle;
  /** Copy a local file or directory to the executor's side. Aborting `signal` stops the copy (rejects `FL_CANCELLED`). */
  copyIn(localPath: string, remotePath: string, options?: CopyOptions): Promise<CopyResult>;
  /** Copy a file or directory from the executor's side to a local path. Aborting `signal` stops the copy. */
  copyOut(remotePath: string, localPath: string, options?: CopyOptions): Promise<CopyResult>;
  /** Check the executor (or one target) can run commands. */
  healthCheck(options?: { target?: string | undefined; signal?: AbortSignal | undefined }): Promise<HealthStatus>;
  /** Release every connection, process and timer. Called by `engine.close()` for registered executors. */
  dispose(): Promise<void>;
}

/* ───────────────────────────── Scheduling ───────────────────────────── */

/** What a scheduler sees of a ready node asking to run. */
export interface AdmissionRequest {
  readonly executionId: string;
  readonly workflow: string;
  readonly node: NodeDescription;
  /** Higher runs first (from the node's `priority`, default 0). */
  readonly priority: number;
}

/** Permission to run one node, returned by {@link Scheduler.acquire}; given back through `release`. */
export interface Lease {
  readonly request: AdmissionRequest;
  /** The worker/host the scheduler placed the node on, exposed as `ctx.workerId` and used as executor target. */
  readonly workerId?: string | undefined;
}

/**
 * Decides which ready node runs next and where. `acquire` may answer synchronously (fast path) or with a promise
 * that resolves when the node may start; aborting `signal` (run cancelled) must reject or drop the request.
 */
export interface Scheduler {
  readonly name: string;
  acquire(request: AdmissionRequest, signal: AbortSignal): Lease | Promise<Lease>;
  release(lease: Lease, outcome: 'success' | 'failed' | 'cancelled'): void;
  /** Queue depth for metrics exporters. */
  pending?(): number;
  /**
   * Worker health changes (`worker.down` / `worker.up`) and resource expiry (`resource.expired`). The engine
   * subscribes once its plugins are set up and republishes them on `engine.systemEvents$` with `scheduler` set to
   * this scheduler's name; a wrapping scheduler (e.g. resource pools) forwards its inner scheduler's stream.
   */
  readonly events$?: Observable<SystemEvent> | undefined;
  dispose?(): void | Promise<void>;
}

/* ───────────────────────────── Middleware ───────────────────────────── */

/** What middleware sees of a node attempt. */
export interface MiddlewareContext {
  readonly executionId: string;
  readonly workflow: string;
  readonly nodeId: string;
  readonly attempt: number;
  readonly node: NodeDescription;
  readonly input: unknown;
  readonly results: Readonly<Record<string, unknown>>;
  readonly signal: AbortSignal;
  readonly log: NodeLogger;
  /** Free-form per-attempt bag for middleware to share data. */
  readonly state: Record<string, unknown>;
  /**
   * Redact the run's resolved secrets from a value (deep copy; strings get `[REDACTED]`) before middleware logs,
   * stores or sends it anywhere.
   */
  redact<T>(value: T): T;
}

/**
 * Koa-style middleware around each node attempt: call `next()` to run the inner layers and the node, return its
 * value (or another one to replace the output); not calling `next()` short-circuits the node. Retries call the
 * middleware again (one call per attempt).
 */
export type Middleware = (ctx: MiddlewareContext, next: () => Promise<unknown>) => Promise<unknown>;

/* ───────────────────────────── Security ───────────────────────────── */

/** Supplies secret values by name. Return `undefined` when unknown so the next provider is asked. */
export interface SecretsProvider {
  readonly name: string;
  get(name: string): string | undefined | Promise<string | undefined>;
  dispose?(): void | Promise<void>;
}

/** The identity a run acts for; checked by the permission policy. */
export interface Actor {
  readonly id: string;
  readonly roles?: readonly string[] | undefined;
  readonly mfa?: boolean | undefined;
  /** When MFA was last passed (ms since the epoch); policies with a maximum MFA age check it. */
  readonly mfaAt?: number | undefined;
}

/** Permissions a node declares. */
export interface NodePermissions {
  /** The actor needs at least one of these roles. */
  readonly requiredRoles?: readonly string[] | undefined;
  /** When given, the actor's id must be listed. */
  readonly allowedUsers?: readonly string[] | undefined;
  /** The actor must have `mfa: true`. */
  readonly requireMFA?: boolean | undefined;
}

/** A permission decision: allowed, or denied with a reason that says what is missing (no secret values). */
export type PermissionVerdict = { readonly allowed: true } | { readonly allowed: false; readonly reason: string };

/** Engine-level actions a {@link PermissionPolicy} may decide with `authorize`. */
export type EngineAction = 'run' | 'cancel' | 'signal' | 'resume';

/** What `PermissionPolicy.authorize` is asked: `actor` wants to do `action` on one execution of `workflow`. */
export interface ActionRequest {
  readonly action: EngineAction;
  /**
   * Who asks (for `run`: the run's actor; for `cancel`/`signal`/`resume`: the `actor` option of
   * `engine.cancel`/`engine.signal`/`engine.resume`).
   */
  readonly actor: Actor | undefined;
  readonly workflow: string;
  readonly executionId: string;
  /** The signal's name, for `signal`. */
  readonly signal?: string | undefined;
}

/** Decides whether an actor may run a node and, optionally, start/cancel/signal/resume a run. */
export interface PermissionPolicy {
  check(request: {
    readonly actor: Actor | undefined;
    readonly node: NodeDescription;
    readonly workflow: string;
    readonly executionId: string;
  }): PermissionVerdict;
  /**
   * Optional: decide an engine-level action before the engine performs it (`run` when the run is admitted, before
   * any node; `cancel`, `signal` and `resume` in `engine.cancel` / `engine.signal` / `engine.resume`). A denial fails the run / throws
   * `FL_ACTION_DENIED`. Policies without `authorize` allow every action. Must answer synchronously.
   */
  authorize?(request: ActionRequest): PermissionVerdict;
}

/** One audit record, as sinks receive it (already redacted). */
export interface AuditRecord {
  readonly timestamp: number;
  readonly executionId: string;
  readonly workflow: string;
  readonly nodeId?: string | undefined;
  readonly actor?: string | undefined;
  readonly action: string;
  readonly resource?: string | undefined;
  readonly outcome?: 'success' | 'denied' | 'failure' | undefined;
  readonly details?: Readonly<Record<string, unknown>> | undefined;
}

/** Receives audit records. */
export interface AuditSink {
  readonly name: string;
  write(record: AuditRecord): void | Promise<void>;
  dispose?(): void | Promise<void>;
}

/* ───────────────────────────── Observability ───────────────────────────── */

/** Subscribes to the engine's event stream (Prometheus, DataDog, …). */
export interface MetricsExporter {
  readonly name: string;
  /**
   * The fast path: called synchronously with every event of every run on the engine (no RxJS subscription).
   * Keep it cheap and non-throwing: a throw is caught and logged with the exporter's name (the first 10 failures of
   * an exporter one by one, then their total when the engine closes), and never reaches a run. Give `handle`,
   * `attach`, or both.
   */
  handle?(event: FlowEvent): void;
  /** Called synchronously with every {@link SystemEvent} (worker health, resource expiry); same rules as `handle`. */
  handleSystem?(event: SystemEvent): void;
  /** Called once with the engine-wide event stream; return a teardown. */
  attach?(events$: Observable<FlowEvent>): void | (() => void | Promise<void>);
  dispose?(): void | Promise<void>;
}

/** Structured logger used by the engine and plugins (pino-compatible method names). */
export interface Logger {
  debug(message: string, fields?: Readonly<Record<string, unknown>>): void;
  info(message: string, fields?: Readonly<Record<string, unknown>>): void;
  warn(message: string, fields?: Readonly<Record<string, unknown>>): void;
  error(message: string, fields?: Readonly<Record<string, unknown>>): void;
}

/** `ctx.log`: lines become redacted `node.log` events. */
export type NodeLogger = Logger;

/* ───────────────────────────── Stores ───────────────────────────── */

/** A cached value. */
export interface CacheEntry {
  readonly value: unknown;
}

/** Stores node outputs for `cache`. `get` may answer synchronously (fast hit path). */
export interface CacheStore {
  readonly name: string;
  get(key: string): CacheEntry | undefined | Promise<CacheEntry | undefined>;
  set(key: string, value: unknown, ttlMs: number): void | Promise<void>;
  delete(key: string): void | Promise<void>;
  /**
   * Optional: single-flight across processes sharing the store. Called on a miss, before computing. Resolve
   * `{ compute: true, release }` when this caller should compute the value (the store holds a lock on `key` for at
   * most `lockMs`; `release()` is called after `set`), or `{ compute: false, entry }` when another process held the
   * lock and finished meanwhile (`entry` undefined: it failed or its lock expired — the caller computes without a lock).
   */
  acquire?(key: string, lockMs: number): Promise<CacheLock>;
  dispose?(): void | Promise<void>;
}

/** What {@link CacheStore.acquire} answers. */
export type CacheLock =
  | { readonly compute: true; release(): void }
  | { readonly compute: false; readonly entry: CacheEntry | undefined };

/** Per-execution key/value state behind `ctx.storage`. */
export interface StateStore {
  readonly name: string;
  get(executionId: string, key: string): unknown | Promise<unknown>;
  set(executionId: string, key: string, value: unknown): void | Promise<void>;
  delete(executionId: string, key: string): void | Promise<void>;
  /** Called when a run settles; ephemeral stores drop the execution's state, durable ones may keep it. */
  release?(executionId: string): void | Promise<void>;
  dispose?(): void | Promise<void>;
}

/** `ctx.storage`. */
export interface ExecutionStorage {
  get<T = unknown>(key: string): Promise<T | undefined>;
  set(key: string, value: unknown): Promise<void>;
  delete(key: string): Promise<void>;
}

/* ───────────────────────────── Plugins ───────────────────────────── */

/** Everything a plugin may touch while it is set up. */
export interface PluginApi {
  /** The engine's core version (semver). */
  readonly coreVersion: string;
  readonly executors: { register(name: string, executor: Executor): void; get(name: string): Executor | undefined };
  readonly schedulers: { set(scheduler: Scheduler): void };
  readonly middleware: { use(middleware: Middleware): void };
  readonly secrets: { addProvider(provider: SecretsProvider): void };
  readonly audit: { addSink(sink: AuditSink): void };
  readonly metrics: { addExporter(exporter: MetricsExporter): void };
  readonly cache: { setStore(store: CacheStore): void };
  readonly state: { setStore(store: StateStore): void };
  /** The durable execution log (`engine.resume`, `engine.runs`, `resume: 'auto'`). */
  readonly executions: { setStore(store: ExecutionStore): void };
  readonly permissions: { setPolicy(policy: PermissionPolicy): void };
  /** The engine's tsyringe child container (`Tokens.*`). */
  readonly container: PluginContainer;
  /** Every event of every run on this engine. */
  readonly events$: Observable<FlowEvent>;
  /** The engine's {@link SystemEvent}s (worker health, resource expiry) from the installed scheduler. Not replayed. */
  readonly systemEvents$: Observable<SystemEvent>;
  /**
   * The JSON-safe description (nodes, edges, groups) of the workflow of an active run (a subworkflow run's too), or
   * `undefined` once it settled. Call it from an event handler (e.g. on `workflow.started`) to draw a run's graph.
   */
  describeRun(executionId: string): WorkflowDescription | undefined;
  readonly logger: Logger;
  /** Run `fn` when the engine closes (after the plugin's own disposer, in reverse setup order). */
  onClose(fn: () => void | Promise<void>): void;
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
export type { SerializedError, WorkflowDescription };
