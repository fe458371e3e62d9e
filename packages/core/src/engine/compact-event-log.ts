import type { FlowEvent } from '../contracts/events.js';
import { type EventSource, nodeCompleted, nodeStarted } from './event-factory.js';
import { claimState, stateBuffer } from './state-slab.js';

/** Entry kinds (the low two bits of an entry's first number; the node index or object index is the rest). */
const OBJECT = 0;
const STARTED = 1;
const COMPLETED = 2;

/**
 * The tail of a run's event log while nobody observes it: the two per-node events (`node.started`,
 * `node.completed`) as numbers in one packed array instead of objects, turned into the very objects the event
 * factory makes (same keys, same order) only when the log is read (a late `events$` subscriber).
 *
 * Layout: one `Float64Array`, in emission order: `node.started` = [node·4+1, attempt, timestamp];
 * `node.completed` = [node·4+2, attempt, timestamp, durationMs]; any other event = [k·4] with the object kept at
 * `objects[k]`. A run of 100k nodes keeps 700k numbers (5.6 MB, one allocation) instead of 200k event objects.
 *
 * Only events no one hears when they happen may go here (see `RunEventLog.quiet`): no exporter, `engine.events$`
 * subscriber, `diagnostics_channel` subscriber, `onEvent` handler, live `events$` subscriber, execution store
 * journal or parent run. Neither event carries user data, so materialising needs no redaction.
 */
export class CompactEventLog {
  #nums: Float64Array;
  #len = 0;
  /** Events held (entries, not numbers). */
  #count = 0;
  #objects: FlowEvent[] = [];
  readonly #src: EventSource;
  readonly #ids: readonly string[];

  /**
   * `ids`: node ids by index (the compiled graph's); `expected`: how many compact events the run will likely hold
   * (two per node), so the buffer is allocated once (it doubles when outgrown, e.g. by retries).
   */
  constructor(src: EventSource, ids: readonly string[], expected: number) {
    this.#src = src;
    this.#ids = ids;
    // Small logs take a region of the shared state block (state-slab.ts): an ArrayBuffer per small run costs more.
    const length = Math.max(16, Math.ceil(expected * 3.5) + 8);
    const at = claimState(8 * length);
    this.#nums = new Float64Array(stateBuffer(), at, length);
  }

  /** True when nothing is held. */
  get empty(): boolean {
    return this.#len === 0;
  }

  /** How many events are held. */
  get count(): number {
    return this.#count;
  }

  started(node: number, attempt: number, timestamp: number): void {
    let at = this.#len;
    const nums = at + 3 > this.#nums.length ? this.#grow() : this.#nums;
    nums[at++] = node * 4 + STARTED;
    nums[at++] = attempt;
    nums[at++] = timestamp;
    this.#len = at;
    this.#count++;
  }

  completed(node: number, attempt: number, timestamp: number, durationMs: number): void {
    let at = this.#len;
    const nums = at + 4 > this.#nums.length ? this.#grow() : this.#nums;
    nums[at++] = node * 4 + COMPLETED;
    nums[at++] = attempt;
    nums[at++] = timestamp;
    nums[at++] = durationMs;
    this.#len = at;
    this.#count++;
  }

  /** An event that was made as an object (kept in order among the compact ones). */
  object(e: FlowEvent): void {
    const nums = this.#len + 1 > this.#nums.length ? this.#grow() : this.#nums;
    nums[this.#len++] = this.#objects.length * 4 + OBJECT;
    this.#objects.push(e);
    this.#count++;
  }

  /** Appends every held event to `out` as an object, in emission order, and empties this tail. */
  drainInto(out: FlowEvent[]): void {
    const nums = this.#nums;
    const len = this.#len;
    const objects = this.#objects;
    const ids = this.#ids;
    const src = this.#src;
    let k = 0;
    while (k < len) {
      const head = nums[k]!;
      const kind = head % 4;
      const index = (head - kind) / 4;
      if (kind === STARTED) {
        out.push(nodeStarted(src, nums[k + 2]!, ids[index]!, nums[k + 1]!, undefined));
        k += 3;
      } else if (kind === COMPLETED) {
        out.push(nodeCompleted(src, nums[k + 2]!, ids[index]!, nums[k + 1]!, nums[k + 3]!));
        k += 4;
      } else {
        out.push(objects[index]!);
        k += 1;
      }
    }
    this.#len = 0;
    this.#count = 0;
    this.#objects = [];
  }

  /**
   * Reads the held entries from number offset `at` (0, or what the previous call returned while this tail was not
   * drained) without making objects, and returns the offset after the last one: how a run's summary
   * (`run-summary.ts`) folds a quiet run. Node indexes are the `ids` indexes.
   */
  scan(
    at: number,
    visit: {
      started(node: number, attempt: number, timestamp: number): void;
      completed(node: number, attempt: number, timestamp: number, durationMs: number): void;
      object(e: FlowEvent): void;
    },
  ): number {
    const nums = this.#nums;
    const len = this.#len;
    while (at < len) {
      // Heads are small integers (an index below 2^29, times 4, plus the kind): integer bit operations are exact.
      const head = nums[at]!;
      const kind = head & 3;
      const index = head >>> 2;
      if (kind === STARTED) {
        visit.started(index, nums[at + 1]!, nums[at + 2]!);
        at += 3;
      } else if (kind === COMPLETED) {
        visit.completed(index, nums[at + 1]!, nums[at + 2]!, nums[at + 3]!);
        at += 4;
      } else {
        visit.object(this.#objects[index]!);
        at += 1;
      }
    }
    return at;
  }

  #grow(): Float64Array {
    const bigger = new Float64Array(this.#nums.length * 2);
    bigger.set(this.#nums);
    this.#nums = bigger;
    return bigger;
  }
}
