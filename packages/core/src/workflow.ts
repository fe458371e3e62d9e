import { markBuilt } from './builder/built-workflows.js';
import type { CompiledGraph } from './builder/compiled-graph.js';
import { pickFlowOptions } from './builder/flow-options.js';
import type { EventHandlerDef } from './builder/node-def.js';
import type { StandardSchemaV1 } from './builder/standard-schema.js';
import type { NodeDescription, NodeOptions, WorkflowDescription } from './builder/types.js';
import type { WorkflowFlowOptions } from './contracts/flow-control.js';
import { FlowlaneError } from './errors.js';

/** Internal parts of a workflow, read by the engine (not exported from the package). */
export interface WorkflowInternals {
  readonly graph: CompiledGraph;
  readonly handlers: readonly EventHandlerDef[];
  readonly inputSchema: StandardSchemaV1 | undefined;
  /** JSON-safe node descriptions, built on first use. */
  descriptions(): readonly NodeDescription[];
  /**
   * `JSON.stringify(workflow.toJSON())`, built on first use and kept as a string; the description's objects are kept
   * only if something else built them (`toJSON()`, node descriptions read by the engine).
   */
  descriptionText(): string;
}

const internals = new WeakMap<object, WorkflowInternals>();

/** What a value that should have been a built workflow is, for `FL_NOT_A_WORKFLOW`. */
function describeNonWorkflow(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value === 'string' ? `the string "${value}"` : String(value);
  const ctor = (value as { constructor?: { name?: unknown } }).constructor?.name;
  if (ctor === 'WorkflowBuilder') return `a WorkflowBuilder ("${String((value as { name?: unknown }).name)}")`;
  return typeof ctor === 'string' && ctor !== 'Object' ? `a ${ctor}` : 'a plain object';
}

/** Internal: the engine's view of a built workflow; `FL_NOT_A_WORKFLOW` for anything else. */
export function internalsOf(wf: Workflow<unknown, object>): WorkflowInternals {
  const i = typeof wf === 'object' && wf !== null ? internals.get(wf) : undefined;
  if (i === undefined) throw new FlowlaneError('FL_NOT_A_WORKFLOW', { got: describeNonWorkflow(wf) });
  return i;
}

/**
 * An immutable, validated workflow: run it with `engine.run(workflow, input)`. Serialise it with `toJSON()`
 * (nodes, edges, options without functions) or draw it with `toMermaid()`.
 *
 * @example
 * ```ts
 * import { workflow } from '@flowlane/core';
 *
 * const wf = workflow('w').addNode('a', () => 1).chain('b', (ctx) => ctx.results.a + 1).build();
 * console.log(wf.toMermaid());
 * ```
 */
export class Workflow<TIn = unknown, TOut extends object = Record<string, unknown>> {
  readonly name: string;
  readonly version: string | undefined;
  readonly description: string | undefined;
  /** Flow-control options between runs (`concurrency`, `rateLimit`, `debounce`, `fairness`, `cancelOn`, `priority`). */
  readonly flowControl: WorkflowFlowOptions | undefined;
  /** Node ids in definition order. */
  readonly nodeIds: readonly string[];
  declare readonly __types?: { readonly input: TIn; readonly output: TOut };
  #json: WorkflowDescription | undefined;

  /** @internal Use `WorkflowBuilder.build()`. */
  constructor(
    name: string,
    options: { version?: string | undefined; description?: string | undefined } & WorkflowFlowOptions,
    graph: CompiledGraph,
    handlers: readonly EventHandlerDef[],
    inputSchema: StandardSchemaV1 | undefined,
  ) {
    this.name = name;
    this.version = options.version;
    this.description = options.description;
    this.flowControl = pickFlowOptions(options);
    this.nodeIds = graph.ids;
    let descriptions: NodeDescription[] | undefined;
    let text: string | undefined;
    internals.set(this, {
      graph,
      handlers,
      inputSchema,
      descriptions: () => {
        descriptions ??= graph.defs.map((d, i) => describeNode(graph, i, d.options));
        return descriptions;
      },
      descriptionText: () => {
        // Built from what is cached already, else from throw-away objects: a large workflow's text is one string the
        // garbage collector never traces, while its description's objects would be traced by every major GC.
        text ??= JSON.stringify(
          this.#json ??
            describeWorkflow(this, graph, descriptions ?? graph.defs.map((d, i) => describeNode(graph, i, d.options))),
        );
        return text;
      },
    });
    markBuilt(this);
    Object.freeze(this);
  }

  /** JSON-safe description: nodes (options without functions), edges, parallel groups. */
  toJSON(): WorkflowDescription {
    if (this.#json !== undefined) return this.#json;
    const { graph, descriptions } = internalsOf(this as Workflow<unknown, object>);
    const json = describeWorkflow(this, graph, descriptions());
    // Frozen instance: cache through a defineProperty-free path (the private field is writable).
    this.#json = json;
    return json;
  }

  /** A Mermaid flowchart of the graph (fallback and boundary edges dotted). */
  toMermaid(): string {
    const json = this.toJSON();
    const ref = new Map(json.nodes.map((n, i) => [n.id, `n${i}`]));
    const lines = ['flowchart TD'];
    for (const n of json.nodes) {
      const label = n.id.replace(/"/g, '#quot;');
      const shape = n.kind === 'branch' ? `{"${label}"}` : n.standby ? `(["${label}"])` : `["${label}"]`;
      lines.push(`  ${ref.get(n.id)}${shape}`);
    }
    for (const e of json.edges) {
      const arrow = e.kind === 'dependency' ? '-->' : e.kind === 'branch' ? '-->' : `-.->|${e.kind}|`;
      lines.push(`  ${ref.get(e.from)} ${arrow} ${ref.get(e.to)}`);
    }
    return lines.join('\n');
  }
}

/** A workflow's JSON-safe description from its graph and its nodes' descriptions (`toJSON()`, uncached). */
function describeWorkflow(
  wf: { readonly name: string; readonly version: string | undefined },
  graph: CompiledGraph,
  nodes: readonly NodeDescription[],
): WorkflowDescription {
  const edges: { from: string; to: string; kind: 'dependency' | 'fallback' | 'boundary' | 'branch' }[] = [];
  for (let i = 0; i < graph.ids.length; i++) {
    for (let e = graph.parentStart[i]!; e < graph.parentStart[i + 1]!; e++) {
      const p = graph.parents[e]!;
      edges.push({
        from: graph.ids[p]!,
        to: graph.ids[i]!,
        kind: graph.branchGate[i] === p ? 'branch' : 'dependency',
      });
    }
    if (graph.fallbackOf[i] !== -1)
      edges.push({ from: graph.ids[i]!, to: graph.ids[graph.fallbackOf[i]!]!, kind: 'fallback' });
    if (graph.standby[i] === 1)
      for (const dep of graph.defs[i]!.options.dependsOn ?? [])
        edges.push({ from: dep, to: graph.ids[i]!, kind: 'dependency' });
  }
  for (const [target, handlers] of graph.boundariesOf)
    for (const h of handlers) edges.push({ from: graph.ids[target]!, to: graph.ids[h]!, kind: 'boundary' });
  return {
    name: wf.name,
    ...(wf.version === undefined ? {} : { version: wf.version }),
    nodes,
    edges,
    groups: graph.groups.map((g) => ({
      id: g.id,
      nodes: g.nodes,
      ...(g.concurrency === undefined ? {} : { concurrency: g.concurrency }),
    })),
  };
}

function describeNode(graph: CompiledGraph, i: number, o: NodeOptions): NodeDescription {
  const def = graph.defs[i]!;
  const options: Record<string, unknown> = {};
  if (o.timeout !== undefined) options.timeout = o.timeout;
  if (o.retry !== undefined) {
    const { onRetry, nonRetryable, retryOn, ...rest } = o.retry;
    options.retry = {
      ...rest,
      ...(onRetry === undefined ? {} : { onRetry: true }),
      ...(nonRetryable === undefined ? {} : { nonRetryable: nonRetryable.map(matcherName) }),
      ...(retryOn === undefined ? {} : { retryOn: retryOn.map(matcherName) }),
    };
  }
  if (o.condition !== undefined) options.condition = true;
  if (o.runIfSkipped !== undefined) options.runIfSkipped = o.runIfSkipped;
  if (o.fallback !== undefined) options.fallback = o.fallback;
  if (o.onError !== undefined) options.onError = o.onError;
  if (o.cache !== undefined)
    options.cache = { ttl: o.cache.ttl, ...(o.cache.store ? { store: o.cache.store.name } : {}) };
  for (const key of [
    'priority',
    'tags',
    'executor',
    'resources',
    'permissions',
    'healthCheck',
    'estimatedMs',
    'artifacts',
    'runOn',
  ] as const)
    if (o[key] !== undefined) options[key] = o[key];
  if (o.meta !== undefined) options.meta = JSON.parse(JSON.stringify(o.meta)) as unknown;
  if (o.rollback !== undefined) options.rollback = typeof o.rollback === 'function' ? 'function' : o.rollback;
  if (def.kind === 'forEach') {
    options.concurrency = def.concurrency;
    options.failurePolicy = def.failurePolicy;
  }
  if (def.kind === 'branch') {
    options.then = def.branchThen;
    options.else = def.branchElse;
  }
  if (def.kind === 'subworkflow') options.workflow = def.child?.name;
  if (def.kind === 'boundary') {
    options.forNodes = def.forNodes;
    if (def.errorTypes !== undefined) options.errorTypes = def.errorTypes.map(matcherName);
  }
  const dependsOn: string[] = [];
  for (let e = graph.parentStart[i]!; e < graph.parentStart[i + 1]!; e++) dependsOn.push(graph.ids[graph.parents[e]!]!);
  return {
    id: def.id,
    kind: def.kind,
    dependsOn: def.kind === 'boundary' || graph.standby[i] === 1 ? [...(o.dependsOn ?? [])] : dependsOn,
    standby: graph.standby[i] === 1,
    ...(def.group === undefined ? {} : { group: def.group }),
    options,
  };
}

function matcherName(m: unknown): string {
  return typeof m === 'string' ? m : typeof m === 'function' ? m.name : String(m);
}
