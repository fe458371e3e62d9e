import type { SchedulerLike, Subscription } from 'rxjs';
import { FlowlaneError, serializeError } from '../../errors.js';
import type { Logger } from '../../plugin/types.js';
import type { Workflow } from '../../workflow.js';
import type { Execution } from '../execution.js';
import { createMemoryFlowControlBackend } from './memory-backend.js';
import type {
  FlowControlBackend,
  FlowKeyContext,
  NodeAdmission,
  NodeFlow,
  RateDecision,
  WorkflowFlowOptions,
} from './types.js';

/** What the gate needs from its engine. */
export interface FlowGateHost {
  readonly clock: SchedulerLike;
  readonly logger: Logger;
  /** Runs the engine can start now (0 while plugins are set up). */
  room(): number;
  /** Start a run the gate admitted (the engine counts it as running). */
  admit(exec: Execution): void;
}

interface Entry {
  readonly exec: Execution;
  readonly ctx: FlowKeyContext;
  readonly opts: WorkflowFlowOptions;
  readonly lane: Lane;
  readonly priority: number;
  readonly seq: number;
  holds: boolean;
  gone: boolean;
}

/** What an acquire answered: a slot or not, or the backend failed. */
type Acquired = boolean | typeof FAILED;
const FAILED = 'failed' as const;
/** Retry delay after a backend failure when the backend has no poll interval. */
const BACKEND_RETRY_MS = 1_000;

interface Lane {
  readonly id: string;
  readonly byId: Map<string, Lane>;
  /** Backend key of the lane's concurrency slots (undefined: no concurrency option). */
  readonly slot: string | undefined;
  /** Backend key of the lane's rate window (undefined: no rateLimit option). */
  readonly rate: string | undefined;
  /** The rate key as the user's function returned it (for FL_RATE_LIMITED). */
  readonly rateKey: string | undefined;
  readonly weight: number;
  readonly queue: Entry[];
  /** Stride scheduling: the lane's virtual time (grows by 1 / weight per admission). */
  pass: number;
  /** When the lane was last picked or created (ties between equal passes: least recently served first). */
  stamp: number;
  /** An admission is being decided by an asynchronous backend. */
  busy: boolean;
  /** Waiting for a slot of this key to be released. */
  blockedOn: string | undefined;
  /** Waiting for a rate window (or a poll). */
  timer: Subscription | undefined;
}

/**
 * Internal: flow control between runs (issue 20) — per-key concurrency slots, sliding-window rate limits, fairness
 * between keys (smooth weighted round-robin), priority within a key, `cancelOn`. Runs of workflows with flow-control
 * options (or a run `priority`) wait here before they take an engine slot; the engine calls {@link pump} whenever
 * it has room, {@link settled} when a run ends and {@link onEvent} for every custom event.
 */
export class FlowGate implements NodeFlow {
  readonly #host: FlowGateHost;
  backend: FlowControlBackend = createMemoryFlowControlBackend();
  readonly #entries = new Map<Execution, Entry>();
  /** Lanes by workflow, then by `<concurrency key>\0<rate key>`. */
  readonly #lanes = new WeakMap<object, Map<string, Lane>>();
  #laneCount = 0;
  /** Lanes with waiting runs, in arrival order. */
  readonly #waiting = new Set<Lane>();
  readonly #blocked = new Map<string, Set<Lane>>();
  readonly #listeners = new Map<string, Set<Entry>>();
  /** Node attempts waiting for a slot, by backend key: woken when this engine releases one. */
  readonly #nodeWaiters = new Map<string, Set<() => void>>();
  #seq = 0;
  /** Virtual time of fairness: the pass of the last admitted lane. */
  #vtime = 0;
  #stamp = 0;
  #inflight = 0;
  #pumping = false;
  #again = false;
  #closed = false;

  constructor(host: FlowGateHost) {
    this.#host = host;
  }

  /** Whether runs of `wf` (with these run options) go through the gate. */
  controls(wf: Workflow<unknown, object>, priority: number | undefined): boolean {
    return wf.flowControl !== undefined || priority !== undefined;
  }

  /** Runs waiting in the gate (admitted runs not included). */
  get waiting(): number {
    let n = 0;
    for (const l of this.#waiting) n += l.queue.length;
    return n;
  }

  enqueue(exec: Execution, input: unknown, runPriority: number | undefined): void {
    const wf = exec.workflowRef;
    const opts = wf.flowControl ?? {};
    const ctx: FlowKeyContext = { input, executionId: exec.executionId, workflow: wf.name };
    let ckey: string | undefined;
    let rkey: string | undefined;
    let priority = 0;
    try {
      if (opts.concurrency !== undefined) ckey = keyOf(opts.concurrency.key, ctx, 'concurrency.key');
      if (opts.rateLimit !== undefined) rkey = keyOf(opts.rateLimit.key, ctx, 'rateLimit.key');
      priority = runPriority ?? priorityOf(opts.priority, ctx);
    } catch (e) {
      exec.failBeforeStart(e);
      return;
    }
    const fairKey = ckey ?? rkey ?? '';
    const laneId = rkey === undefined ? fairKey : `${ckey ?? ''}\u0000${rkey}`;
    let byId = this.#lanes.get(wf);
    if (byId === undefined) this.#lanes.set(wf, (byId = new Map()));
    let lane = byId.get(laneId);
    if (lane === undefined) {
      const weights = typeof opts.fairness === 'object' ? opts.fairness.weights : undefined;
      lane = {
        id: laneId,
        byId,
        slot: ckey === undefined ? undefined : `${wf.name}:concurrency:${ckey}`,
        rate: rkey === undefined ? undefined : `${wf.name}:rate:${rkey}`,
        rateKey: rkey,
        weight: weights?.[fairKey] ?? 1,
        queue: [],
        pass: 0,
        stamp: this.#stamp++,
        busy: false,
        blockedOn: undefined,
        timer: undefined,
      };
      byId.set(laneId, lane);
      this.#laneCount++;
    }
    const entry: Entry = {
      exec,
      ctx,
      opts,
      lane,
      priority,
      seq: this.#seq++,
      holds: false,
      gone: false,
    };
    this.#entries.set(exec, entry);
    insertByPriority(lane.queue, entry);
    this.#waiting.add(lane);
    for (const rule of opts.cancelOn ?? []) {
      let set = this.#listeners.get(rule.event);
      if (set === undefined) this.#listeners.set(rule.event, (set = new Set()));
      set.add(entry);
    }
    this.pump();
  }

  /** A custom event (`engine.emit`, `ctx.emitEvent`): cancels the runs whose `cancelOn` matches it. */
  onEvent(name: string, payload: unknown): void {
    const set = this.#listeners.get(name);
    if (set === undefined) return;
    for (const entry of [...set]) {
      for (const rule of entry.opts.cancelOn ?? []) {
        if (rule.event !== name) continue;
        let hit = false;
        try {
          hit = rule.match === undefined || rule.match({ name, payload }, entry.ctx) === true;
        } catch (e) {
          this.#host.logger.error(`cancelOn "${name}": match threw`, {
            workflow: entry.ctx.workflow,
            executionId: entry.ctx.executionId,
            error: serializeError(e, { stack: false }).message,
          });
        }
        if (hit) {
          entry.exec.cancel(`cancelOn: event "${name}"`);
          break;
        }
      }
    }
  }

  /** A run ended (or was cancelled while it waited): free its slot and wake the lanes waiting for it. */
  settled(exec: Execution): void {
    const entry = this.#entries.get(exec);
    if (entry === undefined) return;
    this.#entries.delete(exec);
    entry.gone = true;
    for (const rule of entry.opts.cancelOn ?? []) {
      const set = this.#listeners.get(rule.event);
      set?.delete(entry);
      if (set?.size === 0) this.#listeners.delete(rule.event);
    }
    const k = entry.lane.queue.indexOf(entry);
    if (k !== -1) {
      entry.lane.queue.splice(k, 1);
      this.#forget(entry.lane);
    }
    if (entry.holds && entry.lane.slot !== undefined) this.#release(entry.lane.slot, exec.executionId);
    this.pump();
  }

  /** Admit waiting runs while the engine has room. */
  pump(): void {
    if (this.#pumping) {
      this.#again = true;
      return;
    }
    this.#pumping = true;
    try {
      do {
        this.#again = false;
        while (!this.#closed && this.#host.room() - this.#inflight > 0) {
          const lane = this.#pick();
          if (lane === undefined) break;
          this.#try(lane, lane.queue[0]!);
        }
      } while (this.#again);
    } finally {
      this.#pumping = false;
    }
  }

  /**
   * Node-level flow control (`concurrency` / `rateLimit` in a node's options): resolves with the function that
   * releases the slot once the attempt may start; rejects with `signal.reason` when the run ends while it waits.
   */
  async enterNode(n: NodeAdmission): Promise<() => void> {
    const base = `${n.ctx.workflow}/${n.nodeId}`;
    const slot =
      n.concurrency === undefined
        ? undefined
        : `${base}:concurrency:${keyOf(n.concurrency.key, n.ctx, 'concurrency.key')}`;
    const rate =
      n.rateLimit === undefined ? undefined : `${base}:rate:${keyOf(n.rateLimit.key, n.ctx, 'rateLimit.key')}`;
    for (;;) {
      n.signal.throwIfAborted();
      if (slot !== undefined) {
        const ok = await this.backend.acquire({ key: slot, limit: n.concurrency!.limit, holder: n.holder });
        if (!ok) {
          await this.#nodeWait(slot, this.backend.pollInterval, n.signal);
          continue;
        }
      }
      if (rate !== undefined) {
        const r = n.rateLimit!;
        const now = this.#host.clock.now();
        const d = await this.backend.take({ key: rate, limit: r.limit, period: r.period, now, holder: n.holder });
        if (!d.admitted) {
          if (slot !== undefined) this.#release(slot, n.holder);
          await this.#nodeWait(undefined, Math.max(0, d.retryAt - now), n.signal);
          continue;
        }
      }
      let released = false;
      return () => {
        if (released || slot === undefined) return;
        released = true;
        this.#release(slot, n.holder);
      };
    }
  }

  /** Waits for a release of `slot` on this engine, `ms` on the engine clock, or the end of the run. */
  #nodeWait(slot: string | undefined, ms: number | undefined, signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const done = (): void => {
        timer?.unsubscribe();
        signal.removeEventListener('abort', onAbort);
        if (slot !== undefined) this.#nodeWaiters.get(slot)?.delete(done);
        resolve();
      };
      const onAbort = (): void => {
        done();
        reject(signal.reason);
      };
      const timer = ms === undefined ? undefined : this.#host.clock.schedule(done, ms);
      if (slot !== undefined) {
        let set = this.#nodeWaiters.get(slot);
        if (set === undefined) this.#nodeWaiters.set(slot, (set = new Set()));
        set.add(done);
      }
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Fail every waiting run (plugin setup failed). */
  failAll(error: unknown): void {
    for (const e of [...this.#entries.values()]) if (!e.holds) e.exec.failBeforeStart(error);
  }

  close(): void {
    this.#closed = true;
    for (const l of this.#waiting) {
      l.timer?.unsubscribe();
      l.timer = undefined;
    }
  }

  /**
   * Stride scheduling between lanes that have a run to try: the lane with the lowest pass goes next and its pass
   * grows by 1 / weight. A lane that was idle or blocked rejoins at the current virtual time (no catch-up burst), so
   * with equal weights no other lane is served twice between two admissions of a waiting lane.
   */
  #pick(): Lane | undefined {
    let best: Lane | undefined;
    let bestPass = 0;
    for (const l of this.#waiting) {
      if (l.busy || l.blockedOn !== undefined || l.timer !== undefined) continue;
      const pass = Math.max(l.pass, this.#vtime);
      if (best === undefined || pass < bestPass || (pass === bestPass && l.stamp < best.stamp)) {
        best = l;
        bestPass = pass;
      }
    }
    if (best !== undefined) {
      this.#vtime = bestPass;
      best.pass = bestPass + 1 / best.weight;
      best.stamp = this.#stamp++;
    }
    return best;
  }

  #try(lane: Lane, entry: Entry): void {
    if (entry.lane.slot === undefined) {
      this.#rate(lane, entry);
      return;
    }
    let got: Acquired | Promise<Acquired>;
    try {
      got = this.backend.acquire({
        key: entry.lane.slot,
        limit: entry.opts.concurrency!.limit,
        holder: entry.exec.executionId,
      });
      if (isPromise(got))
        got = got.then(
          (v) => v,
          (e: unknown) => this.#failed(e, FAILED),
        );
    } catch (e) {
      got = this.#failed(e, FAILED);
    }
    if (!isPromise(got)) {
      this.#afterAcquire(lane, entry, got);
      return;
    }
    this.#await(lane, got, (ok) => this.#afterAcquire(lane, entry, ok));
  }

  #afterAcquire(lane: Lane, entry: Entry, ok: Acquired): void {
    if (entry.gone) {
      if (ok === true) this.#release(entry.lane.slot!, entry.exec.executionId);
      return;
    }
    if (ok === FAILED) {
      // The backend failed (logged): try again later rather than wait for a release that may never come.
      this.#wake(lane, this.backend.pollInterval ?? BACKEND_RETRY_MS);
      return;
    }
    if (!ok) {
      lane.blockedOn = entry.lane.slot;
      let set = this.#blocked.get(entry.lane.slot!);
      if (set === undefined) this.#blocked.set(entry.lane.slot!, (set = new Set()));
      set.add(lane);
      const poll = this.backend.pollInterval;
      if (poll !== undefined) this.#wake(lane, poll);
      return;
    }
    entry.holds = true;
    this.#rate(lane, entry);
  }

  #rate(lane: Lane, entry: Entry): void {
    const r = entry.opts.rateLimit;
    if (r === undefined || entry.lane.rate === undefined) {
      this.#admit(lane, entry);
      return;
    }
    const now = this.#host.clock.now();
    let d: RateDecision | Promise<RateDecision>;
    try {
      d = this.backend.take({
        key: entry.lane.rate,
        limit: r.limit,
        period: r.period,
        now,
        holder: entry.exec.executionId,
      });
      if (isPromise(d))
        d = d.then(
          (v) => v,
          (e: unknown) => this.#failed(e, this.#retryLater(now, r.period)),
        );
    } catch (e) {
      d = this.#failed(e, this.#retryLater(now, r.period));
    }
    if (!isPromise(d)) {
      this.#afterTake(lane, entry, d);
      return;
    }
    this.#await(lane, d, (x) => this.#afterTake(lane, entry, x));
  }

  #afterTake(lane: Lane, entry: Entry, d: RateDecision): void {
    if (entry.gone) {
      if (entry.holds) this.#release(entry.lane.slot!, entry.exec.executionId);
      return;
    }
    if (d.admitted) {
      this.#admit(lane, entry);
      return;
    }
    if (entry.holds) {
      entry.holds = false;
      this.#release(entry.lane.slot!, entry.exec.executionId);
    }
    const r = entry.opts.rateLimit!;
    if (r.mode === 'drop') {
      entry.exec.dropBeforeStart(
        new FlowlaneError('FL_RATE_LIMITED', {
          executionId: entry.ctx.executionId,
          workflow: entry.ctx.workflow,
          key: entry.lane.rateKey!,
          limit: r.limit,
          period: r.period,
        }),
      );
      return;
    }
    this.#wake(lane, Math.max(0, d.retryAt - this.#host.clock.now()));
  }

  #admit(lane: Lane, entry: Entry): void {
    if (this.#closed) {
      entry.exec.cancel('engine closed'); // settles: its slot is given back by settled()
      return;
    }
    lane.queue.shift();
    this.#forget(lane);
    this.#host.admit(entry.exec);
  }

  /** Retry `lane` after `ms` on the engine clock. */
  #wake(lane: Lane, ms: number): void {
    lane.timer?.unsubscribe();
    lane.timer = this.#host.clock.schedule(() => {
      lane.timer = undefined;
      this.#unblock(lane);
      this.pump();
    }, ms);
  }

  #unblock(lane: Lane): void {
    if (lane.blockedOn === undefined) return;
    this.#blocked.get(lane.blockedOn)?.delete(lane);
    if (this.#blocked.get(lane.blockedOn)?.size === 0) this.#blocked.delete(lane.blockedOn);
    lane.blockedOn = undefined;
  }

  #release(slot: string, holder: string): void {
    let r: void | Promise<void>;
    try {
      r = this.backend.release({ key: slot, holder });
      if (isPromise(r)) r = r.then(undefined, (e: unknown) => this.#failed(e, undefined));
    } catch (e) {
      r = this.#failed(e, undefined);
    }
    const after = (): void => {
      const wake = this.#nodeWaiters.get(slot);
      if (wake !== undefined) {
        this.#nodeWaiters.delete(slot);
        for (const w of wake) w();
      }
      const set = this.#blocked.get(slot);
      if (set === undefined) return;
      this.#blocked.delete(slot);
      for (const l of set) {
        l.blockedOn = undefined;
        l.timer?.unsubscribe();
        l.timer = undefined;
      }
      this.pump();
    };
    if (isPromise(r)) void r.then(after);
    else after();
  }

  #await<T>(lane: Lane, p: Promise<T>, then: (v: T) => void): void {
    lane.busy = true;
    this.#inflight++;
    void p.then((v) => {
      lane.busy = false;
      this.#inflight--;
      // Also after close: a slot granted to a run that ended meanwhile is given back here (then() sees it gone).
      then(v);
      this.pump();
    });
  }

  /** A throwing or rejecting backend is logged and answers `fallback`: it never breaks admission. */
  #failed<T>(e: unknown, fallback: T): T {
    this.#host.logger.error('flow-control backend failed', {
      backend: this.backend.name,
      error: serializeError(e, { stack: false }).message,
    });
    return fallback;
  }

  /** What a failed rate check answers: try again after a poll interval (or a period). */
  #retryLater(now: number, period: number): RateDecision {
    return { admitted: false, retryAt: now + (this.backend.pollInterval ?? period) };
  }

  #forget(lane: Lane): void {
    if (lane.queue.length > 0) return;
    this.#waiting.delete(lane);
    this.#unblock(lane);
    lane.timer?.unsubscribe();
    lane.timer = undefined;
    // Idle lanes are kept for reuse (no allocation per run) unless there are many keys.
    if (!lane.busy && this.#laneCount > 4_096 && lane.byId.get(lane.id) === lane) {
      lane.byId.delete(lane.id);
      this.#laneCount--;
    }
  }
}

function isPromise<T>(v: T | Promise<T>): v is Promise<T> {
  return typeof (v as { then?: unknown } | null)?.then === 'function';
}

function keyOf(
  fn: ((ctx: FlowKeyContext) => string | number) | undefined,
  ctx: FlowKeyContext,
  option: string,
): string {
  if (fn === undefined) return '*';
  let k: unknown;
  try {
    k = fn(ctx);
  } catch (e) {
    throw new FlowlaneError(
      'FL_INVALID_OPTION',
      { where: ctx.workflow, option, reason: `the key function threw: ${serializeError(e, { stack: false }).message}` },
      { cause: e },
    );
  }
  if ((typeof k === 'string' && k !== '') || (typeof k === 'number' && Number.isFinite(k))) return String(k);
  throw new FlowlaneError('FL_INVALID_OPTION', {
    where: ctx.workflow,
    option,
    reason: `the key function must return a non-empty string or a finite number, got ${k === null ? 'null' : typeof k}`,
  });
}

function priorityOf(p: WorkflowFlowOptions['priority'], ctx: FlowKeyContext): number {
  if (p === undefined) return 0;
  const v = typeof p === 'function' ? p(ctx) : p;
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new FlowlaneError('FL_INVALID_OPTION', {
      where: ctx.workflow,
      option: 'priority',
      reason: `expected a finite number, got ${typeof v}`,
    });
  return v;
}

/** Higher priority first, then arrival order (binary search: O(log n) per run). */
function insertByPriority(queue: Entry[], e: Entry): void {
  let lo = 0;
  let hi = queue.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const q = queue[mid]!;
    if (q.priority > e.priority || (q.priority === e.priority && q.seq < e.seq)) lo = mid + 1;
    else hi = mid;
  }
  queue.splice(lo, 0, e);
}
