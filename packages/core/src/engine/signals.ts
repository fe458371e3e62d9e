import type { SchedulerLike, Subscription } from 'rxjs';
import type { CustomEvent } from '../contracts/events.js';
import { FlowlaneError } from '../errors.js';
import type { Journal } from './journal.js';

/** Signals sent to a run (`run.signal`), by name: payloads nobody waits for yet, and the nodes waiting. */
export interface SignalBox {
  readonly buffer: unknown[];
  readonly waiters: ((payload: unknown) => void)[];
}

/** The box of signal `name`, created on first use. */
export function signalBox(signals: Map<string, SignalBox>, name: string): SignalBox {
  let box = signals.get(name);
  if (box === undefined) signals.set(name, (box = { buffer: [], waiters: [] }));
  return box;
}

/**
 * `ctx.waitForSignal`: a buffered payload at once, else the next one sent, rejecting with `FL_SIGNAL_TIMEOUT` after
 * `timeout` ms. A durable run logs the wait's deadline (a resumed wait gets the time that was left) and consumption.
 */
export function waitForSignal(
  clock: SchedulerLike,
  box: SignalBox,
  journal: Journal | undefined,
  nodeId: string,
  name: string,
  timeout: number | undefined,
  signal: AbortSignal,
): Promise<unknown> {
  if (box.buffer.length > 0) {
    journal?.signalConsumed(name, nodeId);
    return Promise.resolve(box.buffer.shift());
  }
  const ms = journal === undefined || timeout === undefined ? timeout : journal.waitStarted(nodeId, name, timeout);
  return waitFor<unknown>(
    clock,
    signal,
    ms,
    () => new FlowlaneError('FL_SIGNAL_TIMEOUT', { nodeId, signal: name, ms: timeout! }),
    (deliver) => {
      const take =
        journal === undefined
          ? deliver
          : (payload: unknown): void => {
              journal.signalConsumed(name, nodeId);
              deliver(payload);
            };
      box.waiters.push(take);
      return () => {
        const k = box.waiters.indexOf(take);
        if (k !== -1) box.waiters.splice(k, 1);
      };
    },
  );
}

/** `ctx.waitForEvent`: the next custom event `name` on the engine, rejecting with `FL_EVENT_TIMEOUT` after `timeout`. */
export function waitForEvent(
  clock: SchedulerLike,
  listeners: Map<string, Set<(e: CustomEvent) => void>>,
  nodeId: string,
  name: string,
  timeout: number | undefined,
  signal: AbortSignal,
): Promise<CustomEvent> {
  return waitFor<CustomEvent>(
    clock,
    signal,
    timeout,
    () => new FlowlaneError('FL_EVENT_TIMEOUT', { nodeId, event: name, ms: timeout! }),
    (deliver) => {
      let set = listeners.get(name);
      if (set === undefined) listeners.set(name, (set = new Set()));
      set.add(deliver);
      return () => {
        const current = listeners.get(name);
        current?.delete(deliver);
        if (current?.size === 0) listeners.delete(name);
      };
    },
  );
}

/**
 * Waits for `subscribe`'s `deliver` to be called, rejecting with the abort reason when `signal` aborts or with
 * `timeoutError()` after `timeout` ms on the engine clock; every path unregisters the waiter and clears the timer.
 */
function waitFor<T>(
  clock: SchedulerLike,
  signal: AbortSignal,
  timeout: number | undefined,
  timeoutError: () => Error,
  subscribe: (deliver: (value: T) => void) => () => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    let action: Subscription | undefined;
    let unsubscribe: (() => void) | undefined;
    const cleanup = (): void => {
      action?.unsubscribe();
      signal.removeEventListener('abort', onAbort);
      unsubscribe?.();
    };
    const onAbort = (): void => {
      cleanup();
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    if (timeout !== undefined)
      action = clock.schedule(() => {
        cleanup();
        reject(timeoutError());
      }, timeout);
    unsubscribe = subscribe((value) => {
      cleanup();
      resolve(value);
    });
  });
}
