/**
 * For scheduler authors: one `abort` listener per signal instead of one per waiting request. The engine passes the
 * same run signal for every node of a run, and `EventTarget.addEventListener` scans the existing listeners, so a
 * listener per queued node costs O(queue) each.
 *
 * @example
 * ```ts
 * import { AbortGroups, FlowlaneError } from '@flowlane/core';
 *
 * interface Waiter {
 *   readonly id: string;
 *   reject(error: Error): void;
 * }
 * const waiting = new AbortGroups<Waiter>((w) => w.reject(new FlowlaneError('FL_CANCELLED', { executionId: w.id, reason: 'aborted' })));
 * const signal = new AbortController().signal; // the run's signal, from the admission request
 * const waiter: Waiter = { id: 'run-1', reject: (e) => console.error(e.message) };
 * waiting.add(signal, waiter);     // when a request starts waiting
 * waiting.delete(signal, waiter);  // when it is granted
 * ```
 */
export class AbortGroups<T> {
  readonly #groups = new Map<AbortSignal, { readonly members: Set<T>; readonly listener: () => void }>();
  readonly #onAbort: (member: T) => void;

  constructor(onAbort: (member: T) => void) {
    this.#onAbort = onAbort;
  }

  add(signal: AbortSignal, member: T): void {
    let g = this.#groups.get(signal);
    if (g === undefined) {
      const members = new Set<T>();
      const listener = (): void => {
        this.#groups.delete(signal);
        for (const m of members) this.#onAbort(m);
      };
      g = { members, listener };
      this.#groups.set(signal, g);
      signal.addEventListener('abort', listener, { once: true });
    }
    g.members.add(member);
  }

  delete(signal: AbortSignal, member: T): void {
    const g = this.#groups.get(signal);
    if (g === undefined || !g.members.delete(member) || g.members.size > 0) return;
    this.#groups.delete(signal);
    signal.removeEventListener('abort', g.listener);
  }
}
