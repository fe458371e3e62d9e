import type { FlowControlBackend, RateDecision } from './types.js';

/**
 * The default {@link FlowControlBackend}: slots and sliding windows in this process's memory (one engine). Answers
 * synchronously, so flow control adds no promise hops to admission.
 *
 * @example
 * ```ts
 * const b = createMemoryFlowControlBackend();
 * b.acquire({ key: 'tenant-a', limit: 1, holder: 'run-1' }); // true
 * b.acquire({ key: 'tenant-a', limit: 1, holder: 'run-2' }); // false
 * ```
 */
export function createMemoryFlowControlBackend(): FlowControlBackend {
  const slots = new Map<string, Set<string>>();
  const windows = new Map<string, number[]>();
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
      if (held.size === 0) slots.delete(key);
    },
    take({ key, limit, period, now }): RateDecision {
      let starts = windows.get(key);
      if (starts === undefined) windows.set(key, (starts = []));
      // Starts are appended in time order: drop those that left the window (now - period, now].
      let k = 0;
      while (k < starts.length && starts[k]! <= now - period) k++;
      if (k > 0) starts.splice(0, k);
      if (starts.length < limit) {
        starts.push(now);
        return { admitted: true };
      }
      return { admitted: false, retryAt: starts[starts.length - limit]! + period };
    },
  };
}
