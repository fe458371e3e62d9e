import type { ErrorMatcher, NodeKind, NodeOptions } from './types.js';

/** Internal erasure of node functions: the one place where builder generics are dropped. */
export type AnyFn = (...args: never[]) => unknown;

/**
 * A subworkflow node's child, erased like node functions: always a built `Workflow` (checked by validate-options);
 * the engine reads it back as one. Kept structural so node definitions do not import `workflow.ts` (which imports
 * them).
 */
export interface ChildWorkflowRef {
  readonly name: string;
}

/** Internal definition of one node, as the builder records it. */
export interface NodeDef {
  readonly id: string;
  readonly kind: NodeKind;
  readonly fn: AnyFn;
  readonly options: NodeOptions;
  readonly group?: string | undefined;
  /** A `dependsOn` passed to `chain()`, which picks the dependencies itself (reported by build()). */
  readonly chainDependsOn?: unknown;
  /**
   * `parallel(ids, fns)` with `fns` not an array (-1) or of another length (its length): reported by build() with
   * the other invalid options.
   */
  readonly parallelMismatch?: number | undefined;
  /** forEach */
  readonly items?: unknown;
  readonly concurrency?: number | undefined;
  readonly failurePolicy?: 'fail-fast' | 'allSettled' | undefined;
  /** branch */
  readonly branchThen?: readonly string[] | undefined;
  readonly branchElse?: readonly string[] | undefined;
  /** subworkflow */
  readonly child?: ChildWorkflowRef | undefined;
  /** boundary */
  readonly forNodes?: readonly string[] | undefined;
  readonly errorTypes?: readonly ErrorMatcher[] | undefined;
}

/** A parallel group with a concurrency cap. */
export interface GroupDef {
  readonly id: string;
  readonly nodes: readonly string[];
  readonly concurrency?: number | undefined;
}

/** Workflow-level event handler registered with `onEvent`. */
export interface EventHandlerDef {
  readonly type: string;
  readonly handler: AnyFn;
}

/** One cell of the builder's persistent list. */
export interface Cell<T> {
  readonly value: T;
  readonly prev: Cell<T> | undefined;
}

/** Walks a persistent list into an array in insertion order (O(n)). */
export function listToArray<T>(cell: Cell<T> | undefined, size: number): T[] {
  const out = new Array<T>(size);
  let i = size - 1;
  for (let c = cell; c !== undefined; c = c.prev) out[i--] = c.value;
  return out;
}
