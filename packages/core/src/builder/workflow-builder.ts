import { validateAndCompile } from '../compile/compile-graph.js';
import type { CustomEvent, FlowEventOf, FlowEventType } from '../engine/events.js';
import type { WorkflowFlowOptions } from '../engine/flow-control/types.js';
import { Workflow } from '../workflow.js';
import { type AnyFn, type Cell, type EventHandlerDef, type GroupDef, listToArray, type NodeDef } from './node-def.js';
import type { StandardSchemaV1 } from './standard-schema.js';
import type { BoundaryOptions, NodeContext, NodeFn, NodeOptions, NodeReturn, SettledItem } from './types.js';
import { checkWorkflowShape } from './validate-options.js';

declare const typeErrorBrand: unique symbol;
/** A readable compile-time error: the offending argument's expected type becomes this message. */
export type FlowlaneTypeError<M extends string> = M & { readonly [typeErrorBrand]: never };

/** Keys of `T` without index signatures (ids from `parallel` with a computed `string[]` add one). */
type KnownKeys<T> = keyof { [K in keyof T as string extends K ? never : K]: T[K] };
/** A node id that is not yet taken. */
type NewId<Id extends string, TOut> =
  Id extends KnownKeys<TOut> ? FlowlaneTypeError<`node "${Id}" already exists`> : Id;
type Results<TOut, D extends string> = Pick<TOut, D & keyof TOut>;
type Add<TOut, Id extends string, R> = TOut & { readonly [K in Id]: R };
/** What `onError` a call's options may declare; inferred so that `'continue'` makes the output optional. */
type OnError = 'fail' | 'continue' | 'fallback';
/** `onError` of a call's options, captured as `E`. */
type Catching<E extends OnError | undefined> = { readonly onError?: E };
/**
 * A node's output as its dependents see it: with `onError: 'continue'` (or an `onError` not known statically) the
 * node may have failed, and then its result is `undefined`.
 */
type Settled<R, E> = 'continue' extends E ? R | undefined : R;

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

interface BuilderState {
  readonly name: string;
  readonly options: WorkflowOptions;
  readonly nodes: Cell<NodeDef> | undefined;
  readonly size: number;
  readonly last: readonly string[];
  readonly groups: Cell<GroupDef> | undefined;
  readonly groupCount: number;
  readonly handlers: Cell<EventHandlerDef> | undefined;
  readonly handlerCount: number;
  readonly inputSchema: StandardSchemaV1 | undefined;
}

/**
 * Chainable, immutable, fully typed workflow builder. Every call returns a new builder in O(1); `build()` validates
 * the whole graph once and returns an immutable {@link Workflow}.
 *
 * @example
 * ```ts
 * const wf = new WorkflowBuilder('deploy')
 *   .input<{ version: string }>()
 *   .addNode('build', (ctx) => `app:${ctx.input.version}`, { retry: { maxAttempts: 3 } })
 *   .chain('test', (ctx) => ctx.results.build.length > 0)
 *   .build();
 * ```
 */
export class WorkflowBuilder<TIn = unknown, TOut extends object = Record<never, never>, TLast extends string = never> {
  readonly #s: BuilderState;

  constructor(name: string, options: WorkflowOptions = {}, state?: BuilderState) {
    this.#s = state ?? {
      name,
      options,
      nodes: undefined,
      size: 0,
      last: [],
      groups: undefined,
      groupCount: 0,
      handlers: undefined,
      handlerCount: 0,
      inputSchema: undefined,
    };
  }

  /** The workflow's name. */
  get name(): string {
    return this.#s.name;
  }

  /**
   * Set the workflow's version (recorded in each run's execution log; a resumed run uses the version it started
   * with). The same as `workflow(name, { version })`.
   *
   * @example
   * ```ts
   * const wf = workflow('release').version('2').addNode('a', () => 1).build();
   * ```
   */
  version(version: string): WorkflowBuilder<TIn, TOut, TLast> {
    return new WorkflowBuilder<TIn, TOut, TLast>(
      this.#s.name,
      { ...this.#s.options, version },
      {
        ...this.#s,
        options: { ...this.#s.options, version },
      },
    );
  }

  #next<I, O extends object, L extends string>(patch: Partial<BuilderState>): WorkflowBuilder<I, O, L> {
    return new WorkflowBuilder<I, O, L>(this.#s.name, this.#s.options, { ...this.#s, ...patch });
  }

  #push(defs: readonly NodeDef[], group?: GroupDef): Partial<BuilderState> {
    let nodes = this.#s.nodes;
    for (const def of defs) nodes = { value: def, prev: nodes };
    return {
      nodes,
      size: this.#s.size + defs.length,
      last: defs.map((d) => d.id),
      ...(group === undefined
        ? {}
        : { groups: { value: group, prev: this.#s.groups }, groupCount: this.#s.groupCount + 1 }),
    };
  }

  /**
   * Declare the input type, optionally with a Standard Schema (zod, valibot, arktype…) validated at `engine.run`.
   *
   * @example
   * ```ts
   * workflow('etl').input<{ date: string }>();
   * workflow('etl').input(z.object({ date: z.string() }));
   * ```
   */
  input<T>(): WorkflowBuilder<T, TOut, TLast>;
  input<S extends StandardSchemaV1>(
    schema: S,
  ): WorkflowBuilder<NonNullable<S['~standard']['types']>['output'], TOut, TLast>;
  input(schema?: StandardSchemaV1): unknown {
    return this.#next({ inputSchema: schema });
  }

  /**
   * Add a node. `dependsOn` names earlier nodes; their outputs are typed in `ctx.results`.
   * With `{ onError: true, forNodes }` the node is an error boundary handler `(ctx, error) => value`.
   *
   * @example
   * ```ts
   * builder.addNode('b', (ctx) => ctx.results.a * 2, { dependsOn: ['a'], timeout: 5_000 })
   * ```
   */
  addNode<const Id extends string, R, const D extends keyof TOut & string = never>(
    id: NewId<Id, TOut>,
    fn: NodeFn<TIn, Results<TOut, D>, R>,
    options: BoundaryOptions<D>,
  ): WorkflowBuilder<TIn, Add<TOut, Id, Awaited<R>>, TLast>;
  addNode<
    const Id extends string,
    R,
    const D extends keyof TOut & string = never,
    const E extends OnError | undefined = undefined,
  >(
    id: NewId<Id, TOut>,
    fn: NodeFn<TIn, Results<TOut, D>, R>,
    options?: NodeOptions<TIn, Results<TOut, D>, D> & Catching<E>,
  ): WorkflowBuilder<TIn, Add<TOut, Id, Settled<Awaited<R>, E>>, Id>;
  addNode(id: string, fn: AnyFn, options?: object): unknown {
    if (typeof options === 'object' && options !== null && (options as BoundaryOptions).onError === true) {
      // A boundary is not a step of the flow: `chain` after it still follows the node added before it.
      const next = this.#push([boundaryDef(id, fn, options as BoundaryOptions)]);
      return this.#next({ ...next, last: this.#s.last });
    }
    // `null` and other non-objects are kept as given: build() reports them (FL_INVALID_OPTION).
    return this.#next(
      this.#push([{ id, kind: 'task', fn, options: (options === undefined ? {} : options) as NodeOptions }]),
    );
  }

  /**
   * Add a node that depends on the node(s) added last (all nodes of a `parallel` group: a fan-in).
   *
   * @example
   * ```ts
   * workflow('w').addNode('a', () => 1).chain('b', (ctx) => ctx.results.a + 1)
   * ```
   */
  chain<const Id extends string, R, const E extends OnError | undefined = undefined>(
    id: NewId<Id, TOut>,
    fn: NodeFn<TIn, Results<TOut, TLast>, R>,
    options?: Omit<NodeOptions<TIn, Results<TOut, TLast>, TLast>, 'dependsOn'> & Catching<E>,
  ): WorkflowBuilder<TIn, Add<TOut, Id, Settled<Awaited<R>, E>>, Id> {
    const opts = { ...(options ?? {}), dependsOn: this.#s.last } as NodeOptions;
    // chain() chooses the dependencies itself: a `dependsOn` given to it is reported by build(), not dropped.
    const given = (options as { dependsOn?: unknown } | undefined)?.dependsOn;
    const def: NodeDef = { id, kind: 'task', fn: fn as AnyFn, options: opts };
    return this.#next(this.#push([given === undefined ? def : { ...def, chainDependsOn: given }]));
  }

  /**
   * A parallel group: `parallel(ids, fns, opts)` or `parallel({ a: fnA, b: fnB }, opts)`, with a concurrency cap.
   *
   * @example
   * ```ts
   * builder.parallel(['eu', 'us'], [deployEu, deployUs], { concurrency: 1, dependsOn: ['test'] })
   * builder.parallel({ eu: deployEu, us: deployUs }, { concurrency: 1 })
   * ```
   */
  parallel<
    const Ids extends readonly string[],
    R,
    const D extends keyof TOut & string = never,
    const E extends OnError | undefined = undefined,
  >(
    ids: Ids,
    fns: readonly NodeFn<TIn, Results<TOut, D>, R>[],
    options?: ParallelOptions<TIn, Results<TOut, D>, D> & Catching<E>,
  ): WorkflowBuilder<TIn, TOut & { readonly [K in Ids[number]]: Settled<Awaited<R>, E> }, Ids[number]>;
  parallel<
    const M extends Record<string, NodeFn<TIn, Results<TOut, D>, unknown>>,
    const D extends keyof TOut & string = never,
    const E extends OnError | undefined = undefined,
  >(
    fns: M,
    options?: ParallelOptions<TIn, Results<TOut, D>, D> & Catching<E>,
  ): WorkflowBuilder<
    TIn,
    TOut & { readonly [K in keyof M & string]: Settled<Awaited<FnResult<M[K]>>, E> },
    keyof M & string
  >;
  parallel(a: unknown, b?: unknown, c?: unknown): unknown {
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
    const groupId = group ?? `parallel-${this.#s.groupCount + 1}`;
    const defs: NodeDef[] = ids.map((id, i) => ({
      id: id as string,
      kind: 'task',
      fn: fns[i] as AnyFn,
      options: nodeOptions as NodeOptions,
      group: groupId,
      ...(mismatch === undefined ? {} : { parallelMismatch: mismatch }),
    }));
    return this.#next(this.#push(defs, { id: groupId, nodes: ids as string[], concurrency }));
  }

  /**
   * Fan-out/fan-in over items: runs `fn` per item (with a concurrency cap) and outputs the results in item order.
   *
   * @example
   * ```ts
   * builder.forEach('resize', (ctx) => ctx.results.list, (file) => resize(file), { dependsOn: ['list'], concurrency: 4 })
   * ```
   */
  forEach<
    const Id extends string,
    T,
    R,
    const D extends keyof TOut & string = never,
    const P extends 'fail-fast' | 'allSettled' = 'fail-fast',
    const E extends OnError | undefined = undefined,
  >(
    id: NewId<Id, TOut>,
    items: readonly T[] | ((ctx: NodeContext<TIn, Results<TOut, D>>) => readonly T[] | PromiseLike<readonly T[]>),
    fn: (item: T, index: number, ctx: NodeContext<TIn, Results<TOut, D>>) => NodeReturn<R>,
    options?: ForEachOptions<TIn, Results<TOut, D>, D, P> & Catching<E>,
  ): WorkflowBuilder<
    TIn,
    Add<TOut, Id, Settled<P extends 'allSettled' ? SettledItem<Awaited<R>>[] : Awaited<R>[], E>>,
    Id
  > {
    const { concurrency, failurePolicy, ...rest } = options ?? {};
    const def: NodeDef = {
      id,
      kind: 'forEach',
      fn: fn as AnyFn,
      items,
      concurrency: concurrency ?? Number.POSITIVE_INFINITY,
      failurePolicy: failurePolicy ?? 'fail-fast',
      options: rest as NodeOptions,
    };
    return this.#next(this.#push([def]));
  }

  /**
   * A branch: the predicate's boolean output decides whether the `then` or the `else` nodes run; the others are
   * skipped (and their dependents, unless `runIfSkipped`).
   *
   * @example
   * ```ts
   * builder.branch('is-prod', (ctx) => ctx.input.env === 'prod', { then: ['approve'], else: ['auto-deploy'] })
   * ```
   */
  branch<const Id extends string, const D extends keyof TOut & string = never>(
    id: NewId<Id, TOut>,
    predicate: (ctx: NodeContext<TIn, Results<TOut, D>>) => boolean | PromiseLike<boolean>,
    options: BranchOptions<TIn, Results<TOut, D>, D>,
  ): WorkflowBuilder<TIn, Add<TOut, Id, boolean>, Id> {
    const { then, else: otherwise, ...rest } = (options ?? {}) as BranchOptions<TIn, Results<TOut, D>, D>;
    const def: NodeDef = {
      id,
      kind: 'branch',
      fn: predicate as AnyFn,
      options: rest as NodeOptions,
      branchThen: then,
      branchElse: otherwise ?? [],
    };
    return this.#next(this.#push([def]));
  }

  /**
   * Run another built workflow as one node; its events are re-published on this run's stream with
   * `parentExecutionId`, its outputs become this node's output.
   *
   * @example
   * ```ts
   * builder.subworkflow('etl', etlWorkflow, (ctx) => ({ date: ctx.input.date }))
   * ```
   */
  subworkflow<
    const Id extends string,
    CIn,
    COut extends object,
    const D extends keyof TOut & string = never,
    const E extends OnError | undefined = undefined,
  >(
    id: NewId<Id, TOut>,
    child: Workflow<CIn, COut>,
    mapInput: (ctx: NodeContext<TIn, Results<TOut, D>>) => CIn | PromiseLike<CIn>,
    options?: NodeOptions<TIn, Results<TOut, D>, D> & Catching<E>,
  ): WorkflowBuilder<TIn, Add<TOut, Id, Settled<Partial<COut>, E>>, Id> {
    const def: NodeDef = {
      id,
      kind: 'subworkflow',
      fn: mapInput as AnyFn,
      child: child as unknown as Workflow<unknown, object>,
      options: (options ?? {}) as NodeOptions,
    };
    return this.#next(this.#push([def]));
  }

  /**
   * An error boundary: handles failures (after retries and fallbacks) of `forNodes` whose error matches
   * `errorTypes`; the failed node's dependents receive the handler's return value.
   *
   * @example
   * ```ts
   * builder.boundary('recover', (ctx, error) => ({ recovered: true }), { forNodes: ['risky'], errorTypes: [TypeError] })
   * ```
   */
  boundary<const Id extends string, R, const D extends keyof TOut & string = never>(
    id: NewId<Id, TOut>,
    handler: (ctx: NodeContext<TIn, Results<TOut, D>>, error: unknown) => NodeReturn<R>,
    options: Omit<BoundaryOptions<D>, 'onError'>,
  ): WorkflowBuilder<TIn, Add<TOut, Id, Awaited<R>>, TLast> {
    const next = this.#push([boundaryDef(id, handler as AnyFn, { ...options, onError: true })]);
    return this.#next({ ...next, last: this.#s.last });
  }

  /**
   * Handle events of this workflow's runs (`'node.failed'`, …) or, for a custom event name, custom events emitted
   * by any run on the same engine while a run of this workflow is active. Handler errors go to the engine logger.
   *
   * @example
   * ```ts
   * builder.onEvent('node.failed', (e) => alert(e.nodeId)).onEvent('data-processed', (e) => console.log(e.payload))
   * ```
   */
  onEvent<T extends FlowEventType>(
    type: T,
    handler: (event: FlowEventOf<T>) => void | PromiseLike<void>,
  ): WorkflowBuilder<TIn, TOut, TLast>;
  onEvent<P = unknown>(
    name: string,
    handler: (event: CustomEvent<P>) => void | PromiseLike<void>,
  ): WorkflowBuilder<TIn, TOut, TLast>;
  onEvent(type: string, handler: (event: never) => void | PromiseLike<void>): unknown {
    return this.#next({
      handlers: { value: { type, handler: handler as AnyFn }, prev: this.#s.handlers },
      handlerCount: this.#s.handlerCount + 1,
    });
  }

  /**
   * Validate everything and return the immutable workflow. Throws one `WorkflowDefinitionError` listing every problem.
   */
  build(): Workflow<TIn, TOut> {
    const s = this.#s;
    const nodes = listToArray(s.nodes, s.size);
    const groups = listToArray(s.groups, s.groupCount);
    const handlers = listToArray(s.handlers, s.handlerCount);
    const graph = validateAndCompile(s.name, nodes, groups, checkWorkflowShape(s.options, s.inputSchema, handlers));
    return new Workflow<TIn, TOut>(s.name, s.options, graph, handlers, s.inputSchema);
  }
}

type FnResult<F> = F extends (...args: never[]) => infer R ? (R extends NodeReturn<infer X> ? X : R) : never;

function boundaryDef(id: string, fn: AnyFn, b: BoundaryOptions): NodeDef {
  const { forNodes, errorTypes, onError: _onError, ...rest } = b;
  return { id, kind: 'boundary', fn, options: rest as NodeOptions, forNodes, errorTypes };
}

/**
 * Start a workflow definition; the same as `new WorkflowBuilder(name, options)`.
 *
 * @example
 * ```ts
 * const wf = workflow('hello').addNode('greet', () => 'hi').build();
 * ```
 */
export function workflow(name: string, options?: WorkflowOptions): WorkflowBuilder {
  return new WorkflowBuilder(name, options);
}
