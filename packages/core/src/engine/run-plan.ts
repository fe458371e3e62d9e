import type { CompiledGraph } from '../builder/compiled-graph.js';
import type { NodeContext } from '../builder/types.js';
import { type NodePlan, planWorkflow, type WorkflowPlan } from '../compile/node-plan.js';
import { internalsOf, type Workflow } from '../workflow.js';
import type { EngineServices } from './engine-services.js';
import { middlewareOnly } from './middleware-call.js';
import { buildNodeChain, type NodeChain } from './node-pipeline.js';

/** A workflow's plan on one engine: per node, how it runs (`NodePlan`) and its operator chain. */
export interface RunPlan extends WorkflowPlan {
  /** Node `i`'s operator chain (nodes without options share one plain chain). */
  readonly chains: readonly NodeChain[];
  /**
   * 1 for a plain node: a task or forEach node with no option that the ready-queue checks (condition, group, branch,
   * permissions) and none that needs an operator (`NodePlan.fast`). The ready-queue starts such a node straight away
   * (`Execution.runPlain`) when the run has no scheduler and no resumed state and none of its parents was skipped.
   */
  readonly plain: Uint8Array;
  /**
   * Node `i`'s behaviour (`NodePlan.invoke`) in one array of functions: the ready-queue calls a plain node's without
   * reading its definition or plan, two objects per node that a large run would otherwise touch once each (cache
   * misses that cost more than the call).
   */
  readonly invokers: readonly ((ctx: NodeContext, error: unknown) => unknown)[];
  /** 1 for a node whose only operator is the engine's middleware (`middlewareOnly`): run without its chain. */
  readonly viaMiddleware: Uint8Array;
}

/** Compiles `wf` for engine `rt`: once per (engine, workflow), on its first run (see `RunTable.planFor`). */
export function planRun(rt: EngineServices, wf: Workflow<unknown, object>): RunPlan {
  const { nodes } = planWorkflow(rt, wf);
  const g = internalsOf(wf).graph;
  const plain = new Uint8Array(nodes.length);
  const viaMiddleware = new Uint8Array(nodes.length);
  for (let i = 0; i < nodes.length; i++) {
    plain[i] = isPlain(g, i, nodes[i]!) ? 1 : 0;
    viaMiddleware[i] = middlewareOnly(rt, g.defs[i]!, nodes[i]!, g.standby[i] === 1) ? 1 : 0;
  }
  const chains = nodes.map((p, i) => buildNodeChain(rt, g.defs[i]!, p, g.standby[i] === 1));
  const invokers = nodes.map((p) => p.invoke);
  return { nodes, chains, plain, viaMiddleware, invokers };
}

/** See {@link RunPlan.plain}. */
function isPlain(g: CompiledGraph, i: number, p: NodePlan): boolean {
  const def = g.defs[i]!;
  return (
    p.fast &&
    !p.guarded &&
    def.kind !== 'subworkflow' &&
    def.options.condition === undefined &&
    g.branchGate[i] === -1 &&
    g.groupOf[i] === -1 &&
    g.standby[i] === 0
  );
}
