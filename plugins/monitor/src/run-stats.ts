import type { FlowEvent, WorkflowDescription } from '@flowlane/core';
import type { DurationStats } from './protocol.js';

/*
 * The report's counters: duration statistics, final node statuses by index, and each node's executor.
 */

/** Durations: how many, their sum and the largest. */
export class Stats {
  count = 0;
  sum = 0;
  max = 0;
  add(ms: number): void {
    this.count++;
    this.sum += ms;
    if (ms > this.max) this.max = ms;
  }
  /** Adds `count` durations summing to `sum`, the largest of which (so far, in their run) is `max`. */
  merge(count: number, sum: number, max: number): void {
    this.count += count;
    this.sum += sum;
    if (max > this.max) this.max = max;
  }
  toJSON(): DurationStats {
    return { count: this.count, avgMs: this.count === 0 ? 0 : this.sum / this.count, maxMs: this.max };
  }
}

/** Final node statuses counted by the report, by index. */
export const FINAL_NAMES = ['success', 'failed', 'skipped', 'cancelled'] as const;

/** Index into {@link FINAL_NAMES} of an event that settles a node, else -1 (a switch: no dictionary lookup). */
export function finalIndex(type: FlowEvent['type']): number {
  switch (type) {
    case 'node.completed':
      return 0;
    case 'node.failed':
      return 1;
    case 'node.skipped':
      return 2;
    case 'node.cancelled':
      return 3;
    default:
      return -1;
  }
}

/** Index into {@link FINAL_NAMES} of a node's final state in core's run summary, else -1. */
export function finalStateIndex(state: string | undefined): number {
  switch (state) {
    case 'success':
      return 0;
    case 'failed':
      return 1;
    case 'skipped':
      return 2;
    case 'cancelled':
      return 3;
    default:
      return -1;
  }
}

export const countsToRecord = (c: Float64Array): Record<string, number> => {
  const out: Record<string, number> = {};
  for (let i = 0; i < FINAL_NAMES.length; i++) if (c[i]! > 0) out[FINAL_NAMES[i]!] = c[i]!;
  return out;
};

/** Executor name of a node from its description (`local` unless it names one). */
function executorOf(options: Readonly<Record<string, unknown>>): string {
  const ex = options.executor;
  if (typeof ex === 'string') return ex;
  if (typeof ex === 'object' && ex !== null && typeof (ex as { name?: unknown }).name === 'string')
    return (ex as { name: string }).name;
  return 'local';
}

/**
 * Non-`local` executors by node id, per description — for runs followed from the store (runs of this engine get
 * theirs from core: `RunGraph.executors()`).
 */
const executorCache = new WeakMap<WorkflowDescription, Map<string, string> | null>();

/** The executor of every node that does not run locally (`undefined` when all do), computed once per workflow. */
export function executorsOf(description: WorkflowDescription): Map<string, string> | undefined {
  let m = executorCache.get(description);
  if (m === undefined) {
    m = null;
    for (const n of description.nodes) {
      const ex = executorOf(n.options);
      if (ex !== 'local') (m ??= new Map()).set(n.id, ex);
    }
    executorCache.set(description, m);
  }
  return m ?? undefined;
}
