import type { Subscription } from 'rxjs';
import type { FlowKeyContext, WorkflowFlowOptions } from '../../contracts/flow-control.js';
import type { Workflow } from '../../workflow.js';
import type { Execution } from '../execution.js';

/** A run waiting in (or admitted by) the run gate. */
export interface Entry {
  readonly exec: Execution;
  readonly ctx: FlowKeyContext;
  readonly opts: WorkflowFlowOptions;
  readonly lane: Lane;
  readonly priority: number;
  readonly seq: number;
  /** The run holds its concurrency slot. */
  holds: boolean;
  /** The run settled (or was cancelled while it waited). */
  gone: boolean;
}

/** The runs of one workflow with one (concurrency key, rate key): a queue by priority, and its fairness state. */
export interface Lane {
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

/** Above this many lanes, emptied lanes are forgotten (below it they are kept for reuse: no allocation per run). */
const KEEP_LANES = 4_096;

/**
 * Fairness between keys: the lanes that have runs waiting, and which one goes next (stride scheduling — smooth
 * weighted round-robin), plus which lanes wait for a slot of which key.
 */
export class FairLanes {
  /** Lanes by workflow, then by `<concurrency key>\0<rate key>`. */
  readonly #lanes = new WeakMap<object, Map<string, Lane>>();
  #laneCount = 0;
  /** Lanes with waiting runs, in arrival order. */
  readonly waiting = new Set<Lane>();
  /** Lanes waiting for a release of a slot key. */
  readonly #blocked = new Map<string, Set<Lane>>();
  /** Virtual time of fairness: the pass of the last admitted lane. */
  #vtime = 0;
  #stamp = 0;

  /** Runs waiting in any lane. */
  get size(): number {
    let n = 0;
    for (const l of this.waiting) n += l.queue.length;
    return n;
  }

  /** The lane of `wf`'s runs with these keys (made on first use). */
  laneFor(
    wf: Workflow<unknown, object>,
    opts: WorkflowFlowOptions,
    ckey: string | undefined,
    rkey: string | undefined,
  ): Lane {
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
    return lane;
  }

  /** Queue `entry` in its lane (by priority, then arrival). */
  add(entry: Entry): void {
    insertByPriority(entry.lane.queue, entry);
    this.waiting.add(entry.lane);
  }

  /**
   * Stride scheduling between lanes that have a run to try: the lane with the lowest pass goes next and its pass
   * grows by 1 / weight. A lane that was idle or blocked rejoins at the current virtual time (no catch-up burst), so
   * with equal weights no other lane is served twice between two admissions of a waiting lane.
   */
  pick(): Lane | undefined {
    let best: Lane | undefined;
    let bestPass = 0;
    for (const l of this.waiting) {
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

  /** `lane` waits for a release of `slot`. */
  block(lane: Lane, slot: string): void {
    lane.blockedOn = slot;
    let set = this.#blocked.get(slot);
    if (set === undefined) this.#blocked.set(slot, (set = new Set()));
    set.add(lane);
  }

  unblock(lane: Lane): void {
    if (lane.blockedOn === undefined) return;
    this.#blocked.get(lane.blockedOn)?.delete(lane);
    if (this.#blocked.get(lane.blockedOn)?.size === 0) this.#blocked.delete(lane.blockedOn);
    lane.blockedOn = undefined;
  }

  /** A slot of `slot` came free: every lane blocked on it may try again now. False when none waited. */
  freed(slot: string): boolean {
    const set = this.#blocked.get(slot);
    if (set === undefined) return false;
    this.#blocked.delete(slot);
    for (const l of set) {
      l.blockedOn = undefined;
      l.timer?.unsubscribe();
      l.timer = undefined;
    }
    return true;
  }

  /** Remove `entry` from its lane's queue (it was cancelled while waiting). */
  remove(entry: Entry): void {
    const k = entry.lane.queue.indexOf(entry);
    if (k === -1) return;
    entry.lane.queue.splice(k, 1);
    this.forget(entry.lane);
  }

  /** A lane whose queue emptied stops waiting (and is dropped when there are many keys). */
  forget(lane: Lane): void {
    if (lane.queue.length > 0) return;
    this.waiting.delete(lane);
    this.unblock(lane);
    lane.timer?.unsubscribe();
    lane.timer = undefined;
    // Idle lanes are kept for reuse (no allocation per run) unless there are many keys.
    if (!lane.busy && this.#laneCount > KEEP_LANES && lane.byId.get(lane.id) === lane) {
      lane.byId.delete(lane.id);
      this.#laneCount--;
    }
  }

  /** Stop every lane's timer (engine closed). */
  stopTimers(): void {
    for (const l of this.waiting) {
      l.timer?.unsubscribe();
      l.timer = undefined;
    }
  }
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
