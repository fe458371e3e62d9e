import { isObservable, type Observable, type Subscription } from 'rxjs';
import type { RetryPolicy } from '../builder/types.js';
import { toObservable } from '../compile/to-observable.js';
import { delayFor, isRetryable } from '../compile/with-retry.js';
import type { NodeRetryingEvent, NodeStartedEvent } from '../contracts/events.js';
import type { SerializedError } from '../errors.js';
import type { RunHost } from './run-host.js';

/** `node.started` of an attempt after a node's first (the first one is emitted by the run when the node starts). */
export function attemptStarted(
  executionId: string,
  workflow: string,
  timestamp: number,
  nodeId: string,
  attempt: number,
): NodeStartedEvent {
  return { type: 'node.started', executionId, workflow, timestamp, nodeId, attempt };
}

/** `node.retrying`: attempt `attempt` failed with `error`, the next one starts after `delayMs`. */
export function nodeRetrying(
  executionId: string,
  workflow: string,
  timestamp: number,
  nodeId: string,
  attempt: number,
  delayMs: number,
  error: SerializedError,
): NodeRetryingEvent {
  return { type: 'node.retrying', executionId, workflow, timestamp, nodeId, attempt, delayMs, error };
}

/** How a directly retried node ends, and what the run must cancel while it waits (a retry timer, an observable). */
export interface RetrySettle {
  succeed(i: number, value: unknown): void;
  fail(i: number, error: unknown): void;
  /** `sub` is pending for node `i` (cancelled if the run ends first); undefined once it is not. */
  track(i: number, sub: Subscription | undefined): void;
}

/** The outcome of calling a node once: a value (in `#value`), a failure (in `#error`), or a result that settles later. */
const VALUE = 0;
const FAILED = 1;
const PENDING = 2;

/**
 * Retries for nodes whose only option is `retry` (no timeout, cache, middleware, permissions, health check, artifacts
 * or flow control), run by the ready-queue itself instead of the RxJS operator chain of `node-pipeline.ts`.
 * It behaves exactly as `withRetry` does in that pipeline — the same events in the same order (`node.retrying`, then
 * `node.started` of the next attempt), the same delays on the engine clock (virtual time in tests), the same retry
 * numbering (failures over the whole run: a resumed run's go on from its log), synchronous retries when the
 * delay is 0 (in a loop, never recursion) — with no operator chain, subscription or closure per attempt.
 */
export class DirectRetries {
  readonly #h: RunHost;
  readonly #settle: RetrySettle;
  /** What the last synchronous call of a node returned or threw (read at once, before anything else runs). */
  #value: unknown;
  #error: unknown;

  constructor(h: RunHost, settle: RetrySettle) {
    this.#h = h;
    this.#settle = settle;
  }

  /**
   * Runs node `i` (already marked started, its first `node.started` emitted) under `policy`. In a resumed run the
   * failures its log holds count: retry numbers (budget, backoff) go on from them.
   */
  start(i: number, policy: RetryPolicy): void {
    this.#attempts(i, policy, this.#h.attempts[i]! + 1, this.#h.priorFailures(i));
  }

  /**
   * Attempts of node `i` from retry number `failures` on (`first` = the attempt this run started the node at), until
   * one succeeds, settles later, waits for a retry delay, or fails for good.
   */
  #attempts(i: number, policy: RetryPolicy, first: number, failures: number): void {
    const h = this.#h;
    for (;;) {
      const attempt = ++h.attempts[i]!;
      if (attempt > first) h.emit(attemptStarted(h.executionId, h.workflow, h.rt.clock.now(), h.g.ids[i]!, attempt));
      const out = this.#call(i, policy, first, failures, attempt);
      if (out === PENDING) return;
      if (out === VALUE) {
        const value = this.#value;
        this.#value = undefined;
        this.#settle.succeed(i, value);
        return;
      }
      failures++;
      const error = this.#error;
      this.#error = undefined;
      if (this.#retry(i, policy, first, failures, error) !== 0) return;
    }
  }

  /** Calls node `i` once: its value, `FAILED` (error in `#error`), or `PENDING` when the result settles later. */
  #call(i: number, policy: RetryPolicy, first: number, failures: number, attempt: number): number {
    const h = this.#h;
    let r: unknown;
    let kind = 0;
    try {
      r = h.invoke(i, h.ctx(i, attempt), undefined);
      // 1 promise, 2 observable; reading a returned value can throw too (a revoked Proxy).
      if (r !== null && (typeof r === 'object' || typeof r === 'function'))
        kind = typeof (r as PromiseLike<unknown>).then === 'function' ? 1 : isObservable(r) ? 2 : 0;
    } catch (e) {
      this.#error = e;
      return FAILED;
    }
    if (kind === 0) {
      this.#value = r;
      return VALUE;
    }
    const later = (e: unknown): void => {
      if (h.isDone()) return;
      if (this.#retry(i, policy, first, failures + 1, e) === 0) this.#attempts(i, policy, first, failures + 1);
    };
    if (kind === 1) {
      try {
        (r as PromiseLike<unknown>).then((v) => {
          if (!h.isDone()) this.#settle.succeed(i, v);
        }, later);
      } catch (e) {
        // A thenable whose `then` throws: that attempt failed (the pipeline's `from` reports it the same way).
        this.#error = e;
        return FAILED;
      }
      return PENDING;
    }
    // An observable settles while it is subscribed (the caller's loop then goes on: no recursion however many
    // attempts fail at once) or later.
    let value: unknown;
    let state = 0; // 0 pending, 1 completed, 2 errored
    let sync = true;
    let error: unknown;
    const sub = toObservable(r as Observable<unknown>).subscribe({
      next: (v) => {
        value = v;
      },
      error: (e: unknown) => {
        state = 2;
        if (sync) {
          error = e;
          return;
        }
        this.#settle.track(i, undefined);
        later(e);
      },
      complete: () => {
        state = 1;
        if (sync) return;
        this.#settle.track(i, undefined);
        if (!h.isDone()) this.#settle.succeed(i, value);
      },
    });
    sync = false;
    if (state === 1) {
      this.#value = value;
      return VALUE;
    }
    if (state === 2) {
      this.#error = error;
      return FAILED;
    }
    if (!h.isDone()) this.#settle.track(i, sub);
    return PENDING;
  }

  /**
   * The node's current attempt failed with `error`, its `failures`-th failure (retry number `failures`, counted over
   * the whole run, before a resume too): fails the node, or emits
   * `node.retrying` and either returns 0 (retry now) or schedules the next attempt on the clock (returns 1 — also
   * when the node failed for good).
   */
  #retry(i: number, policy: RetryPolicy, first: number, failures: number, error: unknown): number {
    const h = this.#h;
    if (failures > policy.maxAttempts - 1) {
      this.#settle.fail(i, error);
      return 1;
    }
    let d: number;
    try {
      if (!isRetryable(policy, error)) {
        this.#settle.fail(i, error);
        return 1;
      }
      d = delayFor(policy, failures);
      // The attempt that failed (the same as `failures` unless a resumed run's log holds an attempt cut short).
      const attempt = h.attempts[i]!;
      const verdict = policy.onRetry === undefined ? undefined : policy.onRetry(error, attempt, h.ctx(i, attempt));
      if (verdict === false) {
        this.#settle.fail(i, error);
        return 1;
      }
      if (typeof verdict === 'number' && Number.isFinite(verdict) && verdict >= 0) d = verdict;
      h.emit(
        nodeRetrying(
          h.executionId,
          h.workflow,
          h.rt.clock.now(),
          h.g.ids[i]!,
          attempt,
          d,
          // The attempt is retried: its stack is not worth formatting (the final failure keeps one).
          h.serialize(error, false),
        ),
      );
    } catch (e) {
      // As in the operator pipeline: a retry decision that throws (onRetry) fails the node with that error.
      this.#settle.fail(i, e);
      return 1;
    }
    if (d === 0) return 0;
    const timer = h.rt.clock.schedule(() => {
      this.#settle.track(i, undefined);
      if (!h.isDone()) this.#attempts(i, policy, first, failures);
    }, d);
    this.#settle.track(i, timer);
    return 1;
  }
}
