import type { WorkflowFlowOptions } from '../contracts/flow-control.js';
import type { NodeOptions } from './types.js';

// The options of the builder's calls besides `addNode`'s (those are `NodeOptions`, in types.ts).

/** Options of `parallel`: shared by every node of the group, plus the group's concurrency cap. */
export interface ParallelOptions<TIn, TResults, D extends string>
  extends Omit<NodeOptions<TIn, TResults, D>, 'fallback' | 'concurrency'> {
  /** At most this many nodes of the group run at once. Default: unbounded. */
  readonly concurrency?: number | undefined;
  /** Group id for descriptions and metrics (default `parallel-<n>`). */
  readonly group?: string | undefined;
}

/** Options of `forEach`. */
export interface ForEachOptions<TIn, TResults, D extends string, P extends 'fail-fast' | 'allSettled'>
  extends Omit<NodeOptions<TIn, TResults, D>, 'concurrency'> {
  /** At most this many items run at once. Default 1 … unbounded (Infinity). */
  readonly concurrency?: number | undefined;
  /** `fail-fast` (default): the first failing item fails the node; `allSettled`: every item settles, results describe each. */
  readonly failurePolicy?: P | undefined;
}

/** Options of `branch`. */
export interface BranchOptions<TIn, TResults, D extends string>
  extends Omit<NodeOptions<TIn, TResults, D>, 'fallback' | 'cache'> {
  /** Nodes that run only when the predicate returns true. */
  readonly then: readonly string[];
  /** Nodes that run only when the predicate returns false. */
  readonly else?: readonly string[] | undefined;
}

/** Options of the builder itself. */
export interface WorkflowOptions extends WorkflowFlowOptions {
  readonly version?: string | undefined;
  readonly description?: string | undefined;
}
