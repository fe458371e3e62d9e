import { FlowlaneError } from '../errors.js';
import type { Actor } from '../plugin/types.js';
import { authorizeAction } from './authorize-action.js';
import type { EngineCore } from './engine-core.js';
import type { Execution } from './execution.js';

/** An active run (top-level or subworkflow) by id, else `FL_EXECUTION_NOT_FOUND`. */
function activeRun(core: EngineCore, executionId: string): Execution {
  const exec = core.runs.find(executionId);
  if (exec === undefined) throw new FlowlaneError('FL_EXECUTION_NOT_FOUND', { executionId });
  return exec;
}

/** `engine.signal`: the `signal` permission of `actor` (a policy that implements `authorize`), then the delivery. */
export async function signalRun(
  core: EngineCore,
  executionId: string,
  name: string,
  payload: unknown,
  actor: Actor | undefined,
): Promise<void> {
  const exec = activeRun(core, executionId);
  const { workflow } = exec;
  authorizeAction(core.rt.permissionPolicy, { action: 'signal', actor, workflow, executionId, signal: name });
  await exec.signal(name, payload);
}

/** `engine.cancel`: the `cancel` permission of `actor` (a policy that implements `authorize`), then the cancellation. */
export function cancelRunById(
  core: EngineCore,
  executionId: string,
  reason: string | undefined,
  actor: Actor | undefined,
): void {
  const exec = activeRun(core, executionId);
  const { workflow } = exec;
  authorizeAction(core.rt.permissionPolicy, { action: 'cancel', actor, workflow, executionId });
  exec.cancel(reason);
}
