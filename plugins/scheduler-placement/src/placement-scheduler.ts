import {
  AbortGroups,
  type AdmissionRequest,
  FlowlaneError,
  type Lease,
  type NodeDescription,
  type Scheduler,
} from '@flowlane/core';
import { asyncScheduler, type Observable, type SchedulerLike, Subject, type Subscription } from 'rxjs';
import { PlacementError } from './errors.js';
import { type HealthCheckOptions, type ProbeResult, watchHealth } from './health-check.js';
import { checkPlacementKeys, PLACEMENT_KEYS } from './option-keys.js';
import type { WorkerEvent } from './worker-event.js';

/** One worker (host, runner, pod…) nodes can be placed on. */
export interface WorkerSpec {
  /** Becomes `lease.workerId`, `ctx.workerId` and the default executor target. */
  readonly id: string;
  /** Nodes it runs at once (integer ≥ 1). Default 1. */
  readonly capacity?: number | undefined;
  /** Nodes with `resources: { labels: [...] }` run only on workers that have all of those labels. Default `[]`. */
  readonly labels?: readonly string[] | undefined;
}

/** What a placement strategy sees of a worker. */
export interface WorkerState {
  readonly id: string;
  readonly capacity: number;
  readonly labels: readonly string[];
  /** Position in the configured list (a stable tie-break). */
  readonly index: number;
  /** Nodes placed on it and not yet released. */
  readonly inFlight: number;
  readonly healthy: boolean;
}

/** Chooses a worker among the candidates (healthy, with free capacity and the node's labels), in configured order. */
export interface PlacementStrategy {
  readonly name: string;
  pick(candidates: readonly WorkerState[], request: AdmissionRequest): WorkerState | undefined;
}

/** Options of {@link createPlacementScheduler}. */
export interface PlacementSchedulerOptions {
  /** The workers (at least one, unique ids). */
  readonly workers: readonly WorkerSpec[];
  readonly strategy: PlacementStrategy;
  /** Periodic health checks; an unhealthy worker gets no new nodes until it passes again. Default: none. */
  readonly healthCheck?: HealthCheckOptions | undefined;
  /** A node waiting longer than this (ms) for a worker fails with `FL_RESOURCE_TIMEOUT`. Default: waits forever. */
  readonly queueTimeout?: number | undefined;
  /** Time source for health checks and `queueTimeout`. Default: RxJS `asyncScheduler` (the plugins pass the engine clock). */
  readonly clock?: SchedulerLike | undefined;
}

/** A scheduler that places each admitted node on a worker. */
export interface PlacementScheduler extends Scheduler {
  /** `worker.down` / `worker.up` as health changes; the engine republishes them on `engine.systemEvents$`. */
  readonly events$: Observable<WorkerEvent>;
  /** The same stream as `events$` (kept for code written against 0.1). */
  readonly workerEvents$: Observable<WorkerEvent>;
  /** A snapshot of every worker. */
  workers(): readonly WorkerState[];
  /** Take a worker out of the rotation (e.g. from an external monitor); throws `FL_SCHED_UNKNOWN_WORKER`. */
  markDown(workerId: string, reason?: string): void;
  /** Put a worker back into the rotation; throws `FL_SCHED_UNKNOWN_WORKER`. */
  markUp(workerId: string): void;
  /** Nodes waiting for a worker. */
  pending(): number;
  /** Stops health checks, rejects waiting nodes with `FL_SCHED_DISPOSED`, completes `events$`. Idempotent. */
  dispose(): void;
}

interface Worker {
  readonly id: string;
  readonly capacity: number;
  readonly labels: readonly string[];
  readonly index: number;
  inFlight: number;
  healthy: boolean;
  fails: number;
  passes: number;
}

interface Entry {
  readonly request: AdmissionRequest;
  readonly labels: readonly string[];
  readonly seq: number;
  readonly resolve: (lease: Lease) => void;
  readonly reject: (error: unknown) => void;
  readonly signal: AbortSignal;
  timer: Subscription | undefined;
  settled: boolean;
}

const NO_LABELS: readonly string[] = Object.freeze([]);

const isCount = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v) && v >= 1;
const isMs = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v) && v > 0;

class PlacementSchedulerImpl implements PlacementScheduler {
  readonly name: string;
  readonly #label: string;
  readonly #workers: Worker[];
  readonly #byId: ReadonlyMap<string, Worker>;
  readonly #strategy: PlacementStrategy;
  readonly #clock: SchedulerLike;
  readonly #queueTimeout: number | undefined;
  readonly #health: HealthCheckOptions | undefined;
  readonly #events = new Subject<WorkerEvent>();
  readonly #leases = new Map<Lease, Worker>();
  readonly #labelsOf = new WeakMap<NodeDescription, readonly string[]>();
  readonly #timers = new Set<Subscription>();
  readonly #aborts = new AbortGroups<Entry>((e) => this.#drop(e, cancelled(e.request)));
  readonly #queue: Entry[] = [];
  #head = 0;
  #garbage = 0;
  #pending = 0;
  #seq = 0;
  #healthSub: Subscription | undefined;
  #disposed = false;

  constructor(options: PlacementSchedulerOptions) {
    this.name = options.strategy?.name ?? 'placement';
    this.#label = `${this.name} scheduler`;
    const bad = (option: string, reason: string): never => {
      throw new PlacementError('FL_SCHED_INVALID_OPTION', { scheduler: this.#label, option, reason });
    };
    checkPlacementKeys(this.#label, options, [...PLACEMENT_KEYS, 'strategy']);
    if (typeof options.strategy?.pick !== 'function') bad('strategy', 'expected an object with a pick() function');
    if (!Array.isArray(options.workers) || options.workers.length === 0)
      bad('workers', 'expected at least one worker like { id: "host-1", capacity: 2 }');
    const seen = new Set<string>();
    this.#workers = options.workers.map((w, index) => {
      if (typeof w?.id !== 'string' || w.id === '') bad(`workers[${index}].id`, 'expected a non-empty string');
      if (seen.has(w.id)) bad(`workers[${index}].id`, `"${w.id}" is listed twice`);
      seen.add(w.id);
      if (w.capacity !== undefined && !isCount(w.capacity))
        bad(`workers[${index}].capacity`, `expected an integer ≥ 1, got ${String(w.capacity)}`);
      if (w.labels !== undefined && !(Array.isArray(w.labels) && w.labels.every((l) => typeof l === 'string')))
        bad(`workers[${index}].labels`, 'expected an array of strings');
      return {
        id: w.id,
        capacity: w.capacity ?? 1,
        labels: Object.freeze([...(w.labels ?? [])]),
        index,
        inFlight: 0,
        healthy: true,
        fails: 0,
        passes: 0,
      };
    });
    this.#byId = new Map(this.#workers.map((w) => [w.id, w]));
    if (options.queueTimeout !== undefined && !isMs(options.queueTimeout))
      bad('queueTimeout', `expected a number of ms > 0, got ${String(options.queueTimeout)}`);
    const h = options.healthCheck;
    if (h !== undefined) {
      if (typeof h.check !== 'function') bad('healthCheck.check', 'expected a function (workerId, signal) => boolean');
      if (!isMs(h.interval)) bad('healthCheck.interval', `expected a number of ms > 0, got ${String(h.interval)}`);
      if (h.timeout !== undefined && !isMs(h.timeout))
        bad('healthCheck.timeout', `expected a number of ms > 0, got ${String(h.timeout)}`);
      for (const k of ['unhealthyThreshold', 'healthyThreshold'] as const)
        if (h[k] !== undefined && !isCount(h[k]))
          bad(`healthCheck.${k}`, `expected an integer ≥ 1, got ${String(h[k])}`);
    }
    this.#strategy = options.strategy;
    this.#queueTimeout = options.queueTimeout;
    this.#health = h;
    this.#clock = options.clock ?? asyncScheduler;
    if (h !== undefined)
      this.#healthSub = watchHealth(
        this.#workers.map((w) => w.id),
        h,
        this.#clock,
        (id, r) => this.#probed(id, r),
      );
  }

  get events$(): Observable<WorkerEvent> {
    return this.#events.asObservable();
  }

  get workerEvents$(): Observable<WorkerEvent> {
    return this.#events.asObservable();
  }

  workers(): readonly WorkerState[] {
    return this.#workers.map((w) => this.#state(w));
  }

  pending(): number {
    return this.#pending;
  }

  acquire(request: AdmissionRequest, signal: AbortSignal): Lease | Promise<Lease> {
    if (this.#disposed)
      throw new PlacementError('FL_SCHED_DISPOSED', { scheduler: this.#label, nodeId: request.node.id });
    // A subworkflow node only waits for its child run, whose nodes are placed one by one.
    if (request.node.kind === 'subworkflow') return { request };
    const labels = this.#labels(request.node);
    const w = this.#place(request, labels);
    if (w !== undefined) return this.#grant(request, w);
    if (signal.aborted) throw cancelled(request);
    return new Promise<Lease>((resolve, reject) => {
      const entry: Entry = {
        request,
        labels,
        seq: this.#seq++,
        resolve,
        reject,
        signal,
        timer: undefined,
        settled: false,
      };
      this.#aborts.add(signal, entry);
      const ms = this.#queueTimeout;
      if (ms !== undefined) {
        entry.timer = this.#clock.schedule(
          () => this.#drop(entry, new FlowlaneError('FL_RESOURCE_TIMEOUT', { nodeId: request.node.id, ms })),
          ms,
        );
        this.#timers.add(entry.timer);
      }
      this.#enqueue(entry);
    });
  }

  release(lease: Lease): void {
    const w = this.#leases.get(lease);
    if (w === undefined) return;
    this.#leases.delete(lease);
    w.inFlight--;
    this.#dispatch();
  }

  markDown(workerId: string, reason = 'marked down'): void {
    const w = this.#worker(workerId);
    w.fails = w.passes = 0;
    this.#setHealth(w, false, reason);
  }

  markUp(workerId: string): void {
    const w = this.#worker(workerId);
    w.fails = w.passes = 0;
    this.#setHealth(w, true, 'marked up');
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#healthSub?.unsubscribe();
    for (let k = this.#head; k < this.#queue.length; k++) {
      const e = this.#queue[k]!;
      if (!e.settled)
        this.#drop(e, new PlacementError('FL_SCHED_DISPOSED', { scheduler: this.#label, nodeId: e.request.node.id }));
    }
    this.#queue.length = 0;
    this.#head = 0;
    for (const t of this.#timers) t.unsubscribe();
    this.#timers.clear();
    this.#events.complete();
  }

  #state(w: Worker): WorkerState {
    return {
      id: w.id,
      capacity: w.capacity,
      labels: w.labels,
      index: w.index,
      inFlight: w.inFlight,
      healthy: w.healthy,
    };
  }

  #worker(id: string): Worker {
    const w = this.#byId.get(id);
    if (w === undefined)
      throw new PlacementError('FL_SCHED_UNKNOWN_WORKER', {
        scheduler: this.#label,
        workerId: id,
        known: this.#workers.map((x) => x.id),
      });
    return w;
  }

  /** The node's required labels; throws `FL_RESOURCE_UNSATISFIABLE` when no configured worker has them all. */
  #labels(node: NodeDescription): readonly string[] {
    const cached = this.#labelsOf.get(node);
    if (cached !== undefined) return cached;
    const raw = (node.options.resources as Readonly<Record<string, unknown>> | undefined)?.labels;
    const labels =
      raw === undefined ? NO_LABELS : Object.freeze((Array.isArray(raw) ? raw : [raw]).map((l: unknown) => String(l)));
    if (labels.length > 0 && !this.#workers.some((w) => hasAll(w, labels)))
      throw new FlowlaneError('FL_RESOURCE_UNSATISFIABLE', {
        nodeId: node.id,
        resource: `worker labelled ${labels.join(' + ')}`,
        requested: 1,
        capacity: 0,
      });
    this.#labelsOf.set(node, labels);
    return labels;
  }

  #place(request: AdmissionRequest, labels: readonly string[]): Worker | undefined {
    const candidates: WorkerState[] = [];
    for (const w of this.#workers)
      if (w.healthy && w.inFlight < w.capacity && (labels.length === 0 || hasAll(w, labels)))
        candidates.push(this.#state(w));
    if (candidates.length === 0) return undefined;
    const picked = this.#strategy.pick(candidates, request);
    if (picked === undefined) return undefined;
    const w = this.#byId.get(picked.id);
    // A strategy may only pick among the candidates: capacity and health are never exceeded.
    return w !== undefined && candidates.some((c) => c.id === w.id) ? w : undefined;
  }

  #grant(request: AdmissionRequest, w: Worker): Lease {
    w.inFlight++;
    const lease: Lease = { request, workerId: w.id };
    this.#leases.set(lease, w);
    return lease;
  }

  /** Insert after every waiting node of higher or equal priority (priority, then arrival). */
  #enqueue(entry: Entry): void {
    const q = this.#queue;
    let lo = this.#head;
    let hi = q.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (q[mid]!.request.priority >= entry.request.priority) lo = mid + 1;
      else hi = mid;
    }
    if (lo === q.length) q.push(entry);
    else q.splice(lo, 0, entry);
    this.#pending++;
  }

  /** Place waiting nodes, best first, while any healthy worker has room; skip nodes whose labels have no room. */
  #dispatch(): void {
    if (this.#disposed || this.#pending === 0) return;
    let room = 0;
    for (const w of this.#workers) if (w.healthy) room += Math.max(0, w.capacity - w.inFlight);
    const q = this.#queue;
    for (let k = this.#head; k < q.length && room > 0; k++) {
      const e = q[k]!;
      if (e.settled) continue;
      const w = this.#place(e.request, e.labels);
      if (w === undefined) continue;
      this.#unwait(e);
      room--;
      e.resolve(this.#grant(e.request, w));
    }
    this.#compact();
  }

  #drop(entry: Entry, error: unknown): void {
    if (entry.settled) return;
    this.#unwait(entry);
    entry.reject(error);
    this.#compact();
  }

  #unwait(entry: Entry): void {
    entry.settled = true;
    this.#pending--;
    this.#garbage++;
    this.#aborts.delete(entry.signal, entry);
    if (entry.timer !== undefined) {
      entry.timer.unsubscribe();
      this.#timers.delete(entry.timer);
    }
  }

  #compact(): void {
    const q = this.#queue;
    while (this.#head < q.length && q[this.#head]!.settled) {
      this.#head++;
      this.#garbage--;
    }
    if (this.#head === q.length) {
      q.length = 0;
      this.#head = 0;
      this.#garbage = 0;
    } else if (this.#garbage > 64 && this.#garbage * 2 > q.length - this.#head) {
      const live = q.slice(this.#head).filter((e) => !e.settled);
      q.length = 0;
      q.push(...live);
      this.#head = 0;
      this.#garbage = 0;
    }
  }

  #probed(id: string, r: ProbeResult): void {
    const w = this.#byId.get(id);
    if (w === undefined || this.#disposed) return;
    if (r.healthy) {
      w.fails = 0;
      w.passes++;
      if (!w.healthy && w.passes >= (this.#health?.healthyThreshold ?? 1)) this.#setHealth(w, true, r.reason);
    } else {
      w.passes = 0;
      w.fails++;
      if (w.healthy && w.fails >= (this.#health?.unhealthyThreshold ?? 1)) this.#setHealth(w, false, r.reason);
    }
  }

  #setHealth(w: Worker, healthy: boolean, reason: string): void {
    if (w.healthy === healthy || this.#disposed) return;
    w.healthy = healthy;
    const timestamp = this.#clock.now();
    this.#events.next(
      healthy
        ? { type: 'worker.up', workerId: w.id, timestamp }
        : { type: 'worker.down', workerId: w.id, reason, timestamp },
    );
    if (healthy) this.#dispatch();
  }
}

function hasAll(w: { readonly labels: readonly string[] }, labels: readonly string[]): boolean {
  for (const l of labels) if (!w.labels.includes(l)) return false;
  return true;
}

const cancelled = (request: AdmissionRequest): FlowlaneError =>
  new FlowlaneError('FL_CANCELLED', { executionId: request.executionId, reason: 'aborted while queued' });

/**
 * The building block of the round-robin and load-based schedulers: workers with capacities and labels, health checks,
 * and a wait queue (priority, then arrival) — the `strategy` only chooses among eligible workers. A node is placed
 * at once when a worker has room (synchronous fast path); the lease carries the chosen `workerId`.
 *
 * @example
 * ```ts
 * import { createPlacementScheduler } from '@flowlane/scheduler-placement';
 * // Always the first eligible worker in configured order ("fill first").
 * const scheduler = createPlacementScheduler({
 *   workers: [{ id: 'big', capacity: 8 }, { id: 'small', capacity: 2 }],
 *   strategy: { name: 'fill-first', pick: (candidates) => candidates[0] },
 * });
 * ```
 */
export function createPlacementScheduler(options: PlacementSchedulerOptions): PlacementScheduler {
  return new PlacementSchedulerImpl(options);
}
