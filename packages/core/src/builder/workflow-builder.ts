import type { CustomEvent, FlowEventOf, FlowEventType } from '../contracts/events.js';
import type { Workflow } from '../workflow.js';
import type { BranchOptions, ForEachOptions, ParallelOptions, WorkflowOptions } from './builder-options.js';
import { type BuilderState, buildWorkflow, emptyState, withHandler, withNodes } from './builder-state.js';
import { boundaryDef, branchDef, chainDef, forEachDef, parallelDefs, subworkflowDef, taskDef } from './define-node.js';
import type { AnyFn } from './node-def.js';
import type { StandardSchemaV1 } from './standard-schema.js';
import type { BoundaryOptions, NodeContext, NodeFn, NodeOptions, NodeReturn, SettledItem } from './types.js';

export type { BranchOptions, ForEachOptions, ParallelOptions, WorkflowOptions } from './builder-options.js';

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

/**
 * Chainable, immutable, fully typed workflow builder. Every call returns a new builder in O(1); `build()` validates
 * the whole graph once and returns an immutable {@link Workflow}.
 *
 * @example
 * ```ts
 * import { WorkflowBuilder } from '@flowlane/core';
 *
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
    this.#s = state ?? emptyState(name, options);
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
   * import { workflow } from '@flowlane/core';
   *
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

  #next<I, O extends object, L extends string>(state: BuilderState): WorkflowBuilder<I, O, L> {
    return new WorkflowBuilder<I, O, L>(state.name, state.options, state);
  }

  /**
   * Declare the input type, optionally with a Standard Schema (zod, valibot, arktype…) validated at `engine.run`.
   *
   * @example
   * ```ts
   * import { workflow } from '@flowlane/core';
   * import { z } from 'zod';
   *
   * workflow('etl').input<{ date: string }>();
   * workflow('etl').input(z.object({ date: z.string() }));
   * ```
   */
  input<T>(): WorkflowBuilder<T, TOut, TLast>;
  input<S extends StandardSchemaV1>(
    schema: S,
  ): WorkflowBuilder<NonNullable<S['~standard']['types']>['output'], TOut, TLast>;
  input(schema?: StandardSchemaV1): unknown {
    return this.#next({ ...this.#s, inputSchema: schema });
  }

  /**
   * Add a node. `dependsOn` names earlier nodes; their outputs are typed in `ctx.results`.
   * With `{ onError: true, forNodes }` the node is an error boundary handler `(ctx, error) => value`.
   *
   * @example
   * ```ts
   * import { workflow } from '@flowlane/core';
   *
   * workflow('w')
   *   .addNode('a', () => 21)
   *   .addNode('b', (ctx) => ctx.results.a * 2, { dependsOn: ['a'], timeout: 5_000 });
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
    return this.#next(withNodes(this.#s, [taskDef(id, fn, options)]));
  }

  /**
   * Add a node that depends on the node(s) added last (all nodes of a `parallel` group: a fan-in).
   *
   * @example
   * ```ts
   * import { workflow } from '@flowlane/core';
   *
   * workflow('w').addNode('a', () => 1).chain('b', (ctx) => ctx.results.a + 1);
   * ```
   */
  chain<const Id extends string, R, const E extends OnError | undefined = undefined>(
    id: NewId<Id, TOut>,
    fn: NodeFn<TIn, Results<TOut, TLast>, R>,
    options?: Omit<NodeOptions<TIn, Results<TOut, TLast>, TLast>, 'dependsOn'> & Catching<E>,
  ): WorkflowBuilder<TIn, Add<TOut, Id, Settled<Awaited<R>, E>>, Id> {
    return this.#next(withNodes(this.#s, [chainDef(id, fn as AnyFn, options, this.#s.last)]));
  }

  /**
   * A parallel group: `parallel(ids, fns, opts)` or `parallel({ a: fnA, b: fnB }, opts)`, with a concurrency cap.
   *
   * @example
   * ```ts
   * import { workflow } from '@flowlane/core';
   *
   * const deployEu = () => 'eu deployed';
   * const deployUs = () => 'us deployed';
   * const builder = workflow('release').addNode('test', () => true);
   * builder.parallel(['eu', 'us'], [deployEu, deployUs], { concurrency: 1, dependsOn: ['test'] });
   * builder.parallel({ eu: deployEu, us: deployUs }, { concurrency: 1 });
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
    const { defs, group } = parallelDefs(a, b, c, this.#s.groupCount);
    return this.#next(withNodes(this.#s, defs, group));
  }

  /**
   * Fan-out/fan-in over items: runs `fn` per item (with a concurrency cap) and outputs the results in item order.
   *
   * @example
   * ```ts
   * import { workflow } from '@flowlane/core';
   *
   * const resize = async (file: string) => `${file} (resized)`;
   * workflow('images')
   *   .addNode('list', () => ['a.png', 'b.png'])
   *   .forEach('resize', (ctx) => ctx.results.list, (file) => resize(file), { dependsOn: ['list'], concurrency: 4 });
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
    return this.#next(withNodes(this.#s, [forEachDef(id, items, fn as AnyFn, options)]));
  }

  /**
   * A branch: the predicate's boolean output decides whether the `then` or the `else` nodes run; the others are
   * skipped (and their dependents, unless `runIfSkipped`).
   *
   * @example
   * ```ts
   * import { workflow } from '@flowlane/core';
   *
   * workflow('deploy')
   *   .input<{ env: string }>()
   *   .branch('is-prod', (ctx) => ctx.input.env === 'prod', { then: ['approve'], else: ['auto-deploy'] })
   *   .addNode('approve', () => 'approved', { dependsOn: ['is-prod'] })
   *   .addNode('auto-deploy', () => 'deployed', { dependsOn: ['is-prod'] });
   * ```
   */
  branch<const Id extends string, const D extends keyof TOut & string = never>(
    id: NewId<Id, TOut>,
    predicate: (ctx: NodeContext<TIn, Results<TOut, D>>) => boolean | PromiseLike<boolean>,
    options: BranchOptions<TIn, Results<TOut, D>, D>,
  ): WorkflowBuilder<TIn, Add<TOut, Id, boolean>, Id> {
    return this.#next(withNodes(this.#s, [branchDef(id, predicate as AnyFn, options)]));
  }

  /**
   * Run another built workflow as one node; its events are re-published on this run's stream with
   * `parentExecutionId`, its outputs become this node's output.
   *
   * @example
   * ```ts
   * import { workflow } from '@flowlane/core';
   *
   * const etlWorkflow = workflow('etl').input<{ date: string }>().addNode('load', (ctx) => ctx.input.date).build();
   * workflow('nightly')
   *   .input<{ date: string }>()
   *   .subworkflow('etl', etlWorkflow, (ctx) => ({ date: ctx.input.date }));
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
    return this.#next(withNodes(this.#s, [subworkflowDef(id, child, mapInput as AnyFn, options)]));
  }

  /**
   * An error boundary: handles failures (after retries and fallbacks) of `forNodes` whose error matches
   * `errorTypes`; the failed node's dependents receive the handler's return value.
   *
   * @example
   * ```ts
   * import { workflow } from '@flowlane/core';
   *
   * workflow('w')
   *   .addNode('risky', (): string => {
   *     throw new TypeError('bad input');
   *   })
   *   .boundary('recover', (ctx, error) => ({ recovered: true }), { forNodes: ['risky'], errorTypes: [TypeError] });
   * ```
   */
  boundary<const Id extends string, R, const D extends keyof TOut & string = never>(
    id: NewId<Id, TOut>,
    handler: (ctx: NodeContext<TIn, Results<TOut, D>>, error: unknown) => NodeReturn<R>,
    options: Omit<BoundaryOptions<D>, 'onError'>,
  ): WorkflowBuilder<TIn, Add<TOut, Id, Awaited<R>>, TLast> {
    return this.#next(withNodes(this.#s, [boundaryDef(id, handler as AnyFn, { ...options, onError: true })]));
  }

  /**
   * Handle events of this workflow's runs (`'node.failed'`, …) or, for a custom event name, custom events emitted
   * by any run on the same engine while a run of this workflow is active. Handler errors go to the engine logger.
   *
   * @example
   * ```ts
   * import { workflow } from '@flowlane/core';
   *
   * workflow('etl')
   *   .addNode('load', () => 42)
   *   .onEvent('node.failed', (e) => console.error(`node ${e.nodeId} failed`))
   *   .onEvent('data-processed', (e) => console.log(e.payload));
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
    return this.#next(withHandler(this.#s, type, handler as AnyFn));
  }

  /**
   * Validate everything and return the immutable workflow. Throws one `WorkflowDefinitionError` listing every problem.
   */
  build(): Workflow<TIn, TOut> {
    return buildWorkflow<TIn, TOut>(this.#s);
  }
}

type FnResult<F> = F extends (...args: never[]) => infer R ? (R extends NodeReturn<infer X> ? X : R) : never;

/**
 * Start a workflow definition; the same as `new WorkflowBuilder(name, options)`.
 *
 * @example
 * ```ts
 * import { workflow } from '@flowlane/core';
 *
 * const wf = workflow('hello').addNode('greet', () => 'hi').build();
 * ```
 */
export function workflow(name: string, options?: WorkflowOptions): WorkflowBuilder {
  return new WorkflowBuilder(name, options);
}
