/* Internal: delivers notifications to channels with retries and backoff, off the engine's path. */
import type { Logger } from '@flowlane/core';
import { type SchedulerLike, type Subscription, timer } from 'rxjs';
import { AlertingError } from './errors.js';
import type { AlertChannel, AlertNotification } from './types.js';

/** Retry policy of channel deliveries. */
export interface DeliveryOptions {
  /** Attempts per notification and channel. Default 5. */
  readonly maxAttempts?: number | undefined;
  /** Delay before the 2nd attempt, in ms; doubles each time. Default 1000. */
  readonly initialDelay?: number | undefined;
  /** Upper bound of the delay, in ms. Default 60 000. */
  readonly maxDelay?: number | undefined;
  /** Give up on one attempt after this many ms (real time). Default 10 000. */
  readonly timeout?: number | undefined;
  /**
   * Deliveries waiting or in flight at most, per channel; beyond, new ones to that channel are dropped (and logged),
   * so a channel that keeps failing never costs the others an alert. Default 1000.
   */
  readonly maxPending?: number | undefined;
}

/** Delivery counters (`plugin.stats()`). */
export interface DeliveryStats {
  /** Notifications handed to channels (one per channel). */
  readonly sent: number;
  /** Notifications a channel accepted. */
  readonly delivered: number;
  /** Attempts that failed and were retried. */
  readonly retried: number;
  /** Notifications given up after `maxAttempts`. */
  readonly failed: number;
  /** Notifications dropped because `maxPending` were waiting for their channel. */
  readonly dropped: number;
}

export class Delivery {
  readonly #clock: SchedulerLike;
  readonly #logger: Logger;
  readonly #maxAttempts: number;
  readonly #initialDelay: number;
  readonly #maxDelay: number;
  readonly #timeout: number;
  readonly #maxPending: number;
  readonly #timers = new Set<Subscription>();
  readonly #inflight = new Set<Promise<void>>();
  readonly #abort = new AbortController();
  /** Deliveries waiting or in flight, by channel name. */
  readonly #pending = new Map<string, number>();
  #pendingTotal = 0;
  readonly stats = { sent: 0, delivered: 0, retried: 0, failed: 0, dropped: 0 };

  constructor(clock: SchedulerLike, logger: Logger, o: Required<{ [K in keyof DeliveryOptions]: number }>) {
    this.#clock = clock;
    this.#logger = logger;
    this.#maxAttempts = o.maxAttempts;
    this.#initialDelay = o.initialDelay;
    this.#maxDelay = o.maxDelay;
    this.#timeout = o.timeout;
    this.#maxPending = o.maxPending;
  }

  /** Queues `n` for `channel`; returns at once. */
  send(name: string, channel: AlertChannel, n: AlertNotification): void {
    if (this.#abort.signal.aborted) return;
    if ((this.#pending.get(name) ?? 0) >= this.#maxPending) {
      this.stats.dropped++;
      this.#logger.warn(
        `alerting: dropped a notification for channel "${name}" (${this.#maxPending} already pending for it)`,
        {
          channel: name,
          alert: n.id,
        },
      );
      return;
    }
    this.#pending.set(name, (this.#pending.get(name) ?? 0) + 1);
    this.#pendingTotal++;
    this.stats.sent++;
    this.#attempt(name, channel, n, 1);
  }

  #attempt(name: string, channel: AlertChannel, n: AlertNotification, attempt: number): void {
    const signal = AbortSignal.any([this.#abort.signal, AbortSignal.timeout(this.#timeout)]);
    // Raced with the signal: a channel that ignores it still times out (and is retried), and close() still settles.
    const work = untilAborted((async () => channel.send(n, signal))(), signal, this.#timeout).then(
      () => {
        this.stats.delivered++;
        this.#settled(name);
      },
      (e: unknown) => {
        if (this.#abort.signal.aborted) {
          this.#settled(name);
          return;
        }
        const reason = e instanceof Error ? e.message : String(e);
        if (attempt >= this.#maxAttempts) {
          this.stats.failed++;
          this.#settled(name);
          const err = new AlertingError('FL_ALERT_DELIVERY_FAILED', {
            channel: name,
            target: channel.target,
            reason: `${reason} (gave up after ${attempt} attempts)`,
          });
          this.#logger.error(err.message, { code: err.code, channel: name, alert: n.id, attempts: attempt });
          return;
        }
        this.stats.retried++;
        const delay = Math.min(this.#maxDelay, this.#initialDelay * 2 ** (attempt - 1));
        this.#logger.warn(
          `alerting: channel "${name}" (${channel.target}) failed, retrying in ${delay} ms: ${reason}`,
          {
            channel: name,
            alert: n.id,
            attempt,
          },
        );
        const t = timer(delay, this.#clock).subscribe(() => {
          this.#timers.delete(t);
          this.#attempt(name, channel, n, attempt + 1);
        });
        this.#timers.add(t);
      },
    );
    this.#inflight.add(work);
    void work.finally(() => this.#inflight.delete(work));
  }

  /** Waits for in-flight attempts (not for retries that have not started yet). */
  async idle(): Promise<void> {
    while (this.#inflight.size > 0) await Promise.all([...this.#inflight]);
  }

  get pending(): number {
    return this.#pendingTotal;
  }

  #settled(name: string): void {
    const left = (this.#pending.get(name) ?? 1) - 1;
    if (left === 0) this.#pending.delete(name);
    else this.#pending.set(name, left);
    this.#pendingTotal--;
  }

  /** Stops retries and aborts attempts in flight. */
  async close(): Promise<void> {
    for (const t of this.#timers) t.unsubscribe();
    this.#timers.clear();
    this.#abort.abort(new Error('alerting closed'));
    await Promise.allSettled([...this.#inflight]);
  }
}

/** `p`, or a rejection as soon as `signal` aborts (timeout or close), whichever comes first. */
function untilAborted<T>(p: Promise<T>, signal: AbortSignal, timeoutMs: number): Promise<T> {
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () =>
      reject(
        signal.reason instanceof Error && signal.reason.name === 'TimeoutError'
          ? new Error(`timed out after ${timeoutMs} ms`)
          : signal.reason,
      );
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([p, aborted]).finally(() => {
    if (onAbort !== undefined) signal.removeEventListener('abort', onAbort);
  });
}
