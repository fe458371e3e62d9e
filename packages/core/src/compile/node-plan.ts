import { catchError, defer, from, isObservable, map, mergeMap, type Observable, of, reduce } from 'rxjs';
import type { AnyFn, NodeDef } from '../builder/node-def.js';
import type { NodeContext } from '../builder/types.js';
import { FlowlaneError } from '../errors.js';
import type { Executor, Middleware } from '../plugin/types.js';
import { internalsOf, type Workflow } from '../workflow.js';
import { isThenable, toObservable } from './to-observable.js';

/** How one node runs on one engine: compiled once per (engine, workflow). */
export interface NodePlan {
  /** Plain call, no operators: no retry, timeout, cache, middleware, permission check, health check or flow control. */
  readonly fast: boolean;
  /**
   * No option but `retry` (with more than one attempt): the ready-queue retries the node itself
   * (`engine/fast-retry.ts`) instead of running the operator pipeline.
   */
  readonly retryOnly: boolean;
  /** The permission policy must admit the node before anything of it runs (its `condition` included). */
  readonly guarded: boolean;
  /** Calls the node's behaviour (task function, forEach fan-out, subworkflow, boundary handler). */
  readonly invoke: (ctx: NodeContext, error: unknown) => unknown;
}

/** Per-engine plan of a workflow. */
export interface WorkflowPlan {
  readonly nodes: readonly NodePlan[];
}

/**
 * What planning a workflow needs from the engine that will run it (a part of the engine's services, declared here
 * so that compile does not import the engine layer).
 */
export interface PlanServices {
  /** True when the permission policy is the default one (only nodes that declare permissions are checked). */
  readonly defaultPermissions: boolean;
  readonly middleware: readonly Middleware[];
  readonly executors: ReadonlyMap<string, Executor>;
}

/**
 * Whether node options `o` put an operator of their own around an attempt (timeout, cache, health check, artifacts,
 * node flow control); retries and permissions are checked apart.
 */
export function wrapsAttempt(o: NodeDef['options']): boolean {
  return (
    o.timeout !== undefined ||
    o.cache !== undefined ||
    o.healthCheck !== undefined ||
    o.artifacts !== undefined ||
    o.concurrency !== undefined ||
    o.rateLimit !== undefined
  );
}

/** Compiles the per-node plans of `wf` for `rt`. Nodes pay only for the options they use. */
export function planWorkflow(rt: PlanServices, wf: Workflow<unknown, object>): WorkflowPlan {
  const { graph } = internalsOf(wf);
  const nodes = graph.defs.map((def): NodePlan => {
    const o = def.options;
    const guarded = rt.defaultPermissions ? o.permissions !== undefined : true;
    const plain = rt.middleware.length === 0 && !wrapsAttempt(o) && !guarded;
    // A policy of one attempt retries nothing: such a node runs as a plain one (the pipeline would add no operator).
    const retries = o.retry !== undefined && o.retry.maxAttempts > 1;
    const fast = plain && !retries;
    const missing = missingExecutor(rt, def);
    return {
      fast,
      retryOnly: plain && retries,
      guarded,
      invoke:
        missing === undefined
          ? invokerFor(def)
          : () => {
              throw missing;
            },
    };
  });
  return { nodes };
}

/**
 * `FL_EXECUTOR_NOT_FOUND` when the node names an executor this engine does not have: the node fails when it starts,
 * whether or not it would call `ctx.exec` (executors are fixed once plugins are set up, which is when plans are made).
 */
function missingExecutor(rt: PlanServices, def: NodeDef): FlowlaneError | undefined {
  const sel = def.options.executor;
  if (sel === undefined) return undefined;
  const name = typeof sel === 'string' ? sel : sel.name;
  if (rt.executors.has(name)) return undefined;
  return new FlowlaneError('FL_EXECUTOR_NOT_FOUND', {
    nodeId: def.id,
    executor: name,
    available: [...rt.executors.keys()],
  });
}

/** The callable behind a node (task function, forEach fan-out). Subworkflow nodes need an execution. */
export function invokerFor(def: NodeDef): (ctx: NodeContext, error: unknown) => unknown {
  const fn = def.fn as (ctx: NodeContext, error: unknown) => unknown;
  switch (def.kind) {
    case 'forEach':
      return (ctx) => forEach(def, ctx);
    case 'subworkflow':
      // The execution replaces this with a child run (it needs the engine); see Execution.invoke.
      return fn;
    default:
      return fn;
  }
}

function forEach(def: NodeDef, ctx: NodeContext): Observable<unknown[]> {
  const itemFn = def.fn as unknown as (item: unknown, index: number, ctx: NodeContext) => unknown;
  const settled = def.failurePolicy === 'allSettled';
  const items = typeof def.items === 'function' ? (def.items as AnyFn as (c: NodeContext) => unknown)(ctx) : def.items;
  const items$ = isThenable(items) ? from(items) : isObservable(items) ? items : of(items);
  return items$.pipe(
    mergeMap((list) => {
      if (!Array.isArray(list))
        throw new FlowlaneError('FL_INVALID_OPTION', {
          nodeId: def.id,
          option: 'items',
          reason: `the items function must return an array (or a promise of one), got ${list === null ? 'null' : typeof list}`,
        });
      const out = new Array<unknown>(list.length);
      if (list.length === 0) return of(out);
      return from(list).pipe(
        mergeMap(
          (item, index) =>
            defer(() => toObservable(itemFn(item, index, ctx))).pipe(
              map((value) => [index, settled ? { status: 'fulfilled', value } : value] as const),
              settled
                ? catchError((reason: unknown) => of([index, { status: 'rejected', reason }] as const))
                : (s) => s,
            ),
          def.concurrency ?? Number.POSITIVE_INFINITY,
        ),
        reduce((acc, [index, value]) => {
          acc[index] = value;
          return acc;
        }, out),
      );
    }),
  );
}
