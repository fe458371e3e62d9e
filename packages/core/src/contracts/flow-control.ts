/**
 * The input type flow-control key functions see: workflow options are given before `.input<T>()`, so inputs are not
 * typed there (narrow inside the function).
 */
// biome-ignore lint/suspicious/noExplicitAny: workflow(name, options) comes before .input<T>(); keys read ctx.input.x
export type FlowInput = any;

/** What a flow-control `key` function receives: the run's input and id. */
export interface FlowKeyContext<TIn = FlowInput> {
  readonly input: TIn;
  readonly executionId: string;
  readonly workflow: string;
}

/** A run's key under a flow-control option: tenants, repositories, customers… (`string` or `number`). */
export type FlowKeyFn<TIn = FlowInput> = (ctx: FlowKeyContext<TIn>) => string | number;

/** `concurrency`: at most `limit` runs per key at once, across all runs of the engine (or of a shared backend). */
export interface FlowConcurrencyOptions<TIn = FlowInput> {
  /** Default: one key for every run of the workflow. */
  readonly key?: FlowKeyFn<TIn> | undefined;
  /** Runs per key at once (integer ≥ 1). */
  readonly limit: number;
}

/** `rateLimit`: never more than `limit` starts per key in any window of `period` ms (a sliding window). */
export interface FlowRateLimitOptions<TIn = FlowInput> {
  readonly key?: FlowKeyFn<TIn> | undefined;
  /** Starts per window (integer ≥ 1). */
  readonly limit: number;
  /** Window length in ms (> 0). */
  readonly period: number;
  /** `'delay'` (default): excess runs wait for the window; `'drop'`: they end at once, cancelled with `FL_RATE_LIMITED`. */
  readonly mode?: 'delay' | 'drop' | undefined;
}

/** `debounce` (triggered runs): a burst of events for one key starts one run, with the latest event's input. */
export interface FlowDebounceOptions<TIn = FlowInput> {
  readonly key?: FlowKeyFn<TIn> | undefined;
  /** Quiet time in ms after the last event before the run starts (> 0). */
  readonly period: number;
  /** Start at the latest this many ms after the burst's first event, even if events keep coming. */
  readonly maxWait?: number | undefined;
}

/** `fairness`: how waiting runs of different keys share the engine's slots. */
export type FlowFairness = 'round-robin' | { readonly weights: Readonly<Record<string, number>> };

/** A `cancelOn` rule: a custom event (`engine.emit`, `ctx.emitEvent`) that cancels the run when `match` says so. */
export interface FlowCancelOn<TIn = FlowInput> {
  readonly event: string;
  /** Default: every event of that name cancels the run. */
  readonly match?:
    | ((event: { readonly name: string; readonly payload: FlowInput }, ctx: FlowKeyContext<TIn>) => boolean)
    | undefined;
}

/** The workflow-level flow-control options of `workflow(name, options)`. */
export interface WorkflowFlowOptions<TIn = FlowInput> {
  readonly concurrency?: FlowConcurrencyOptions<TIn> | undefined;
  readonly rateLimit?: FlowRateLimitOptions<TIn> | undefined;
  readonly debounce?: FlowDebounceOptions<TIn> | undefined;
  readonly fairness?: FlowFairness | undefined;
  readonly cancelOn?: readonly FlowCancelOn<TIn>[] | undefined;
  /** Default priority of the workflow's runs (higher first within a key); `engine.run(…, { priority })` overrides. */
  readonly priority?: number | ((ctx: FlowKeyContext<TIn>) => number) | undefined;
}

/** The answer of {@link FlowControlBackend.take}. */
export type RateDecision = { readonly admitted: true } | { readonly admitted: false; readonly retryAt: number };

/**
 * Where flow control keeps its counts: per-key concurrency slots and sliding-window start times. The default keeps
 * them in memory (one engine); `@flowlane/store-redis` shares them between engines. Set by a plugin with
 * `api.flowControl.setBackend(backend)`. Methods may answer synchronously or with a promise.
 */
export interface FlowControlBackend {
  readonly name: string;
  /**
   * How often (ms) blocked keys are retried, for backends whose slots may be freed by another process. Undefined:
   * only releases on this engine (and rate-window ends) wake blocked keys.
   */
  readonly pollInterval?: number | undefined;
  /** Take one of `limit` slots of `key` for `holder` (an execution id); false when all are held. Idempotent per holder. */
  acquire(slot: { readonly key: string; readonly limit: number; readonly holder: string }): boolean | Promise<boolean>;
  /** Give back `holder`'s slot of `key` (no-op when it holds none). */
  release(slot: { readonly key: string; readonly holder: string }): void | Promise<void>;
  /**
   * Record a start of `key` at `now` when fewer than `limit` starts fall in `(now - period, now]`; otherwise say
   * when the oldest of them leaves the window (`retryAt`).
   */
  take(window: {
    readonly key: string;
    readonly limit: number;
    readonly period: number;
    readonly now: number;
    readonly holder: string;
  }): RateDecision | Promise<RateDecision>;
  /**
   * Optional, with {@link subscribeEvents}: carry custom events to the other engines sharing this backend, so that a
   * `cancelOn` event published on one engine (`engine.emit`, `ctx.emitEvent`) cancels matching runs on all of them.
   * Called for every custom event of the engine (payloads are already redacted); a rejection is logged.
   */
  publishEvent?(event: { readonly name: string; readonly payload: unknown }): void | Promise<void>;
  /**
   * Optional: receive the events named `name` that **other** engines publish (not this engine's own). Called when
   * a run on this engine starts listening for `name` (`cancelOn`); returns the function that stops listening.
   */
  subscribeEvents?(name: string, listener: (payload: unknown) => void): () => void;
  dispose?(): void | Promise<void>;
}

/** @internal One node attempt asking for node-level flow control. */
export interface NodeAdmission {
  readonly nodeId: string;
  readonly ctx: FlowKeyContext;
  readonly concurrency: FlowConcurrencyOptions | undefined;
  readonly rateLimit: FlowRateLimitOptions | undefined;
  /** Unique per attempt. */
  readonly holder: string;
  readonly signal: AbortSignal;
}
/** @internal What an execution needs for node-level flow control (the engine's gate). */
export interface NodeFlow {
  /** Resolves with the slot's release function once the attempt may start; rejects with `signal.reason` on abort. */
  enterNode(n: NodeAdmission): Promise<() => void>;
}
