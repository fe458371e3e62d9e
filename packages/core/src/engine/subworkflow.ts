import type { NodeDef } from '../builder/node-def.js';
import { FlowlaneError } from '../errors.js';
import type { Actor } from '../plugin/types.js';
import type { Workflow } from '../workflow.js';
import type { EngineServices } from './engine-services.js';
import type { RunNodeContext } from './run-node-context.js';
import type { Run } from './run-types.js';

/**
 * A subworkflow node: its function maps the context to the child's input, then the child runs as
 * `<parent id>/<node id>` (same actor, aborted with the node) and the node's output is the child's outputs; a child
 * that does not succeed fails the node with its error.
 */
export function runSubworkflow<X extends Run>(
  rt: EngineServices<X>,
  def: NodeDef,
  ctx: RunNodeContext,
  parent: X,
  actor: Actor | undefined,
): Promise<unknown> {
  const mapped = (def.fn as (c: RunNodeContext) => unknown)(ctx);
  return Promise.resolve(mapped).then(async (input) => {
    const child = rt.startChild(
      def.child as Workflow<unknown, object>,
      input,
      { executionId: `${parent.executionId}/${def.id}`, actor, signal: ctx.signal },
      parent,
    );
    const r = await child.result;
    if (r.status === 'success') return r.outputs;
    throw r.error ?? new FlowlaneError('FL_CANCELLED', { executionId: child.executionId, reason: r.status });
  });
}
