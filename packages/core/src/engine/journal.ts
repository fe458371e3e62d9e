import type { SchedulerLike, Subscription } from 'rxjs';
import type { FlowEvent } from '../contracts/events.js';
import { FlowlaneError, isFlowlaneError, serializeError } from '../errors.js';
import type {
  ExecutionFence,
  ExecutionRecord,
  ExecutionStore,
  GraphNodeSignature,
} from '../plugin/contracts/execution-store.js';
import type { Actor, Logger } from '../plugin/types.js';
import { isLogged, logRecord } from './log-records.js';
import type { ReplayState } from './replay.js';
import { classifyStoreFailure, describeStoreError, UNKNOWN_FAILURE_LIMIT } from './store-write-errors.js';

/** What the journal needs from its execution. */
export interface JournalHost {
  readonly executionId: string;
  /** The node's output (live value; redacted by `redact` before it is written). */
  outputOf(nodeId: string): unknown;
  /** Redacts the run's resolved secrets from a value (deep copy when anything is redacted). */
  redact(value: unknown): unknown;
  /**
   * The log cannot be written any more: stop the run locally — `cancelled` when taken over or the id exists,
   * `failed` when the store failed permanently (`FL_STORE_WRITE_FAILED`).
   */
  fatal(error: FlowlaneError, status?: 'cancelled' | 'failed'): void;
}

/** How the first record of a new run is completed. */
export interface StartFacts {
  readonly workflow: string;
  readonly version: string | undefined;
  readonly graphHash: string;
  readonly graph: Readonly<Record<string, GraphNodeSignature>>;
  readonly input: unknown;
  readonly actor: Actor | undefined;
}

const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5_000;

/**
 * The durable form of one run's events: every fact the engine emits (after redaction, from the same place that feeds
 * `events$`, the diagnostics channel and exporters) becomes an {@link ExecutionRecord} appended to the
 * {@link ExecutionStore}. Records are batched: while one append is in flight, new records wait and go in the next
 * one (one round trip per batch). `whenDurable(cb)` runs `cb` once everything recorded so far is stored — the engine
 * unlocks a node's dependents and settles `run.result` only then.
 */
export class Journal {
  readonly #store: ExecutionStore;
  readonly #host: JournalHost;
  readonly #logger: Logger;
  readonly #clock: SchedulerLike;
  readonly #leaseMs: number;
  #fence: ExecutionFence;
  #start: StartFacts | undefined;
  #needsCreate: boolean;
  #seq: number;
  #pending: ExecutionRecord[] = [];
  #inflight = false;
  #waitNext: (() => void)[] = [];
  #waitCurrent: (() => void)[] = [];
  #dead = false;
  #detached = false;
  /** Records of a new run made before its `workflow.started` (a signal sent while input validation runs). */
  #early: ExecutionRecord[] | undefined;
  #retryMs = RETRY_MIN_MS;
  /** Consecutive failed writes (reset by a successful one). */
  #failures = 0;
  #retryTimer: Subscription | undefined;
  /** Per signal name: arrival numbers of the signals buffered (not yet taken), in FIFO order like the run's buffer. */
  readonly #signalQueue = new Map<string, number[]>();
  readonly #signalCount = new Map<string, number>();
  readonly #deadlines: Map<string, number>;
  readonly #resumed: boolean;

  constructor(options: {
    store: ExecutionStore;
    host: JournalHost;
    logger: Logger;
    clock: SchedulerLike;
    owner: string;
    epoch: number;
    leaseMs: number;
    start?: StartFacts | undefined;
    replay?: ReplayState | undefined;
  }) {
    this.#store = options.store;
    this.#host = options.host;
    this.#logger = options.logger;
    this.#clock = options.clock;
    this.#leaseMs = options.leaseMs;
    this.#fence = { owner: options.owner, epoch: options.epoch };
    this.#start = options.start;
    const r = options.replay;
    this.#resumed = r !== undefined;
    this.#needsCreate = r === undefined;
    this.#seq = r?.lastSeq ?? 0;
    this.#deadlines = new Map(r?.deadlines);
    if (r !== undefined) {
      for (const [name, n] of r.signalsReceived) this.#signalCount.set(name, n);
      for (const [name, left] of r.signals)
        this.#signalQueue.set(
          name,
          left.map((s) => s.index),
        );
    }
  }

  /** The run's lease. */
  get fence(): ExecutionFence {
    return this.#fence;
  }

  /** True while records wait to be stored. */
  get pending(): boolean {
    return this.#inflight || this.#pending.length > 0;
  }

  /** Records one emitted event (already redacted where events are). */
  event(e: FlowEvent): void {
    if (this.#dead || this.#detached || !isLogged(e.type)) return;
    const at = e.timestamp;
    if (e.type === 'workflow.started') {
      if (this.#resumed) {
        this.#add({
          type: 'workflow.resumed',
          seq: ++this.#seq,
          at,
          owner: this.#fence.owner,
          epoch: this.#fence.epoch,
        });
        return;
      }
      const s = this.#start!;
      this.#start = undefined;
      this.#add({
        type: 'workflow.started',
        seq: ++this.#seq,
        at,
        workflow: s.workflow,
        ...(s.version === undefined ? {} : { version: s.version }),
        graphHash: s.graphHash,
        graph: s.graph,
        input: this.#host.redact(s.input),
        ...(s.actor === undefined ? {} : { actor: s.actor }),
      });
      const early = this.#early;
      this.#early = undefined;
      if (early !== undefined) for (const r of early) this.#add({ ...r, seq: ++this.#seq } as ExecutionRecord);
      return;
    }
    // A new run that ends before it started (invalid input, `run` denied) leaves no log at all.
    if (this.#start !== undefined) return;
    this.#add(logRecord(e, ++this.#seq, at, this.#host));
  }

  /** `run.signal(name, payload)`: returns when the fact is durable. */
  signalReceived(name: string, payload: unknown): Promise<void> {
    const index = this.#signalCount.get(name) ?? 0;
    this.#signalCount.set(name, index + 1);
    let q = this.#signalQueue.get(name);
    if (q === undefined) this.#signalQueue.set(name, (q = []));
    q.push(index);
    if (this.#dead || this.#detached) return Promise.resolve();
    this.#add({
      type: 'signal.received',
      seq: ++this.#seq,
      at: this.#clock.now(),
      name,
      index,
      payload: this.#host.redact(payload),
    });
    return new Promise((resolve) => this.whenDurable(resolve));
  }

  /** A node took the oldest buffered signal `name`. */
  signalConsumed(name: string, nodeId: string): void {
    const index = this.#signalQueue.get(name)?.shift();
    if (index === undefined || this.#dead || this.#detached) return;
    this.#add({ type: 'signal.consumed', seq: ++this.#seq, at: this.#clock.now(), name, index, nodeId });
  }

  /**
   * A node waits for signal `name` with `timeoutMs`: records the deadline, or — when the run was resumed and the
   * node had already started this wait — returns the time left until the recorded deadline.
   */
  waitStarted(nodeId: string, name: string, timeoutMs: number): number {
    const key = `${nodeId}\0${name}`;
    const now = this.#clock.now();
    const recorded = this.#deadlines.get(key);
    if (recorded !== undefined) {
      this.#deadlines.delete(key);
      return Math.max(0, recorded - now);
    }
    if (!this.#dead && !this.#detached)
      this.#add({ type: 'timer.started', seq: ++this.#seq, at: now, nodeId, name, deadline: now + timeoutMs });
    return timeoutMs;
  }

  /** `ctx.storage.set` / `delete`. */
  storage(key: string, value: unknown, deleted: boolean): void {
    if (this.#dead || this.#detached) return;
    this.#add(
      deleted
        ? { type: 'storage.deleted', seq: ++this.#seq, at: this.#clock.now(), key }
        : { type: 'storage.set', seq: ++this.#seq, at: this.#clock.now(), key, value: this.#host.redact(value) },
    );
  }

  /** Runs `cb` once every record added so far is stored (at once when nothing is pending). */
  whenDurable(cb: () => void): void {
    if (this.#dead || this.#detached) {
      cb();
      return;
    }
    if (this.#pending.length > 0) this.#waitNext.push(cb);
    else if (this.#inflight) this.#waitCurrent.push(cb);
    else cb();
  }

  /** Resolves when everything recorded so far is stored (or the log can no longer be written). */
  flushed(): Promise<void> {
    return new Promise((resolve) => this.whenDurable(resolve));
  }

  /**
   * Stop writing (the engine is closing; the run stays resumable): records already queued are still written, nothing
   * after this call is.
   */
  detach(): void {
    this.#detached = true;
    // Nobody waits for the store any more (it may be unreachable while the engine closes).
    this.#release(this.#waitCurrent.splice(0));
    this.#release(this.#waitNext.splice(0));
  }

  /** Give up on records not yet written (engine closing while the store is unreachable). */
  abandon(): void {
    this.#dead = true;
    this.#retryTimer?.unsubscribe();
    this.#retryTimer = undefined;
    this.#pending = [];
    this.#release(this.#waitCurrent.splice(0));
    this.#release(this.#waitNext.splice(0));
  }

  /** The lease moved to another owner: nothing more may be written. */
  fenced(current?: number): void {
    if (this.#dead) return;
    const error = new FlowlaneError('FL_EXECUTION_FENCED', {
      executionId: this.#host.executionId,
      epoch: this.#fence.epoch,
      ...(current === undefined ? {} : { current }),
    });
    this.#dead = true;
    this.#host.fatal(error);
    this.abandon();
  }

  #add(r: ExecutionRecord): void {
    if (this.#start !== undefined && r.type !== 'workflow.started') {
      (this.#early ??= []).push(r);
      return;
    }
    this.#pending.push(r);
    if (!this.#inflight && this.#retryTimer === undefined) this.#flush();
  }

  #flush(): void {
    if (this.#dead || this.#pending.length === 0) return;
    const batch = this.#pending;
    this.#pending = [];
    this.#waitCurrent = this.#waitNext;
    this.#waitNext = [];
    this.#write(batch);
  }

  #write(batch: ExecutionRecord[]): void {
    this.#inflight = true;
    let r: void | Promise<void>;
    try {
      r = this.#needsCreate
        ? this.#store.create(this.#host.executionId, batch, { owner: this.#fence.owner, leaseMs: this.#leaseMs })
        : this.#store.append(this.#host.executionId, batch, this.#fence);
    } catch (e) {
      this.#failed(batch, e);
      return;
    }
    if (r !== undefined && typeof (r as Promise<void>).then === 'function')
      (r as Promise<void>).then(
        () => this.#written(),
        (e: unknown) => this.#failed(batch, e),
      );
    else this.#written();
  }

  #written(): void {
    this.#inflight = false;
    this.#needsCreate = false;
    this.#retryMs = RETRY_MIN_MS;
    this.#failures = 0;
    const done = this.#waitCurrent;
    this.#waitCurrent = [];
    if (this.#pending.length > 0) this.#flush();
    this.#release(done);
  }

  #release(cbs: (() => void)[]): void {
    for (const cb of cbs) {
      try {
        cb();
      } catch (e) {
        this.#logger.error('execution journal callback failed', { error: serializeError(e).message });
      }
    }
  }

  #failed(batch: ExecutionRecord[], e: unknown): void {
    this.#inflight = false;
    if (this.#dead) return;
    if (this.#detached) {
      this.abandon();
      return;
    }
    if (isFlowlaneError(e, 'FL_EXECUTION_FENCED')) {
      this.fenced((e.details as { current?: number }).current);
      return;
    }
    if (isFlowlaneError(e, 'FL_DUPLICATE_EXECUTION')) {
      // Stop the run before releasing anyone waiting for durability: released first, a run whose records were all
      // pending behind the refused create settled as `success` (its nodes ran, nothing was logged).
      this.#dead = true;
      this.#host.fatal(e as FlowlaneError);
      this.abandon();
      return;
    }
    // A write that retrying cannot fix (a broken script, a key of the wrong type, a typed store error) fails the
    // run instead of pausing it forever; unclassified errors get a few attempts first.
    this.#failures++;
    const kind = classifyStoreFailure(this.#store, e);
    if (kind === 'permanent' || (kind === 'unknown' && this.#failures >= UNKNOWN_FAILURE_LIMIT)) {
      const error = new FlowlaneError('FL_STORE_WRITE_FAILED', {
        executionId: this.#host.executionId,
        store: this.#store.name,
        attempts: this.#failures,
        reason: describeStoreError(e, (v) => this.#host.redact(v)),
      });
      this.#logger.error('execution store write failed permanently; failing the run', {
        executionId: this.#host.executionId,
        store: this.#store.name,
        attempts: this.#failures,
        error: error.message,
      });
      // Stop the run before releasing anyone waiting for durability (they would let dependents start).
      this.#dead = true;
      this.#host.fatal(error, 'failed');
      this.abandon();
      return;
    }
    // Store unreachable or failing: keep the batch (records carry their seq, so a resent batch is not duplicated)
    // and try again; the run pauses at its next transition meanwhile.
    this.#logger.warn('execution store append failed; retrying', {
      executionId: this.#host.executionId,
      store: this.#store.name,
      retryInMs: this.#retryMs,
      error: describeStoreError(e, (v) => this.#host.redact(v)),
    });
    this.#pending = batch.concat(this.#pending);
    this.#waitNext = this.#waitCurrent.concat(this.#waitNext);
    this.#waitCurrent = [];
    const delay = this.#retryMs;
    this.#retryMs = Math.min(RETRY_MAX_MS, this.#retryMs * 2);
    this.#retryTimer = this.#clock.schedule(() => {
      this.#retryTimer = undefined;
      this.#flush();
    }, delay);
  }
}
