import type { SchedulerLike } from 'rxjs';
import type {
  FlowControlBackend,
  FlowKeyContext,
  NodeAdmission,
  NodeFlow,
  RateDecision,
} from '../../contracts/flow-control.js';
import { FlowlaneError } from '../../errors.js';
import type { Logger } from '../../plugin/types.js';
import type { Workflow } from '../../workflow.js';
import type { Execution } from '../execution.js';
import { dropBeforeStart, failBeforeStart } from '../run-stop.js';
import { BackendLink } from './backend-link.js';
import { CancelOnBoard } from './cancel-on.js';
import { ChildGate } from './child-gate.js';
import { type Entry, FairLanes, type Lane } from './fair-lanes.js';
import { isPromise, keyOf, priorityOf } from './keys.js';
import { NodeGate } from './node-gate.js';

/** What the gate needs from its engine. */
export interface FlowGateHost {
  readonly clock: SchedulerLike;
  readonly logger: Logger;
  /** Runs the engine can start now (0 while plugins are set up). */
  room(): number;
  /** Start a run the gate admitted (the engine counts it as running). */
  admit(exec: Execution): void;
}

/** What an acquire answered: a slot or not, or the backend failed. */
type Acquired = boolean | typeof FAILED;
const FAILED = 'failed' as const;
/** Retry delay after a backend failure when the backend has no poll interval. */
const BACKEND_RETRY_MS = 1_000;

/**
 * Internal: flow control between runs (issue 20) — run-level admission: per-key concurrency slots, sliding-window
 * rate limits (`mode: 'delay' | 'drop'`), fairness between keys ({@link FairLanes}), priority within a key and
 * `cancelOn` ({@link CancelOnBoard}). Runs of workflows with flow-control options (or a run `priority`) wait here
 * before they take an engine slot; the engine calls {@link pump} whenever it has room, {@link settled} when a run
 * ends and {@link onEvent} for every custom event. Node-level limits are the {@link NodeGate}'s; both share one
 * backend through a {@link BackendLink}.
 */
export class FlowGate implements NodeFlow {
  readonly #host: FlowGateHost;
  readonly #link: BackendLink;
  readonly #nodes: NodeGate;
  readonly #lanes = new FairLanes();
  readonly #cancelOn: CancelOnBoard;
  readonly #children: ChildGate;
  readonly #entries = new Map<Execution, Entry>();
  #seq = 0;
  #inflight = 0;
  #pumping = false;
  #again = false;
  #closed = false;

  constructor(host: FlowGateHost) {
    this.#host = host;
    this.#link = new BackendLink(host.logger);
    // Node waiters first (registered by the node gate), then the lanes blocked on the slot.
    this.#nodes = new NodeGate(this.#link, host.clock);
    this.#link.onRelease((slot) => {
      if (this.#lanes.freed(slot)) this.pump();
    });
    this.#cancelOn = new CancelOnBoard(host.logger, this.#link);
    this.#children = new ChildGate(this.#nodes, this.#cancelOn, (exec) => {
      const e = this.#entries.get(exec);
      return e?.holds === true ? e.lane.slot : undefined;
    });
  }

  /** Where slots and windows are kept (set by a plugin through `api.flowControl.setBackend`). */
  get backend(): FlowControlBackend {
    return this.#link.backend;
  }

  set backend(backend: FlowControlBackend) {
    this.#link.backend = backend;
  }

  /** Whether runs of `wf` (with these run options) go through the gate. */
  controls(wf: Workflow<unknown, object>, priority: number | undefined): boolean {
    return wf.flowControl !== undefined || priority !== undefined;
  }

  /** Runs waiting in the gate (admitted runs not included). */
  get waiting(): number {
    return this.#lanes.size;
  }

  /**
   * A top-level run waits here for its key, its rate window and engine room. A `resumed` run (continued from its log)
   * counts against its concurrency key again — the backend's slots are per holder (the execution id), so a slot
   * its crashed owner still holds in a shared backend is taken over, not counted twice — but not against its rate
   * limit (it started once already, and is never dropped); it goes first among its key's waiting runs.
   */
  enqueue(exec: Execution, input: unknown, runPriority: number | undefined, resumed = false): void {
    const wf = exec.workflowRef;
    const opts = wf.flowControl ?? {};
    const ctx: FlowKeyContext = { input, executionId: exec.executionId, workflow: wf.name };
    let ckey: string | undefined;
    let rkey: string | undefined;
    let priority = 0;
    try {
      if (opts.concurrency !== undefined) ckey = keyOf(opts.concurrency.key, ctx, 'concurrency.key');
      if (opts.rateLimit !== undefined && !resumed) rkey = keyOf(opts.rateLimit.key, ctx, 'rateLimit.key');
      priority = resumed ? Number.POSITIVE_INFINITY : (runPriority ?? priorityOf(opts.priority, ctx));
    } catch (e) {
      failBeforeStart(exec, e);
      return;
    }
    const entry: Entry = {
      exec,
      ctx,
      opts,
      lane: this.#lanes.laneFor(wf, opts, ckey, rkey),
      priority,
      seq: this.#seq++,
      holds: false,
      gone: false,
    };
    this.#entries.set(exec, entry);
    this.#lanes.add(entry);
    this.#cancelOn.watch(entry);
    this.pump();
  }

  /** A custom event (`engine.emit`, `ctx.emitEvent`): cancels the runs whose `cancelOn` matches it. */
  onEvent(name: string, payload: unknown): void {
    this.#cancelOn.onEvent(name, payload);
  }

  /** A subworkflow run of a workflow with flow-control options: see {@link ChildGate}. */
  enterChild(exec: Execution, input: unknown, signal: AbortSignal | undefined, start: () => void): void {
    this.#children.enter(exec, input, signal, start);
  }

  /** A run ended (or was cancelled while it waited): free its slot and wake the lanes waiting for it. */
  settled(exec: Execution): void {
    if (exec.isChild) {
      this.#children.settled(exec);
      return;
    }
    const entry = this.#entries.get(exec);
    if (entry === undefined) return;
    this.#entries.delete(exec);
    entry.gone = true;
    this.#cancelOn.unwatch(entry);
    this.#lanes.remove(entry);
    if (entry.holds && entry.lane.slot !== undefined) this.#link.release(entry.lane.slot, exec.executionId);
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
          const lane = this.#lanes.pick();
          if (lane === undefined) break;
          this.#try(lane, lane.queue[0]!);
        }
      } while (this.#again);
    } finally {
      this.#pumping = false;
    }
  }

  /** Node-level flow control: see {@link NodeGate.enterNode}. */
  enterNode(n: NodeAdmission): Promise<() => void> {
    return this.#nodes.enterNode(n);
  }

  /** Fail every waiting run (plugin setup failed). */
  failAll(error: unknown): void {
    for (const e of [...this.#entries.values()]) if (!e.holds) failBeforeStart(e.exec, error);
  }

  close(): void {
    this.#closed = true;
    this.#lanes.stopTimers();
  }

  #try(lane: Lane, entry: Entry): void {
    if (entry.lane.slot === undefined) {
      this.#rate(lane, entry);
      return;
    }
    let got: Acquired | Promise<Acquired>;
    try {
      got = this.#link.backend.acquire({
        key: entry.lane.slot,
        limit: entry.opts.concurrency!.limit,
        holder: entry.exec.executionId,
      });
      if (isPromise(got))
        got = got.then(
          (v) => v,
          (e: unknown) => this.#link.failed(e, FAILED),
        );
    } catch (e) {
      got = this.#link.failed(e, FAILED);
    }
    if (!isPromise(got)) {
      this.#afterAcquire(lane, entry, got);
      return;
    }
    this.#await(lane, got, (ok) => this.#afterAcquire(lane, entry, ok));
  }

  #afterAcquire(lane: Lane, entry: Entry, ok: Acquired): void {
    if (entry.gone) {
      if (ok === true) this.#link.release(entry.lane.slot!, entry.exec.executionId);
      return;
    }
    if (ok === FAILED) {
      // The backend failed (logged): try again later rather than wait for a release that may never come.
      this.#wake(lane, this.#link.backend.pollInterval ?? BACKEND_RETRY_MS);
      return;
    }
    if (!ok) {
      this.#lanes.block(lane, entry.lane.slot!);
      const poll = this.#link.backend.pollInterval;
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
      d = this.#link.backend.take({
        key: entry.lane.rate,
        limit: r.limit,
        period: r.period,
        now,
        holder: entry.exec.executionId,
      });
      if (isPromise(d))
        d = d.then(
          (v) => v,
          (e: unknown) => this.#link.failed(e, this.#retryLater(now, r.period)),
        );
    } catch (e) {
      d = this.#link.failed(e, this.#retryLater(now, r.period));
    }
    if (!isPromise(d)) {
      this.#afterTake(lane, entry, d);
      return;
    }
    this.#await(lane, d, (x) => this.#afterTake(lane, entry, x));
  }

  #afterTake(lane: Lane, entry: Entry, d: RateDecision): void {
    if (entry.gone) {
      if (entry.holds) this.#link.release(entry.lane.slot!, entry.exec.executionId);
      return;
    }
    if (d.admitted) {
      this.#admit(lane, entry);
      return;
    }
    if (entry.holds) {
      entry.holds = false;
      this.#link.release(entry.lane.slot!, entry.exec.executionId);
    }
    const r = entry.opts.rateLimit!;
    if (r.mode === 'drop') {
      dropBeforeStart(
        entry.exec,
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
    this.#lanes.forget(lane);
    this.#host.admit(entry.exec);
  }

  /** Retry `lane` after `ms` on the engine clock. */
  #wake(lane: Lane, ms: number): void {
    lane.timer?.unsubscribe();
    lane.timer = this.#host.clock.schedule(() => {
      lane.timer = undefined;
      this.#lanes.unblock(lane);
      this.pump();
    }, ms);
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

  /** What a failed rate check answers: try again after a poll interval (or a period). */
  #retryLater(now: number, period: number): RateDecision {
    return { admitted: false, retryAt: now + (this.#link.backend.pollInterval ?? period) };
  }
}
