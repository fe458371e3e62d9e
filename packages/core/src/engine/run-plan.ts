import { planWorkflow, type WorkflowPlan } from '../compile/node-plan.js';
import { internalsOf, type Workflow } from '../workflow.js';
import type { EngineServices } from './engine-services.js';
import { buildNodeChain, type NodeChain } from './node-pipeline.js';

/** A workflow's plan on one engine: per node, how it runs (`NodePlan`) and its operator chain. */
export interface RunPlan extends WorkflowPlan {
  /** Node `i`'s operator chain (nodes without options share one plain chain). */
  readonly chains: readonly NodeChain[];
}

/** Compiles `wf` for engine `rt`: once per (engine, workflow), on its first run (see `RunTable.planFor`). */
export function planRun(rt: EngineServices, wf: Workflow<unknown, object>): RunPlan {
  const { nodes } = planWorkflow(rt, wf);
  const g = internalsOf(wf).graph;
  return { nodes, chains: nodes.map((p, i) => buildNodeChain(rt, g.defs[i]!, p, g.standby[i] === 1)) };
}
