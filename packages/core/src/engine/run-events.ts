import { Observable, type Subscriber } from 'rxjs';
import { isThenable } from '../compile/to-observable.js';
import type { CustomEvent, FlowEvent } from '../contracts/events.js';
import type { Logger } from '../plugin/types.js';
import { CompactEventLog } from './compact-event-log.js';
import type { EventSource } from './event-factory.js';
import { RunEventsHandle } from './run-events-view.js';

type Handler = (e: FlowEvent) => unknown;

/** Runs of fewer nodes keep every event as an object: for them the compact buffer costs more than it saves. */
const COMPACT_MIN_NODES = 32;

/**
 * A run's own event stream: every event it emitted (and its subworkflow runs forwarded), replayed to each new
 * subscriber of `run.events$` and completed when the run is final; plus the workflow's `onEvent` handlers, which are
 * called per event type (a handler for a custom event name also hears that event from other runs of the engine).
 * Per-node events nobody hears when they happen are kept compact (`compact-event-log.ts`) and made into objects when
 * the stream is first read.
 */
export class RunEventLog {
  /** The log as objects, up to the compact tail (events after it are in the tail, in order). */
  readonly #events: FlowEvent[] = [];
  /** The compact tail, in a box that the plugins' view shares (it must not hold the log: see {@link view}). */
  readonly #box: { tail: CompactEventLog | undefined } = { tail: undefined };
  readonly #source: EventSource | undefined;
  readonly #ids: readonly string[];
  #observers: Subscriber<FlowEvent>[] | undefined;
  #events$: Observable<FlowEvent> | undefined;
  #completed = false;
  /** The plugins' read-only view (`PluginApi.runEvents`), made on first request. */
  #view: RunEventsHandle | undefined;
  readonly #handlers: Map<string, Handler[]> | undefined;
  #customHandlers: [string, (e: CustomEvent) => void][] | undefined;
  readonly #failed: (type: string, error: unknown) => void;

  /**
   * `failed` reports an `onEvent` handler that threw or rejected; `source` and `ids` (the run and its node ids by
   * index) are needed only by the compact entries ({@link started}, {@link completed}).
   */
  constructor(
    handlers: readonly { readonly type: string; readonly handler: unknown }[],
    failed: (type: string, error: unknown) => void,
    source?: EventSource,
    ids: readonly string[] = [],
  ) {
    this.#failed = failed;
    this.#source = source;
    this.#ids = ids;
    if (handlers.length === 0) return;
    this.#handlers = new Map();
    for (const h of handlers) {
      const list = this.#handlers.get(h.type) ?? [];
      list.push(h.handler as Handler);
      this.#handlers.set(h.type, list);
    }
  }

  /** The replaying stream (`run.events$`). */
  get events$(): Observable<FlowEvent> {
    this.#events$ ??= new Observable<FlowEvent>((sub) => {
      const events = this.#events;
      drain(events, this.#box);
      for (let k = 0; k < events.length && !sub.closed; k++) sub.next(events[k]!);
      if (this.#completed) {
        sub.complete();
        return;
      }
      (this.#observers ??= []).push(sub);
      return () => {
        const list = this.#observers;
        if (list === undefined) return;
        const k = list.indexOf(sub);
        if (k !== -1) list.splice(k, 1);
      };
    });
    return this.#events$;
  }

  /** The log as plugins read it (`PluginApi.runEvents`): one view per run, made on first request. */
  view(executionId: string, workflow: string): RunEventsHandle {
    if (this.#view === undefined) {
      // Closures over the storage only (not `this`, whose failure callback holds the run): reading materialises the
      // compact tail, as a late `events$` subscriber does.
      const events = this.#events;
      const box = this.#box;
      this.#view = new RunEventsHandle(
        executionId,
        workflow,
        () => drain(events, box),
        () => events.length + (box.tail?.count ?? 0),
        this.#completed,
      );
    }
    return this.#view;
  }

  /** Records `e` and passes it to the stream's current subscribers. */
  push(e: FlowEvent): void {
    const tail = this.#box.tail;
    if (tail === undefined || tail.empty) this.#events.push(e);
    else tail.object(e);
    const observers = this.#observers;
    if (observers !== undefined) for (let k = 0; k < observers.length; k++) observers[k]!.next(e);
  }

  /**
   * True when no one reading this log would hear an event of `type` now: no live `events$` subscriber and no
   * `onEvent` handler for it. The run checks its other listeners (engine, journal, parent) before writing compact.
   */
  quiet(type: FlowEvent['type']): boolean {
    const observers = this.#observers;
    return (
      this.#ids.length >= COMPACT_MIN_NODES &&
      (observers === undefined || observers.length === 0) &&
      this.#handlers?.has(type) !== true
    );
  }

  /** A `node.started` nobody hears now (see {@link quiet}; no `workerId`, no parent run), kept compact. */
  started(node: number, attempt: number, timestamp: number): void {
    (this.#box.tail ??= new CompactEventLog(this.#source!, this.#ids, 2 * this.#ids.length)).started(
      node,
      attempt,
      timestamp,
    );
  }

  /** A `node.completed` nobody hears now (see {@link quiet}; not via a fallback or boundary), kept compact. */
  completed(node: number, attempt: number, timestamp: number, durationMs: number): void {
    (this.#box.tail ??= new CompactEventLog(this.#source!, this.#ids, 2 * this.#ids.length)).completed(
      node,
      attempt,
      timestamp,
      durationMs,
    );
  }

  /** Calls the `onEvent` handlers of `e`'s type. */
  handle(e: FlowEvent): void {
    const handlers = this.#handlers;
    if (handlers === undefined) return;
    const list = handlers.get(e.type);
    if (list !== undefined) for (const h of list) this.#call(h, e);
  }

  /** The run is final: subscribers complete; later ones get the whole log, then complete. */
  complete(): void {
    this.#completed = true;
    this.#view?.close();
    const observers = this.#observers;
    this.#observers = undefined;
    if (observers !== undefined) for (const o of observers) o.complete();
  }

  /** While the run runs, handlers of custom event names hear those events from every run of the engine. */
  listen(listeners: Map<string, Set<(e: CustomEvent) => void>>): void {
    if (this.#handlers === undefined) return;
    for (const [type, list] of this.#handlers) {
      if (type.includes('.') || type === 'custom') continue;
      const listener = (e: CustomEvent): void => {
        for (const h of list) this.#call(h, e);
      };
      let set = listeners.get(type);
      if (set === undefined) listeners.set(type, (set = new Set()));
      set.add(listener);
      (this.#customHandlers ??= []).push([type, listener]);
    }
  }

  /** Undoes {@link listen}. */
  unlisten(listeners: Map<string, Set<(e: CustomEvent) => void>>): void {
    if (this.#customHandlers === undefined) return;
    for (const [type, listener] of this.#customHandlers) {
      const set = listeners.get(type);
      set?.delete(listener);
      if (set?.size === 0) listeners.delete(type);
    }
  }

  #call(h: Handler, e: FlowEvent): void {
    try {
      const r = h(e);
      if (isThenable(r)) r.then(undefined, (err: unknown) => this.#failed(e.type, err));
    } catch (err) {
      this.#failed(e.type, err);
    }
  }
}

/** The `failed` callback of a run's event log: handler failures are logged, never thrown into the run. */
export function logHandlerFailure(
  logger: Logger,
  workflow: string,
  message: (error: unknown) => string,
): (type: string, error: unknown) => void {
  return (type, error) => logger.error('onEvent handler failed', { workflow, type, error: message(error) });
}

/** Moves the compact tail's events into `events` as objects (its buffer, sized for the whole run, is let go). */
function drain(events: FlowEvent[], box: { tail: CompactEventLog | undefined }): FlowEvent[] {
  if (box.tail !== undefined) {
    box.tail.drainInto(events);
    // A later quiet stretch makes a new one.
    box.tail = undefined;
  }
  return events;
}
