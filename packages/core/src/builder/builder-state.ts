import { Workflow } from '../workflow.js';
import type { WorkflowOptions } from './builder-options.js';
import { validateAndCompile } from './compile-graph.js';
import { type AnyFn, type Cell, type EventHandlerDef, type GroupDef, listToArray, type NodeDef } from './node-def.js';
import type { StandardSchemaV1 } from './standard-schema.js';
import { checkWorkflowShape } from './validate-options.js';

/**
 * What a `WorkflowBuilder` holds: persistent lists (each call adds one cell pointing at its parent's, so no call
 * copies the graph) with their sizes, and the node(s) added last (what `chain` depends on).
 */
export interface BuilderState {
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

/** A new workflow's state: no nodes, groups or handlers. */
export function emptyState(name: string, options: WorkflowOptions): BuilderState {
  return {
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

/**
 * The state after adding `defs` (and their `group`): they become the nodes added last, except an error boundary,
 * which is not a step of the flow (`chain` after it still follows the node added before it).
 */
export function withNodes(s: BuilderState, defs: readonly NodeDef[], group?: GroupDef): BuilderState {
  let nodes = s.nodes;
  for (const def of defs) nodes = { value: def, prev: nodes };
  const boundary = defs.length === 1 && defs[0]!.kind === 'boundary';
  return {
    ...s,
    nodes,
    size: s.size + defs.length,
    last: boundary ? s.last : defs.map((d) => d.id),
    ...(group === undefined ? {} : { groups: { value: group, prev: s.groups }, groupCount: s.groupCount + 1 }),
  };
}

/** The state after `onEvent(type, handler)`. */
export function withHandler(s: BuilderState, type: string, handler: AnyFn): BuilderState {
  return { ...s, handlers: { value: { type, handler }, prev: s.handlers }, handlerCount: s.handlerCount + 1 };
}

/** `build()`: walks the lists once, checks and compiles the graph (one `WorkflowDefinitionError` lists every problem). */
export function buildWorkflow<TIn, TOut extends object>(s: BuilderState): Workflow<TIn, TOut> {
  const nodes = listToArray(s.nodes, s.size);
  const groups = listToArray(s.groups, s.groupCount);
  const handlers = listToArray(s.handlers, s.handlerCount);
  const graph = validateAndCompile(s.name, nodes, groups, checkWorkflowShape(s.options, s.inputSchema, handlers));
  return new Workflow<TIn, TOut>(s.name, s.options, graph, handlers, s.inputSchema);
}
