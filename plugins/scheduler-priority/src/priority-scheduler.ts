import {
  AbortGroups,
  type AdmissionRequest,
  FlowlaneError,
  type Lease,
  type Scheduler,
  type WorkflowDescription,
} from '@flowlane/core';
import { asyncScheduler, filter, type Observable, type SchedulerLike, type Subscription } from 'rxjs';
import { BinaryHeap } from './binary-heap.js';
import { CriticalPathRanks } from './critical-path-ranks.js';
import { SchedulerError } from './errors.js';
import type { WorkflowEstimate } from './estimate.js';
import { AGING_KEYS, rejectUnknownKeys, SCHEDULER_KEYS } from './option-keys.js';
import type { ResourceDemand, ResourceHolding, ResourcePoolEvent, ResourcePools } from './resource-pools.js';

/** Starvation guard: a waiting node gains `step` priority for every `interval` ms it waits. */
export interface AgingOptions {
  /** Milliseconds of waiting worth `step` priority (> 0). */
  readonly interval: number;
  /** Priority gained per `interval`. Default 1. */
  readonly step?: number | undefined;
}

/** Options of {@link createPriorityScheduler}. */
export interface PrioritySchedulerOptions {
  /** Nodes running at once across all runs of the engine. Default: unbounded (then only pools make nodes wait). */
  readonly concurrency?: number | undefined;
  /** A node with at least this priority that fails (after retries and fallbacks) cancels its run at once, even with `onError: 'continue'`. Default: off (the seed used 10). */
  readonly failFast?: number | undefined;
  /** Starvation guard for low-priority nodes under a steady stream of high-priority ones. Default: off. */
  readonly aging?: AgingOptions | undefined;
  /** Resource pools nodes take `resources` from (all or nothing). Default: none. */
  readonly pools?: ResourcePools | undefined;
  /** Let a lower-ranked node whose resources fit start while a higher-ranked one waits for resources. Default true. */
  readonly backfill?: boolean | undefined;
  /** Workflows whose full graph is known up front for critical-path ranks (others are learned from their runs). */
  readonly workflows?: readonly (WorkflowDescription | { toJSON(): WorkflowDescription })[] | undefined;
  /** Duration of a node with neither `estimatedMs` nor an observed run, ms. Default 1 (longest chain wins). */
  readonly defaultEstimateMs?: number | undefined;
  /** Time source for observed durations and waits. Default: RxJS `asyncScheduler` (the plugin passes the engine clock). */
  readonly clock?: SchedulerLike | undefined;
}

/** The scheduler returned by {@link createPriorityScheduler}. */
export interface PriorityScheduler extends Scheduler {
  /** Nodes waiting for admission. */
  pending(): number;
  /** Nodes admitted and not yet released. */
  running(): number;
  /** Make a workflow's full graph known for critical-path ranks; throws `FL_RESOURCE_UNSATISFIABLE` for impossible requests. */
  register(workflow: WorkflowDescription | { toJSON(): WorkflowDescription }): void;
  /** Critical path and per-level plan, with this scheduler's observed durations and concurrency. */
  estimate(workflow: WorkflowDescription | { toJSON(): WorkflowDescription }): WorkflowEstimate;
  /** Give the scheduler the engine whose runs `failFast` cancels (the plugin does this for you). */
  attach(engine: { cancel(executionId: string, reason?: string): void }): void;
  dispose(): void;
}

interface Entry {
  readonly request: AdmissionRequest;
  readonly demand: ResourceDemand | undefined;
  readonly key: number;
  readonly rank: number;
  readonly seq: number;
  readonly resolve: (lease: Lease) => void;
  readonly reject: (error: unknown) => void;
  readonly signal: AbortSignal;
  timer: Subscription | undefined;
  settled: boolean;
}

interface Held {
  readonly startedAt: number;
  readonly holding: ResourceHolding | undefined;
}

const NAME = 'priority scheduler';
/** Waiting nodes looked at behind ones whose resources do not fit, per admission round (keeps admission O(log n)). */
const BACKFILL_DEPTH = 64;

const before = (a: Entry, b: Entry): boolean =>
  a.key > b.key || (a.key === b.key && (a.rank > b.rank || (a.rank === b.rank && a.seq < b.seq)));

class PrioritySchedulerImpl implements PriorityScheduler {
  readonly name = 'priority';
  readonly #concurrency: number;
  readonly #failFast: number | undefined;
  readonly #agingRate: number;
  readonly #pools: ResourcePools | undefined;
  /**
   * The pools' `resource.expired` events for nodes this scheduler admitted (pools may be shared by several
   * schedulers and engines); the engine republishes them on `engine.systemEvents$`.
   */
  readonly events$: Observable<ResourcePoolEvent> | undefined;
  readonly #backfill: boolean;
  readonly #clock: SchedulerLike;
  readonly #t0: number;
  readonly #ranks: CriticalPathRanks;
  readonly #heap = new BinaryHeap<Entry>(before);
  readonly #leases = new Map<Lease, Held>();
  readonly #timers = new Set<Subscription>();
  readonly #aborts = new AbortGroups<Entry>((e) => this.#drop(e, cancelled(e.request)));
  readonly #offPools: (() => void) | undefined;
  #engine: { cancel(executionId: string, reason?: string): void } | undefined;
  #running = 0;
  #pending = 0;
  #garbage = 0;
  #seq = 0;
  #dispatchQueued = false;
  #disposed = false;

  constructor(options: PrioritySchedulerOptions) {
    const bad = (option: string, reason: string): never => {
      throw new SchedulerError('FL_SCHED_INVALID_OPTION', { scheduler: NAME, option, reason });
    };
    rejectUnknownKeys(NAME, options, SCHEDULER_KEYS);
    rejectUnknownKeys(NAME, options.aging, AGING_KEYS, 'aging.');
    const c = options.concurrency ?? Number.POSITIVE_INFINITY;
    if (!(c === Number.POSITIVE_INFINITY || (Number.isInteger(c) && c >= 1)))
      bad('concurrency', `expected an integer ≥ 1, got ${String(c)}`);
    if (options.failFast !== undefined && !(typeof options.failFast === 'number' && Number.isFinite(options.failFast)))
      bad('failFast', `expected a priority threshold (a finite number), got ${String(options.failFast)}`);
    const aging = options.aging;
    if (aging !== undefined) {
      if (!(typeof aging.interval === 'number' && Number.isFinite(aging.interval) && aging.interval > 0))
        bad('aging.interval', `expected a number of ms > 0, got ${String(aging.interval)}`);
      if (aging.step !== undefined && !(Number.isFinite(aging.step) && aging.step > 0))
        bad('aging.step', `expected a number > 0, got ${String(aging.step)}`);
    }
    const d = options.defaultEstimateMs ?? 1;
    if (!(Number.isFinite(d) && d >= 0)) bad('defaultEstimateMs', `expected a number of ms ≥ 0, got ${String(d)}`);
    this.#concurrency = c;
    this.#failFast = options.failFast;
    this.#agingRate = aging === undefined ? 0 : (aging.step ?? 1) / aging.interval;
    this.#pools = options.pools;
    this.events$ = options.pools?.events$.pipe(filter((e) => this.#admitted(e.executionId, e.nodeId)));
    this.#backfill = options.backfill ?? true;
    this.#clock = options.clock ?? asyncScheduler;
    this.#t0 = this.#clock.now();
    this.#ranks = new CriticalPathRanks(d);
    for (const wf of options.workflows ?? []) this.register(wf);
    this.#offPools = this.#pools?.onAvailable(() => this.#scheduleDispatch());
  }

  acquire(request: AdmissionRequest, signal: AbortSignal): Lease | Promise<Lease> {
    if (this.#disposed) throw new SchedulerError('FL_SCHED_DISPOSED', { scheduler: NAME, nodeId: request.node.id });
    // A subworkflow node only waits for its child run, whose nodes are admitted one by one: holding a slot for it
    // could deadlock the child (concurrency 1), so it takes none.
    if (request.node.kind === 'subworkflow') return { request };
    const demand = this.#pools?.demandOf(request.node);
    if (this.#concurrency === Number.POSITIVE_INFINITY && demand === undefined) return this.#grant(request, undefined);
    if (signal.aborted) throw cancelled(request);
    const now = this.#clock.now();
    return new Promise<Lease>((resolve, reject) => {
      const entry: Entry = {
        request,
        demand,
        key: request.priority - this.#agingRate * (now - this.#t0),
        rank: this.#ranks.rank(request.workflow, request.executionId, request.node),
        seq: this.#seq++,
        resolve,
        reject,
        signal,
        timer: undefined,
        settled: false,
      };
      this.#aborts.add(signal, entry);
      const wait = this.#pools?.waitTimeout;
      if (demand !== undefined && wait !== undefined) {
        entry.timer = this.#clock.schedule(
          () => this.#drop(entry, new FlowlaneError('FL_RESOURCE_TIMEOUT', { nodeId: request.node.id, ms: wait })),
          wait,
        );
        this.#timers.add(entry.timer);
      }
      this.#heap.push(entry);
      this.#pending++;
      this.#scheduleDispatch();
    });
  }

  release(lease: Lease, outcome: 'success' | 'failed' | 'cancelled'): void {
    const held = this.#leases.get(lease);
    if (held === undefined) return;
    this.#leases.delete(lease);
    this.#running--;
    const { request } = lease;
    if (outcome === 'success') this.#ranks.observe(request.workflow, request.node, this.#clock.now() - held.startedAt);
    if (held.holding !== undefined) this.#pools!.release(held.holding);
    if (outcome === 'failed' && this.#failFast !== undefined && request.priority >= this.#failFast)
      this.#cancelRun(request);
    this.#scheduleDispatch();
  }

  pending(): number {
    return this.#pending;
  }

  /** Whether a node of this scheduler still holds its lease (expiry returns resources, not the lease). */
  #admitted(executionId: string, nodeId: string): boolean {
    for (const lease of this.#leases.keys())
      if (lease.request.executionId === executionId && lease.request.node.id === nodeId) return true;
    return false;
  }

  running(): number {
    return this.#running;
  }

  register(workflow: WorkflowDescription | { toJSON(): WorkflowDescription }): void {
    const json = 'nodes' in workflow ? workflow : workflow.toJSON();
    this.#pools?.check(json);
    this.#ranks.register(json);
  }

  estimate(workflow: WorkflowDescription | { toJSON(): WorkflowDescription }): WorkflowEstimate {
    return this.#ranks.estimate('nodes' in workflow ? workflow : workflow.toJSON(), this.#concurrency);
  }

  attach(engine: { cancel(executionId: string, reason?: string): void }): void {
    this.#engine = engine;
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#offPools?.();
    for (const e of this.#heap.drain())
      if (!e.settled)
        this.#drop(e, new SchedulerError('FL_SCHED_DISPOSED', { scheduler: NAME, nodeId: e.request.node.id }));
    for (const t of this.#timers) t.unsubscribe();
    this.#timers.clear();
  }

  #grant(request: AdmissionRequest, holding: ResourceHolding | undefined): Lease {
    const lease: Lease = { request };
    this.#running++;
    this.#leases.set(lease, { startedAt: this.#clock.now(), holding });
    return lease;
  }

  /** Settle a waiting entry without admitting it (abort, wait timeout, dispose). */
  #drop(entry: Entry, error: unknown): void {
    if (entry.settled) return;
    this.#unwait(entry);
    this.#garbage++;
    entry.reject(error);
    if (this.#garbage > 1024 && this.#garbage * 2 > this.#heap.size) {
      for (const e of this.#heap.drain()) if (!e.settled) this.#heap.push(e);
      this.#garbage = 0;
    }
  }

  #unwait(entry: Entry): void {
    entry.settled = true;
    this.#pending--;
    this.#aborts.delete(entry.signal, entry);
    if (entry.timer !== undefined) {
      entry.timer.unsubscribe();
      this.#timers.delete(entry.timer);
    }
  }

  /**
   * Admission runs in a microtask, so every node that becomes ready in the same turn (the roots of a run, the
   * dependents a settling node unlocks) competes by priority before any of them starts.
   */
  #scheduleDispatch(): void {
    if (this.#dispatchQueued || this.#pending === 0 || this.#disposed) return;
    this.#dispatchQueued = true;
    queueMicrotask(() => this.#dispatch());
  }

  #dispatch(): void {
    this.#dispatchQueued = false;
    if (this.#disposed) return;
    let skipped: Entry[] | undefined;
    while (this.#running < this.#concurrency && this.#heap.size > 0 && (skipped?.length ?? 0) < BACKFILL_DEPTH) {
      const e = this.#heap.pop()!;
      if (e.settled) {
        this.#garbage--;
        continue;
      }
      let holding: ResourceHolding | undefined;
      if (e.demand !== undefined) {
        holding = this.#pools!.tryAcquire(e.demand, e.request.executionId);
        if (holding === undefined) {
          if (!this.#backfill) {
            this.#heap.push(e);
            break;
          }
          (skipped ??= []).push(e);
          continue;
        }
      }
      this.#unwait(e);
      e.resolve(this.#grant(e.request, holding));
    }
    if (skipped !== undefined) for (const e of skipped) this.#heap.push(e);
  }

  #cancelRun(request: AdmissionRequest): void {
    const engine = this.#engine;
    if (engine === undefined) return;
    const reason = `fail-fast: node "${request.node.id}" (priority ${request.priority}) failed`;
    // Deferred: the engine is still settling the failed node; a run that already failed stays failed.
    queueMicrotask(() => {
      try {
        engine.cancel(request.executionId, reason);
      } catch {
        // The run already settled, or it is a subworkflow run the engine does not cancel by id.
      }
    });
  }
}

const cancelled = (request: AdmissionRequest): FlowlaneError =>
  new FlowlaneError('FL_CANCELLED', { executionId: request.executionId, reason: 'aborted while queued' });

/**
 * A scheduler that starts the highest-`priority` ready node first, breaking ties by the longest remaining critical
 * path (from `estimatedMs` or observed durations), then by arrival. Optional global `concurrency`, resource `pools`,
 * `aging` and `failFast`. Usually installed through the {@link priorityScheduler} plugin.
 *
 * @example
 * ```ts
 * import { createEngine } from '@flowlane/core';
 * import { createPriorityScheduler } from '@flowlane/scheduler-priority';
 * const scheduler = createPriorityScheduler({ concurrency: 2, aging: { interval: 10_000 } });
 * const engine = createEngine({ scheduler });
 * scheduler.attach(engine); // only needed for failFast
 * ```
 */
export function createPriorityScheduler(options: PrioritySchedulerOptions = {}): PriorityScheduler {
  return new PrioritySchedulerImpl(options);
}
