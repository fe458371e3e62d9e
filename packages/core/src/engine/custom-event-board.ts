import type { CustomEvent } from '../contracts/events.js';

/** How many event names the board remembers at most (least recently emitted names are forgotten first). */
export const CUSTOM_EVENT_NAMES_KEPT = 1000;

/**
 * The engine-wide "latest custom event per name" behind `ctx.getEvent(name)`, bounded and scoped: a run sees only
 * events emitted while it was running (`since(mark())` taken when it began), never an earlier run's payload; at most
 * {@link CUSTOM_EVENT_NAMES_KEPT} names are kept, and everything is dropped when no run is active.
 *
 * @example
 * ```ts fragment
 * const board = new CustomEventBoard();
 * const mark = board.mark();
 * board.publish(event);
 * board.since('deployed', mark); // event
 * ```
 */
export class CustomEventBoard {
  #seq = 0;
  /** Insertion order = emission order, so the first key is the least recently emitted name. */
  readonly #latest = new Map<string, { readonly event: CustomEvent; readonly seq: number }>();
  readonly #max: number;

  constructor(max = CUSTOM_EVENT_NAMES_KEPT) {
    this.#max = max;
  }

  /** Number of names remembered now. */
  get size(): number {
    return this.#latest.size;
  }

  /** A position in the event sequence: events published after it are visible to `since(name, mark)`. */
  mark(): number {
    return this.#seq;
  }

  publish(event: CustomEvent): void {
    const latest = this.#latest;
    latest.delete(event.name);
    latest.set(event.name, { event, seq: ++this.#seq });
    if (latest.size > this.#max) latest.delete(latest.keys().next().value as string);
  }

  /** The latest event named `name` published after `mark`, if any. */
  since(name: string, mark: number): CustomEvent | undefined {
    const x = this.#latest.get(name);
    return x !== undefined && x.seq > mark ? x.event : undefined;
  }

  /** Forget everything (no run is active: nobody can see these events any more). */
  clear(): void {
    // Clearing allocates a new table even when empty (once per run that ends with no other run active).
    if (this.#latest.size > 0) this.#latest.clear();
  }
}
