import { type EventSource, nodeCompleted, nodeStarted } from './event-factory.js';
import type { FlowEvent } from './events.js';

/** Entry kinds (the low two bits of an entry's first number; the node index or object index is the rest). */
const OBJECT = 0;
const STARTED = 1;
const COMPLETED = 2;

/**
 * The tail of a run's event log while nobody observes it: the two per-node events (`node.started`,
 * `node.completed`) as numbers in one packed array instead of objects, turned into the very objects the event
 * factory makes (same keys, same order) only when the log is read (a late `events$` subscriber).
 *
 * Layout, in emission order: `node.started` = [node·4+1, attempt, timestamp]; `node.completed` =
 * [node·4+2, attempt, timestamp, durationMs]; any other event = [k·4] with the object kept at `objects[k]`.
 * A run of 100k nodes keeps 700k numbers (5.6 MB, no per-event allocation) instead of 200k event objects.
 *
 * Only events no one hears when they happen may go here (see `RunEventLog.quiet`): no exporter, `engine.events$`
 * subscriber, `diagnostics_channel` subscriber, `onEvent` handler, live `events$` subscriber, execution store
 * journal or parent run. Neither event carries user data, so materialising needs no redaction.
 */
export class CompactEventLog {
  readonly #nums: number[] = [];
  #objects: FlowEvent[] = [];
  readonly #src: EventSource;
  readonly #ids: readonly string[];

  /** `ids`: node ids by index (the compiled graph's). */
  constructor(src: EventSource, ids: readonly string[]) {
    this.#src = src;
    this.#ids = ids;
  }

  /** True when nothing is held. */
  get empty(): boolean {
    return this.#nums.length === 0;
  }

  started(node: number, attempt: number, timestamp: number): void {
    this.#nums.push(node * 4 + STARTED, attempt, timestamp);
  }

  completed(node: number, attempt: number, timestamp: number, durationMs: number): void {
    this.#nums.push(node * 4 + COMPLETED, attempt, timestamp, durationMs);
  }

  /** An event that was made as an object (kept in order among the compact ones). */
  object(e: FlowEvent): void {
    this.#nums.push(this.#objects.length * 4 + OBJECT);
    this.#objects.push(e);
  }

  /** Appends every held event to `out` as an object, in emission order, and empties this tail. */
  drainInto(out: FlowEvent[]): void {
    const nums = this.#nums;
    const objects = this.#objects;
    const ids = this.#ids;
    const src = this.#src;
    let k = 0;
    while (k < nums.length) {
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
    nums.length = 0;
    this.#objects = [];
  }
}
