import type { NodeDef } from '../builder/node-def.js';
import type { FlowEvent } from '../contracts/events.js';
import type { Run } from '../contracts/run-types.js';
import { FlowlaneError } from '../errors.js';
import type { Actor } from '../plugin/types.js';
import type { Workflow } from '../workflow.js';
import type { EngineServices } from './engine-services.js';
import { propagationCarrier } from './propagation.js';
import type { RunNodeContext } from './run-node-context.js';

/**
 * A subworkflow node: its function maps the context to the child's input, then the child runs as
 * `<parent id>/<node id>` (same actor, aborted with the node) and the node's output is the child's outputs; a child
 * that does not succeed fails the node with its error. With `runOn: '<group>'` and a run queue that implements
 * `runChild` (a queue plugin), the child runs on a coordinator of that group instead and its events are forwarded
 * onto this run's stream.
 */
export function runSubworkflow<X extends Run & { forward(e: FlowEvent): void }>(
  rt: EngineServices<X>,
  def: NodeDef,
  ctx: RunNodeContext,
  parent: X,
  actor: Actor | undefined,
): Promise<unknown> {
  const mapped = (def.fn as (c: RunNodeContext) => unknown)(ctx);
  return Promise.resolve(mapped).then(async (input) => {
    const child = def.child as Workflow<unknown, object>;
    const executionId = `${parent.executionId}/${def.id}`;
    const runOn = def.options.runOn;
    const queue = rt.runQueue;
    if (runOn !== undefined && runOn !== 'local' && queue?.runChild !== undefined) {
      // The node attempt's context (e.g. its span): the child run on the other coordinator is its child.
      const carrier = propagationCarrier(
        rt.propagators,
        { executionId: parent.executionId, workflow: parent.workflow, nodeId: def.id, attempt: ctx.attempt },
        rt.logger,
      );
      return queue.runChild({
        executionId,
        workflow: child.name,
        version: child.version,
        input,
        actor,
        group: runOn,
        parentExecutionId: parent.executionId,
        nodeId: def.id,
        attempt: ctx.attempt,
        signal: ctx.signal,
        onEvent: (e) => parent.forward({ ...e, parentExecutionId: parent.executionId }),
        ...(Object.keys(carrier).length === 0 ? {} : { carrier }),
      });
    }
    const run = rt.startChild(child, input, { executionId, actor, signal: ctx.signal }, parent);
    const r = await run.result;
    if (r.status === 'success') return r.outputs;
    throw r.error ?? new FlowlaneError('FL_CANCELLED', { executionId: run.executionId, reason: r.status });
  });
}
