import type { FlowEvent, RunStatus } from '../contracts/events.js';
import type { RunEventsSummary, RunNodeState, RunNodeSummary } from '../plugin/contracts/run-events.js';
import type { CompactEventLog } from './compact-event-log.js';

/** Node states by code (index into this list); `pending` is 0 so fresh arrays start there. */
const STATES: readonly RunNodeState[] = ['pending', 'running', 'retrying', 'success', 'failed', 'skipped', 'cancelled'];
const RUNNING = 1;
const RETRYING = 2;
const SUCCESS = 3;
const FAILED = 4;
const SKIPPED = 5;
const CANCELLED = 6;
/** Node flags. */
const CACHE_HIT = 1;
const HAS_DURATION = 2;

/**
 * Folds one run's event log into a {@link RunEventsSummary}, incrementally: it remembers how far it read, so each
 * `summary()` reads only the events emitted since. The log is the run's object events followed by its compact tail
 * (`compact-event-log.ts`); the tail is read as numbers (`CompactEventLog.scan`), never made into objects. A drained
 * tail's events are appended to the object list in order, so a position in the log stays valid across a drain.
 *
 * Holds the log's storage only (the object list, the tail's box, the node ids), like the view it serves.
 */
export class RunSummaryFold {
  readonly #id: string;
  readonly #workflow: string;
  readonly #ids: readonly string[];
  /** Node index by id, made when an object event names a node (compact entries carry the index). */
  #index: Map<string, number> | undefined;
  /**
   * Per node (graph order, then ids the graph does not have), in one zeroed buffer: last duration, highest attempt,
   * state code, flags ({@link CACHE_HIT}, {@link HAS_DURATION}).
   */
  #duration!: Float64Array;
  #attempts!: Uint32Array;
  #state!: Uint8Array;
  #flags!: Uint8Array;
  #fallback: Map<number, string> | undefined;
  #extra: string[] | undefined;
  /** Objects of the list read. */
  #read = 0;
  /** The tail read last, the number offset reached in it, and how many of its entries that was. */
  #tail: CompactEventLog | undefined;
  #tailAt = 0;
  #tailRead = 0;
  /** Of those, event objects (the others are compact node events, all of this run). */
  #tailObjects = 0;

  #status: 'running' | RunStatus = 'running';
  #startedAt: number | undefined;
  #endedAt: number | undefined;
  #runMs: number | undefined;
  #events = 0;
  #success = 0;
  #failed = 0;
  #skipped = 0;
  #cancelled = 0;
  #durTotal = 0;
  #durMax = 0;
  #retries = 0;
  #cacheHits = 0;
  #fallbacks = 0;

  constructor(executionId: string, workflow: string, ids: readonly string[]) {
    this.#id = executionId;
    this.#workflow = workflow;
    this.#ids = ids;
    this.#alloc(ids.length);
  }

  /** Folds what the log gained since the last call (`events`: its object list; `tail`: its compact tail, if any). */
  summary(events: readonly FlowEvent[], tail: CompactEventLog | undefined): RunEventsSummary {
    if (tail !== this.#tail) {
      // The previous tail was drained: its entries were appended to the list in order, where the ones read already
      // come right after the objects read (the list does not grow while a tail holds entries).
      this.#read += this.#tailRead;
      this.#tail = tail;
      this.#tailAt = 0;
      this.#tailRead = 0;
      this.#tailObjects = 0;
    }
    let k = this.#read;
    const n = events.length;
    if (k < n) {
      for (; k < n; k++) this.#object(events[k]!);
      this.#read = k;
    }
    if (tail !== undefined) {
      // Scanned to its end: the entries read are counted once here, not one by one.
      const objects = this.#tailObjects;
      this.#tailAt = tail.scan(this.#tailAt, this);
      this.#events += tail.count - this.#tailRead - (this.#tailObjects - objects);
      this.#tailRead = tail.count;
    }
    return this.#snapshot();
  }

  #snapshot(): RunEventsSummary {
    return {
      executionId: this.#id,
      workflow: this.#workflow,
      status: this.#status,
      startedAt: this.#startedAt,
      endedAt: this.#endedAt,
      durationMs: this.#runMs,
      events: this.#events,
      settled: { success: this.#success, failed: this.#failed, skipped: this.#skipped, cancelled: this.#cancelled },
      // Every node.completed, node.failed and node.cancelled has a duration.
      nodeDurations: {
        count: this.#success + this.#failed + this.#cancelled,
        totalMs: this.#durTotal,
        maxMs: this.#durMax,
      },
      retries: this.#retries,
      cacheHits: this.#cacheHits,
      fallbacks: this.#fallbacks,
      node: (nodeId) => this.#node(nodeId),
    };
  }

  #node(nodeId: string): RunNodeSummary | undefined {
    const i = this.#indexOf(nodeId, false);
    if (i < 0) return undefined;
    const flags = this.#flags[i]!;
    const fallback = this.#fallback?.get(i);
    return {
      state: STATES[this.#state[i]!]!,
      attempts: this.#attempts[i]!,
      ...((flags & HAS_DURATION) === 0 ? {} : { durationMs: this.#duration[i]! }),
      ...(fallback === undefined ? {} : { fallbackUsed: fallback }),
      cacheHit: (flags & CACHE_HIT) !== 0,
    };
  }

  /** @internal A compact `node.started` of the tail (called by `CompactEventLog.scan`). */
  started(node: number, attempt: number): void {
    this.#started(node, attempt);
  }

  /** @internal A compact `node.completed` of the tail. */
  completed(node: number, attempt: number, _timestamp: number, durationMs: number): void {
    this.#completed(node, attempt, durationMs, undefined);
  }

  /** @internal An event object of the tail. */
  object(e: FlowEvent): void {
    this.#tailObjects++;
    this.#object(e);
  }

  #started(node: number, attempt: number): void {
    this.#state[node] = RUNNING;
    if (attempt > this.#attempts[node]!) this.#attempts[node] = attempt;
  }

  #completed(node: number, attempt: number, durationMs: number, fallbackUsed: string | undefined): void {
    this.#success++;
    this.#settle(node, SUCCESS, durationMs);
    if (attempt > this.#attempts[node]!) this.#attempts[node] = attempt;
    if (fallbackUsed !== undefined) this.#fellBack(node, fallbackUsed);
  }

  #settle(node: number, state: number, durationMs: number | undefined): void {
    this.#state[node] = state;
    if (durationMs === undefined) return;
    this.#duration[node] = durationMs;
    this.#flags[node]! |= HAS_DURATION;
    this.#durTotal += durationMs;
    if (durationMs > this.#durMax) this.#durMax = durationMs;
  }

  #fellBack(node: number, fallbackId: string): void {
    const map = (this.#fallback ??= new Map());
    if (!map.has(node)) this.#fallbacks++;
    map.set(node, fallbackId);
  }

  /** One event object of the log (events of its subworkflow runs are skipped: they have logs of their own). */
  #object(e: FlowEvent): void {
    if (e.executionId !== this.#id) return;
    this.#events++;
    switch (e.type) {
      case 'node.started':
        this.#started(this.#indexOf(e.nodeId, true), e.attempt);
        return;
      case 'node.completed':
        this.#completed(this.#indexOf(e.nodeId, true), e.attempt, e.durationMs, e.fallbackUsed);
        return;
      case 'workflow.started':
        this.#startedAt = e.timestamp;
        return;
      case 'workflow.completed':
      case 'workflow.failed':
      case 'workflow.cancelled':
        if (this.#status !== 'running') return;
        this.#status =
          e.type === 'workflow.completed' ? 'success' : e.type === 'workflow.failed' ? 'failed' : 'cancelled';
        this.#endedAt = e.timestamp;
        this.#runMs = e.durationMs;
        return;
      case 'node.failed': {
        const i = this.#indexOf(e.nodeId, true);
        this.#failed++;
        this.#settle(i, FAILED, e.durationMs);
        if (e.attempt > this.#attempts[i]!) this.#attempts[i] = e.attempt;
        return;
      }
      case 'node.skipped':
        this.#skipped++;
        this.#settle(this.#indexOf(e.nodeId, true), SKIPPED, undefined);
        return;
      case 'node.cancelled':
        this.#cancelled++;
        this.#settle(this.#indexOf(e.nodeId, true), CANCELLED, e.durationMs);
        return;
      case 'node.retrying':
        this.#retries++;
        this.#state[this.#indexOf(e.nodeId, true)] = RETRYING;
        return;
      case 'node.fell-back':
        this.#fellBack(this.#indexOf(e.nodeId, true), e.fallbackId);
        return;
      case 'node.cache-hit':
        this.#cacheHits++;
        this.#flags[this.#indexOf(e.nodeId, true)]! |= CACHE_HIT;
        return;
      default:
        return;
    }
  }

  /** The index of `nodeId`; with `add`, an id the graph does not have gets a slot (else -1). */
  #indexOf(nodeId: string, add: boolean): number {
    let index = this.#index;
    if (index === undefined) {
      index = this.#index = new Map();
      const ids = this.#ids;
      for (let i = 0; i < ids.length; i++) index.set(ids[i]!, i);
    }
    const i = index.get(nodeId);
    if (i !== undefined) return i;
    if (!add) return -1;
    const extra = (this.#extra ??= []);
    const at = this.#ids.length + extra.length;
    extra.push(nodeId);
    index.set(nodeId, at);
    if (at >= this.#state.length) this.#grow(Math.max(8, 2 * this.#state.length));
    return at;
  }

  #grow(size: number): void {
    const duration = this.#duration;
    const attempts = this.#attempts;
    const state = this.#state;
    const flags = this.#flags;
    this.#alloc(size);
    this.#duration.set(duration);
    this.#attempts.set(attempts);
    this.#state.set(state);
    this.#flags.set(flags);
  }

  #alloc(n: number): void {
    const buf = new ArrayBuffer(14 * n);
    this.#duration = new Float64Array(buf, 0, n);
    this.#attempts = new Uint32Array(buf, 8 * n, n);
    this.#state = new Uint8Array(buf, 12 * n, n);
    this.#flags = new Uint8Array(buf, 13 * n, n);
  }
}
