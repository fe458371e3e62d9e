import type { FlowControlBackend, RateDecision } from '../../contracts/flow-control.js';

/** Start times of one key's window, oldest first, from `head` on (a queue without per-start allocation). */
interface Window {
  starts: number[];
  head: number;
}

/** Above this many keys, emptied slot sets are forgotten (below it they are kept for reuse: no allocation per run). */
const KEEP_KEYS = 4_096;

/**
 * The default {@link FlowControlBackend}: slots and sliding windows in this process's memory (one engine). Answers
 * synchronously, so flow control adds no promise hops to admission.
 *
 * @example
 * ```ts
 * import { createMemoryFlowControlBackend } from '@flowlane/core';
 *
 * const b = createMemoryFlowControlBackend();
 * b.acquire({ key: 'tenant-a', limit: 1, holder: 'run-1' }); // true
 * b.acquire({ key: 'tenant-a', limit: 1, holder: 'run-2' }); // false
 * ```
 */
export function createMemoryFlowControlBackend(): FlowControlBackend {
  const slots = new Map<string, Set<string>>();
  const windows = new Map<string, Window>();
  return {
    name: 'memory',
    acquire({ key, limit, holder }) {
      let held = slots.get(key);
      if (held === undefined) slots.set(key, (held = new Set()));
      if (held.has(holder)) return true;
      if (held.size >= limit) return false;
      held.add(holder);
      return true;
    },
    release({ key, holder }) {
      const held = slots.get(key);
      if (held === undefined) return;
      held.delete(holder);
      if (held.size === 0 && slots.size > KEEP_KEYS) slots.delete(key);
    },
    take({ key, limit, period, now }): RateDecision {
      let w = windows.get(key);
      if (w === undefined) windows.set(key, (w = { starts: [], head: 0 }));
      const { starts } = w;
      // Starts are appended in time order: skip those that left the window (now - period, now].
      while (w.head < starts.length && starts[w.head]! <= now - period) w.head++;
      if (w.head > 1_024 && w.head * 2 > starts.length) {
        starts.splice(0, w.head);
        w.head = 0;
      }
      const count = starts.length - w.head;
      if (count < limit) {
        starts.push(now);
        return ADMITTED;
      }
      return { admitted: false, retryAt: starts[starts.length - limit]! + period };
    },
  };
}

const ADMITTED: RateDecision = Object.freeze({ admitted: true });
