import type { SchedulerLike, Subscription } from 'rxjs';
import { debounceKey } from '../builder/flow-options.js';
import { FLOW_EVENT_TYPES, type FlowEvent, type TriggeredBy } from '../contracts/events.js';
import type { Run, RunOptions, RunResult } from '../contracts/run-types.js';
import { FlowlaneError, serializeError } from '../errors.js';
import { isTimerMs, timerReason } from '../options/timer-ms.js';
import type { Logger } from '../plugin/types.js';
import type { Workflow } from '../workflow.js';
import { checkOptionKeys } from './option-keys.js';
import type { CapturedOrigin } from './propagation.js';

/** Lifecycle events a trigger can listen to. */
export type LifecycleEventName = 'workflow.completed' | 'workflow.failed';

/**
 * What a trigger's `when` and `input` receive: an event from `engine.emit`, from `ctx.emitEvent` inside a run, or a
 * run's end (`workflow.completed` / `workflow.failed`, whose `payload` is the run's {@link RunResult}).
 */
export interface TriggerEvent<P = unknown> {
  /** The event name (`git.push`, `workflow.completed`, …). */
  readonly name: string;
  /** The payload given to `emit` / `ctx.emitEvent`; for lifecycle events the finished run's result. */
  readonly payload: P;
  /** The run that emitted the event or finished (absent for `engine.emit`). */
  readonly executionId?: string | undefined;
  /** That run's workflow name. */
  readonly workflow?: string | undefined;
  /** Engine clock time. */
  readonly timestamp: number;
}

/** Options of {@link Engine.trigger}. */
export interface TriggerOptions<TIn = unknown, P = unknown> {
  /** A custom event name, or a lifecycle event: `workflow.completed`, `workflow.failed`. */
  readonly on: string;
  /** Lifecycle events only: react to runs of this workflow name only. */
  readonly workflow?: string | undefined;
  /** Start a run only when this returns true. A throwing condition counts as false and is reported. */
  readonly when?: ((event: TriggerEvent<P>) => boolean) | undefined;
  /** The workflow to run. */
  readonly run: Workflow<TIn, object>;
  /** The new run's input: a value, or a function of the event. Default: the event's payload. */
  readonly input?: TIn | ((event: TriggerEvent<P>) => TIn) | undefined;
  /** Runs of this trigger executing at once; later events wait in order. Default: unbounded. */
  readonly concurrency?: number | undefined;
  /** Wait this many ms after an event; a newer event restarts the wait and replaces it (trailing debounce). */
  readonly debounce?: number | undefined;
  /** Called with errors the trigger cannot throw to anyone (a loop refused, a throwing `when`). Default: logged. */
  readonly onError?: ((error: unknown) => void) | undefined;
}

/** Returned by {@link Engine.trigger}: remove the trigger (pending debounced and queued events are dropped). */
export interface TriggerHandle {
  remove(): void;
}

/** Names the call in `FL_INVALID_OPTION` messages. */
const TRIGGER = 'engine.trigger';
const TRIGGER_KEYS = ['on', 'workflow', 'when', 'run', 'input', 'concurrency', 'debounce', 'onError'] as const;
const LIFECYCLE = new Set<string>(['workflow.completed', 'workflow.failed']);
/** Engine event types that are not trigger events (`custom` is the type of every custom event, not a name). */
const RESERVED = new Set<string>(FLOW_EVENT_TYPES.filter((t) => !LIFECYCLE.has(t)));

/** What the hub needs from its engine. */
export interface TriggerHost {
  readonly clock: SchedulerLike;
  readonly logger: Logger;
  readonly maxChainDepth: number;
  /** `origin`: where the triggering event was emitted (`undefined`: nowhere to belong to, e.g. a run's end). */
  run(wf: Workflow<unknown, object>, input: unknown, options: RunOptions, origin?: CapturedOrigin): Run<object>;
  /** The context of the code emitting an event now (`engine.emit`, `ctx.emitEvent`), for the runs it triggers. */
  capture(): CapturedOrigin | undefined;
}

interface Pending {
  readonly event: TriggerEvent;
  readonly chain: readonly string[];
  /** Where the event was emitted: the triggered run's origin, however long it waits (debounce, concurrency). */
  readonly origin?: CapturedOrigin | undefined;
}

interface Entry {
  readonly opts: TriggerOptions;
  active: number;
  readonly waiting: Pending[];
  /** Pending debounced events by debounce key (`'*'` for the trigger's own `debounce`). */
  readonly debounced: Map<string, Debounced>;
  removed: boolean;
}

interface Debounced {
  /** Engine time of the burst's first event (for `maxWait`). */
  readonly first: number;
  timer: Subscription;
}

/**
 * Internal: the engine's triggers. Sees every run's end (`watch`), custom events of runs (`events$`) and external
 * events (`emit`), starts the matching triggers' runs, and keeps each triggered run's chain for loop protection.
 */
export class TriggerHub {
  readonly #host: TriggerHost;
  readonly #entries = new Set<Entry>();
  /** Workflow names of the triggered runs that led to a run (oldest first, the run itself last), while it is active. */
  readonly #chains = new Map<string, readonly string[]>();
  #closed = false;
  /** Lifecycle triggers exist: runs are watched from then on. */
  #lifecycle = false;

  constructor(host: TriggerHost) {
    this.#host = host;
  }

  add(opts: TriggerOptions): TriggerHandle {
    checkOptionKeys(TRIGGER, 'trigger', opts as object, TRIGGER_KEYS);
    if (typeof opts.on !== 'string' || opts.on === '')
      throw new FlowlaneError('FL_INVALID_OPTION', {
        where: TRIGGER,
        option: 'trigger.on',
        reason: 'expected an event name (a custom name, "workflow.completed" or "workflow.failed")',
      });
    if (RESERVED.has(opts.on))
      throw new FlowlaneError('FL_INVALID_OPTION', {
        where: TRIGGER,
        option: 'trigger.on',
        reason: `"${opts.on}" is an engine event that triggers nothing; use "workflow.completed", "workflow.failed" or a custom event name`,
      });
    if (typeof opts.run !== 'object' || opts.run === null || typeof (opts.run as { name?: unknown }).name !== 'string')
      throw new FlowlaneError('FL_INVALID_OPTION', {
        where: TRIGGER,
        option: 'trigger.run',
        reason: 'expected a built workflow (the result of .build())',
      });
    if (opts.workflow !== undefined && (typeof opts.workflow !== 'string' || opts.workflow === ''))
      throw new FlowlaneError('FL_INVALID_OPTION', {
        where: TRIGGER,
        option: 'trigger.workflow',
        reason: `expected a workflow name, got ${opts.workflow === '' ? 'an empty string' : typeof opts.workflow}`,
      });
    if (opts.workflow !== undefined && !LIFECYCLE.has(opts.on))
      throw new FlowlaneError('FL_INVALID_OPTION', {
        where: TRIGGER,
        option: 'trigger.workflow',
        reason: `only lifecycle triggers ("workflow.completed", "workflow.failed") filter by workflow; "${opts.on}" is a custom event`,
      });
    for (const fn of ['when', 'onError'] as const)
      if (opts[fn] !== undefined && typeof opts[fn] !== 'function')
        throw new FlowlaneError('FL_INVALID_OPTION', {
          where: TRIGGER,
          option: `trigger.${fn}`,
          reason: 'expected a function',
        });
    positive(TRIGGER, 'trigger.concurrency', opts.concurrency);
    if (opts.debounce !== undefined && !isTimerMs(opts.debounce, true))
      throw new FlowlaneError('FL_INVALID_OPTION', {
        where: TRIGGER,
        option: 'trigger.debounce',
        reason: timerReason(opts.debounce, true),
      });
    if (this.#closed) throw new FlowlaneError('FL_ENGINE_CLOSED', {});
    const entry: Entry = { opts, active: 0, waiting: [], debounced: new Map(), removed: false };
    this.#entries.add(entry);
    if (LIFECYCLE.has(opts.on)) this.#lifecycle = true;
    return {
      remove: () => {
        entry.removed = true;
        for (const d of entry.debounced.values()) d.timer.unsubscribe();
        entry.debounced.clear();
        entry.waiting.length = 0;
        this.#entries.delete(entry);
      },
    };
  }

  /** An event from outside any run (`engine.emit`). Returns the runs started right away. */
  emit(name: string, payload: unknown): Run<object>[] {
    if (typeof name !== 'string' || name === '')
      throw new FlowlaneError('FL_INVALID_OPTION', {
        where: 'engine.emit',
        option: 'emit name',
        reason: 'expected a non-empty event name',
      });
    if (LIFECYCLE.has(name) || RESERVED.has(name))
      throw new FlowlaneError('FL_INVALID_OPTION', {
        where: 'engine.emit',
        option: 'emit name',
        reason: `"${name}" is emitted by the engine when a run ends; use a name of your own`,
      });
    return this.#dispatch({ name, payload, timestamp: this.#host.clock.now() }, [], true);
  }

  /** Custom events emitted inside runs (`ctx.emitEvent`). */
  onEvent(e: FlowEvent): void {
    if (e.type !== 'custom' || this.#entries.size === 0) return;
    const event: TriggerEvent = {
      name: e.name,
      payload: e.payload,
      executionId: e.executionId,
      workflow: e.workflow,
      timestamp: e.timestamp,
    };
    this.#dispatch(event, this.#chainOf(e.parentExecutionId ?? e.executionId, e.workflow), true);
  }

  /** Every top-level run of the engine: dispatches its end as `workflow.completed` / `workflow.failed`. */
  watch(run: Run<object>): void {
    if (!this.#lifecycle) return;
    void run.result.then((r) => {
      const chain = this.#chainOf(r.executionId, r.workflow);
      this.#chains.delete(r.executionId);
      if (this.#closed || r.status === 'cancelled') return;
      const name = r.status === 'success' ? 'workflow.completed' : 'workflow.failed';
      this.#dispatch(
        { name, payload: r, executionId: r.executionId, workflow: r.workflow, timestamp: this.#host.clock.now() },
        chain,
        false,
      );
    });
  }

  /** Drop every trigger and pending debounce; runs already started go on (the engine cancels them). */
  close(): void {
    this.#closed = true;
    for (const e of [...this.#entries]) {
      for (const d of e.debounced.values()) d.timer.unsubscribe();
      e.debounced.clear();
      e.waiting.length = 0;
    }
    this.#entries.clear();
  }

  #chainOf(executionId: string, workflow: string): readonly string[] {
    return this.#chains.get(executionId) ?? [workflow];
  }

  #dispatch(event: TriggerEvent, chain: readonly string[], custom: boolean): Run<object>[] {
    const started: Run<object>[] = [];
    // A custom event's emitter is the triggered runs' caller; a run's end has none (taken once, on the first match).
    let origin: CapturedOrigin | undefined;
    let captured = !custom;
    for (const entry of [...this.#entries]) {
      const o = entry.opts;
      if (o.on !== event.name) continue;
      if (o.workflow !== undefined && o.workflow !== event.workflow) continue;
      if (o.when !== undefined) {
        let ok = false;
        try {
          ok = o.when(event) === true;
        } catch (error) {
          this.#report(entry, new Error(`trigger on "${o.on}": when() threw: ${serializeError(error).message}`));
        }
        if (!ok) continue;
      }
      if (!captured) {
        origin = this.#host.capture();
        captured = true;
      }
      const pending: Pending = { event, chain, origin };
      if (o.debounce !== undefined && o.debounce > 0) {
        this.#debounce(entry, '*', pending, o.debounce, undefined);
        continue;
      }
      // The workflow's own `debounce: { key, period, maxWait }` (flow control) when the trigger sets none.
      const wd = o.debounce === undefined ? o.run.flowControl?.debounce : undefined;
      if (wd !== undefined) {
        let key: string;
        try {
          const input = inputOf(o, event);
          key = debounceKey(wd.key, { input, executionId: '', workflow: o.run.name });
        } catch (error) {
          this.#report(entry, new Error(`trigger on "${o.on}": debounce key: ${serializeError(error).message}`));
          continue;
        }
        this.#debounce(entry, key, pending, wd.period, wd.maxWait);
        continue;
      }
      const run = this.#admit(entry, pending);
      if (run !== undefined) started.push(run);
    }
    return started;
  }

  /**
   * Trailing debounce per key: the run starts `period` ms after the key's last event, with that event; with `maxWait`,
   * at the latest `maxWait` ms after the burst's first event.
   */
  #debounce(entry: Entry, key: string, pending: Pending, period: number, maxWait: number | undefined): void {
    const now = this.#host.clock.now();
    const prev = entry.debounced.get(key);
    prev?.timer.unsubscribe();
    const first = prev?.first ?? now;
    const delay = maxWait === undefined ? period : Math.max(0, Math.min(period, first + maxWait - now));
    const timer = this.#host.clock.schedule(() => {
      entry.debounced.delete(key);
      if (!entry.removed && !this.#closed) this.#admit(entry, pending);
    }, delay);
    entry.debounced.set(key, { first, timer });
  }

  #admit(entry: Entry, p: Pending): Run<object> | undefined {
    const limit = entry.opts.concurrency;
    if (limit !== undefined && entry.active >= limit) {
      entry.waiting.push(p);
      return undefined;
    }
    return this.#start(entry, p);
  }

  #start(entry: Entry, { event, chain: causeChain, origin }: Pending): Run<object> | undefined {
    const o = entry.opts;
    const wf = o.run as unknown as Workflow<unknown, object>;
    // Only runs that triggered runs form a chain: an external emit starts a fresh one.
    const chain = event.executionId === undefined ? [wf.name] : [...causeChain, wf.name];
    if (chain.length - 1 > this.#host.maxChainDepth) {
      this.#report(entry, loopError(chain, event.name, this.#host.maxChainDepth));
      return undefined;
    }
    let input: unknown;
    try {
      input = inputOf(o, event);
    } catch (error) {
      this.#report(entry, new Error(`trigger on "${o.on}": input() threw: ${serializeError(error).message}`));
      return undefined;
    }
    const triggeredBy: TriggeredBy = {
      event: event.name,
      ...(event.executionId === undefined ? {} : { executionId: event.executionId }),
    };
    let run: Run<object>;
    try {
      run = this.#host.run(wf, input, { triggeredBy }, origin);
    } catch (error) {
      this.#report(entry, error);
      return undefined;
    }
    this.#chains.set(run.executionId, chain);
    entry.active++;
    void run.result.then(() => {
      if (!this.#lifecycle) this.#chains.delete(run.executionId);
      entry.active--;
      // A refused or failed start frees no slot: try the next waiting event until one starts.
      while (!entry.removed && !this.#closed && entry.active < (entry.opts.concurrency ?? Infinity)) {
        const next = entry.waiting.shift();
        if (next === undefined || this.#start(entry, next) !== undefined) break;
      }
    });
    return run;
  }

  #report(entry: Entry, error: unknown): void {
    if (entry.opts.onError !== undefined) {
      try {
        entry.opts.onError(error);
        return;
      } catch {
        // fall through to the log
      }
    }
    this.#host.logger.error(`trigger on "${entry.opts.on}" did not start "${entry.opts.run.name}"`, {
      error: serializeError(error, { stack: false }).message,
    });
  }
}

type Fn = (e: TriggerEvent) => unknown;

function inputOf(o: TriggerOptions, event: TriggerEvent): unknown {
  return o.input === undefined ? event.payload : typeof o.input === 'function' ? (o.input as Fn)(event) : o.input;
}

/** `FL_TRIGGER_LOOP` naming the repeating part of a chain of workflow names (or the whole chain when none repeats). */
export function loopError(chain: readonly string[], event: string, limit: number): FlowlaneError<'FL_TRIGGER_LOOP'> {
  const last = chain[chain.length - 1];
  let from = 0;
  for (let k = chain.length - 2; k >= 0; k--)
    if (chain[k] === last) {
      from = k;
      break;
    }
  return new FlowlaneError('FL_TRIGGER_LOOP', { cycle: chain.slice(from), event, limit });
}

function positive(where: string, option: string, value: unknown): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !(value >= 1) || !Number.isInteger(value))
    throw new FlowlaneError('FL_INVALID_OPTION', {
      where,
      option,
      reason: `expected an integer ≥ 1, got ${String(value)}`,
    });
}
