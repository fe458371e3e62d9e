import type { BranchOptions, ForEachOptions, ParallelOptions } from './builder-options.js';
import type { AnyFn, ChildWorkflowRef, GroupDef, NodeDef } from './node-def.js';
import type { BoundaryOptions, NodeOptions } from './types.js';

// The node definitions each builder call records, from its arguments as given at run time (the generics of
// workflow-builder.ts are erased here). Invalid arguments are kept as given: build() reports them all at once.

/** `addNode(id, fn, options)`: a task, or an error boundary handler with `{ onError: true, forNodes }`. */
export function taskDef(id: string, fn: AnyFn, options: object | undefined): NodeDef {
  if (typeof options === 'object' && options !== null && (options as BoundaryOptions).onError === true)
    return boundaryDef(id, fn, options as BoundaryOptions);
  // `null` and other non-objects are kept as given: build() reports them (FL_INVALID_OPTION).
  return { id, kind: 'task', fn, options: (options === undefined ? {} : options) as NodeOptions };
}

/** `chain(id, fn, options)`: a task that depends on the node(s) added last. */
export function chainDef(id: string, fn: AnyFn, options: object | undefined, last: readonly string[]): NodeDef {
  const opts = { ...(options ?? {}), dependsOn: last } as NodeOptions;
  // chain() chooses the dependencies itself: a `dependsOn` given to it is reported by build(), not dropped.
  const given = (options as { dependsOn?: unknown } | undefined)?.dependsOn;
  const def: NodeDef = { id, kind: 'task', fn, options: opts };
  return given === undefined ? def : { ...def, chainDependsOn: given };
}

/**
 * `parallel(ids, fns, options)` or `parallel({ id: fn }, options)`: one task per id, sharing the options, in a group
 * (`parallel-<n>` unless named) with the group's concurrency cap.
 */
export function parallelDefs(
  a: unknown,
  b: unknown,
  c: unknown,
  groupCount: number,
): { defs: NodeDef[]; group: GroupDef } {
  let ids: readonly unknown[];
  let fns: readonly unknown[];
  let options: ParallelOptions<unknown, object, string>;
  let mismatch: number | undefined;
  if (Array.isArray(a)) {
    ids = a;
    fns = Array.isArray(b) ? b : [];
    options = (c ?? {}) as ParallelOptions<unknown, object, string>;
    if (!Array.isArray(b) || b.length !== a.length) {
      // Recorded as an invalid option; build() reports it with everything else.
      fns = ids.map((_, i) => (Array.isArray(b) ? b[i] : undefined));
      mismatch = Array.isArray(b) ? b.length : -1;
    }
  } else {
    const map = (a ?? {}) as Record<string, unknown>;
    ids = Object.keys(map);
    fns = Object.values(map);
    options = (b ?? {}) as ParallelOptions<unknown, object, string>;
  }
  const { concurrency, group, ...nodeOptions } = options;
  const groupId = group ?? `parallel-${groupCount + 1}`;
  const defs: NodeDef[] = ids.map((id, i) => ({
    id: id as string,
    kind: 'task',
    fn: fns[i] as AnyFn,
    options: nodeOptions as NodeOptions,
    group: groupId,
    ...(mismatch === undefined ? {} : { parallelMismatch: mismatch }),
  }));
  return { defs, group: { id: groupId, nodes: ids as string[], concurrency } };
}

/** `forEach(id, items, fn, options)`: `fn` per item, `fail-fast` and unbounded unless told otherwise. */
export function forEachDef(id: string, items: unknown, fn: AnyFn, options: object | undefined): NodeDef {
  const given = (options ?? {}) as ForEachOptions<unknown, object, string, 'fail-fast' | 'allSettled'>;
  const { concurrency, failurePolicy, ...rest } = given;
  return {
    id,
    kind: 'forEach',
    fn,
    items,
    concurrency: concurrency ?? Number.POSITIVE_INFINITY,
    failurePolicy: failurePolicy ?? 'fail-fast',
    options: rest as NodeOptions,
  };
}

/** `branch(id, predicate, { then, else })`. */
export function branchDef(id: string, predicate: AnyFn, options: object): NodeDef {
  const { then, else: otherwise, ...rest } = (options ?? {}) as BranchOptions<unknown, object, string>;
  return {
    id,
    kind: 'branch',
    fn: predicate,
    options: rest as NodeOptions,
    branchThen: then,
    branchElse: otherwise ?? [],
  };
}

/** `subworkflow(id, child, mapInput, options)`. */
export function subworkflowDef(
  id: string,
  child: ChildWorkflowRef,
  mapInput: AnyFn,
  options: object | undefined,
): NodeDef {
  return { id, kind: 'subworkflow', fn: mapInput, child, options: (options ?? {}) as NodeOptions };
}

/** An error boundary handler (`boundary()`, or `addNode` with `onError: true`). */
export function boundaryDef(id: string, fn: AnyFn, b: BoundaryOptions): NodeDef {
  const { forNodes, errorTypes, onError: _onError, ...rest } = b;
  return { id, kind: 'boundary', fn, options: rest as NodeOptions, forNodes, errorTypes };
}
