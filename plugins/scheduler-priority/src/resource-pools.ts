import {
  FlowlaneError,
  type NodeDescription,
  type ResourceExpiredEvent,
  type WorkflowDescription,
} from '@flowlane/core';
import { asyncScheduler, type Observable, type SchedulerLike, Subject, type Subscription } from 'rxjs';
import { SchedulerError } from './errors.js';
import { POOL_KEYS, rejectUnknownKeys } from './option-keys.js';
import { toMilli } from './quantity.js';

/** Options of {@link createResourcePools}. */
export interface ResourcePoolsOptions {
  /**
   * Capacity per resource: numbers or quantities (`cpu: 8`, `memory: '16Gi'`, `licenses: 2`, any custom name).
   * Nodes declare what they need with `resources: { cpu: 2, licenses: 1 }`.
   */
  readonly capacity: Readonly<Record<string, number | string>>;
  /** A request waiting longer than this (ms) fails with `FL_RESOURCE_TIMEOUT`. Default: waits forever. */
  readonly waitTimeout?: number | undefined;
  /** Resources held longer than this (ms) are reclaimed (`resource.expired` event). Default: never. */
  readonly leaseExpiry?: number | undefined;
  /** Resource names nodes may declare for other plugins; ignored here. `labels` is always ignored. Default `[]`. */
  readonly ignore?: readonly string[] | undefined;
  /** Time source for `waitTimeout` and `leaseExpiry`. Default: RxJS `asyncScheduler` (the plugin passes the engine clock). */
  readonly clock?: SchedulerLike | undefined;
}

/** What one node asks of the pools, in natural units (`memory: '1Gi'` appears as 1073741824). */
export interface ResourceDemand {
  readonly nodeId: string;
  readonly amounts: Readonly<Record<string, number>>;
}

/** Resources held by one node; give them back with {@link ResourcePools.release}. */
export interface ResourceHolding {
  readonly demand: ResourceDemand;
  readonly executionId: string;
  /** Clock time the resources were taken. */
  readonly since: number;
}

/** Emitted on {@link ResourcePools.events$} when `leaseExpiry` reclaims the resources of a node that runs too long. */
export type { ResourceExpiredEvent };

/** Events of resource pools. */
export type ResourcePoolEvent = ResourceExpiredEvent;

/**
 * Typed resource pools with all-or-nothing allocation: a node either gets everything it declared or nothing, so
 * overlapping multi-resource requests can never deadlock. Schedulers ({@link createPriorityScheduler},
 * {@link withResourcePools}) queue the requests; the pools only count. Several schedulers or engines may share one
 * set of pools.
 */
export interface ResourcePools {
  /** Resource names, in the order they were configured. */
  readonly names: readonly string[];
  /** See {@link ResourcePoolsOptions.waitTimeout}. */
  readonly waitTimeout: number | undefined;
  /** The time source of `waitTimeout` and `leaseExpiry`. */
  readonly clock: SchedulerLike;
  /** `resource.expired` events. */
  readonly events$: Observable<ResourcePoolEvent>;
  /** Capacity per resource in natural units. */
  capacity(): Record<string, number>;
  /** Free amount per resource in natural units. */
  available(): Record<string, number>;
  /**
   * The node's demand on these pools, or `undefined` when it asks for nothing here. Throws `FL_RESOURCE_UNSATISFIABLE`
   * when it asks for more than a pool holds (or for a resource no pool has) and `FL_SCHED_INVALID_QUANTITY`.
   */
  demandOf(node: NodeDescription): ResourceDemand | undefined;
  /** Throws `FL_RESOURCE_UNSATISFIABLE` for the first node of `workflow` that could never be admitted. */
  check(workflow: WorkflowDescription | { toJSON(): WorkflowDescription }): void;
  /** True when every amount of `demand` is free now. */
  fits(demand: ResourceDemand): boolean;
  /** Take all of `demand` or nothing. */
  tryAcquire(demand: ResourceDemand, executionId: string): ResourceHolding | undefined;
  /** Give a holding back; false when it was already released or reclaimed by `leaseExpiry`. */
  release(holding: ResourceHolding): boolean;
  /** Called whenever resources become free; returns an unsubscribe function. */
  onAvailable(listener: () => void): () => void;
  /** Clears expiry timers and completes `events$`. Idempotent. */
  dispose(): void;
}

interface DemandParts {
  readonly pools: ResourcePoolSet;
  readonly index: readonly number[];
  readonly milli: readonly number[];
}

interface HoldingState {
  released: boolean;
  timer: Subscription | undefined;
}

const parts = new WeakMap<ResourceDemand, DemandParts>();
const holdings = new WeakMap<ResourceHolding, HoldingState>();

const isMs = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v) && v > 0;

class ResourcePoolSet implements ResourcePools {
  readonly names: readonly string[];
  readonly waitTimeout: number | undefined;
  readonly clock: SchedulerLike;
  readonly #index: ReadonlyMap<string, number>;
  readonly #cap: number[];
  readonly #used: number[];
  readonly #ignore: ReadonlySet<string>;
  readonly #expiry: number | undefined;
  readonly #events = new Subject<ResourcePoolEvent>();
  readonly #listeners = new Set<() => void>();
  readonly #cache = new WeakMap<NodeDescription, ResourceDemand | null>();
  readonly #timers = new Set<Subscription>();
  #disposed = false;

  constructor(options: ResourcePoolsOptions) {
    const bad = (option: string, reason: string): never => {
      throw new SchedulerError('FL_SCHED_INVALID_OPTION', { scheduler: 'resource pools', option, reason });
    };
    rejectUnknownKeys('resource pools', options, POOL_KEYS);
    if (typeof options?.capacity !== 'object' || options.capacity === null)
      bad('capacity', 'expected an object like { cpu: 8, memory: "16Gi" }');
    if (options.waitTimeout !== undefined && !isMs(options.waitTimeout))
      bad('waitTimeout', `expected a number of ms > 0, got ${String(options.waitTimeout)}`);
    if (options.leaseExpiry !== undefined && !isMs(options.leaseExpiry))
      bad('leaseExpiry', `expected a number of ms > 0, got ${String(options.leaseExpiry)}`);
    this.names = Object.keys(options.capacity);
    if (this.names.includes('labels')) bad('capacity', '"labels" is reserved for worker placement');
    this.#index = new Map(this.names.map((n, i) => [n, i]));
    this.#cap = this.names.map((n) => toMilli(n, options.capacity[n]));
    this.#used = this.names.map(() => 0);
    this.#ignore = new Set(['labels', ...(options.ignore ?? [])]);
    this.waitTimeout = options.waitTimeout;
    this.#expiry = options.leaseExpiry;
    this.clock = options.clock ?? asyncScheduler;
  }

  get events$(): Observable<ResourcePoolEvent> {
    return this.#events.asObservable();
  }

  capacity(): Record<string, number> {
    return Object.fromEntries(this.names.map((n, i) => [n, this.#cap[i]! / 1000]));
  }

  available(): Record<string, number> {
    return Object.fromEntries(this.names.map((n, i) => [n, (this.#cap[i]! - this.#used[i]!) / 1000]));
  }

  demandOf(node: NodeDescription): ResourceDemand | undefined {
    const cached = this.#cache.get(node);
    if (cached !== undefined) return cached ?? undefined;
    const demand = this.#parse(node);
    this.#cache.set(node, demand ?? null);
    return demand;
  }

  #parse(node: NodeDescription): ResourceDemand | undefined {
    const resources = node.options.resources as Readonly<Record<string, unknown>> | undefined;
    if (resources === undefined || resources === null || typeof resources !== 'object') return undefined;
    const index: number[] = [];
    const milli: number[] = [];
    const amounts: Record<string, number> = {};
    for (const [name, value] of Object.entries(resources)) {
      if (this.#ignore.has(name) || Array.isArray(value)) continue;
      const m = toMilli(name, value, node.id);
      if (m === 0) continue;
      const i = this.#index.get(name);
      const cap = i === undefined ? 0 : this.#cap[i]!;
      if (i === undefined || m > cap)
        throw new FlowlaneError('FL_RESOURCE_UNSATISFIABLE', {
          nodeId: node.id,
          resource: name,
          requested: m / 1000,
          capacity: cap / 1000,
        });
      index.push(i);
      milli.push(m);
      amounts[name] = m / 1000;
    }
    if (index.length === 0) return undefined;
    const demand: ResourceDemand = Object.freeze({ nodeId: node.id, amounts: Object.freeze(amounts) });
    parts.set(demand, { pools: this, index, milli });
    return demand;
  }

  check(workflow: WorkflowDescription | { toJSON(): WorkflowDescription }): void {
    const json = 'nodes' in workflow ? workflow : workflow.toJSON();
    for (const node of json.nodes) this.demandOf(node);
  }

  #parts(demand: ResourceDemand): DemandParts {
    const p = parts.get(demand);
    if (p === undefined || p.pools !== this)
      throw new TypeError('This demand was not created by these pools: get it from pools.demandOf(node).');
    return p;
  }

  fits(demand: ResourceDemand): boolean {
    const { index, milli } = this.#parts(demand);
    for (let k = 0; k < index.length; k++) {
      const i = index[k]!;
      if (this.#used[i]! + milli[k]! > this.#cap[i]!) return false;
    }
    return true;
  }

  tryAcquire(demand: ResourceDemand, executionId: string): ResourceHolding | undefined {
    if (!this.fits(demand)) return undefined;
    const { index, milli } = this.#parts(demand);
    for (let k = 0; k < index.length; k++) this.#used[index[k]!]! += milli[k]!;
    const holding: ResourceHolding = Object.freeze({ demand, executionId, since: this.clock.now() });
    const state: HoldingState = { released: false, timer: undefined };
    holdings.set(holding, state);
    if (this.#expiry !== undefined && !this.#disposed) {
      const timer = this.clock.schedule(() => this.#expire(holding), this.#expiry);
      state.timer = timer;
      this.#timers.add(timer);
    }
    return holding;
  }

  release(holding: ResourceHolding): boolean {
    if (!this.#giveBack(holding)) return false;
    this.#notify();
    return true;
  }

  #giveBack(holding: ResourceHolding): boolean {
    const state = holdings.get(holding);
    if (state === undefined || state.released) return false;
    state.released = true;
    if (state.timer !== undefined) {
      state.timer.unsubscribe();
      this.#timers.delete(state.timer);
      state.timer = undefined;
    }
    const { index, milli } = this.#parts(holding.demand);
    for (let k = 0; k < index.length; k++) this.#used[index[k]!]! -= milli[k]!;
    return true;
  }

  #expire(holding: ResourceHolding): void {
    if (!this.#giveBack(holding)) return;
    const now = this.clock.now();
    this.#events.next({
      type: 'resource.expired',
      executionId: holding.executionId,
      nodeId: holding.demand.nodeId,
      amounts: holding.demand.amounts,
      heldMs: now - holding.since,
      timestamp: now,
    });
    this.#notify();
  }

  #notify(): void {
    for (const l of [...this.#listeners]) l();
  }

  onAvailable(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const t of this.#timers) t.unsubscribe();
    this.#timers.clear();
    this.#listeners.clear();
    this.#events.complete();
  }
}

/**
 * Create typed resource pools. Pass them to {@link createPriorityScheduler} (`pools`) or wrap any scheduler with
 * {@link withResourcePools}; nodes declare `resources: { cpu: 2, licenses: 1 }`.
 *
 * @example
 * ```ts
 * import { createResourcePools } from '@flowlane/scheduler-priority';
 * const pools = createResourcePools({ capacity: { cpu: 8, memory: '16Gi', licenses: 2 }, waitTimeout: 60_000 });
 * console.log(pools.available()); // { cpu: 8, memory: 17179869184, licenses: 2 }
 * ```
 */
export function createResourcePools(options: ResourcePoolsOptions): ResourcePools {
  return new ResourcePoolSet(options);
}

/** Internal: tells a pools object from pools options. */
export function isResourcePools(value: unknown): value is ResourcePools {
  return value instanceof ResourcePoolSet;
}
