import { randomUUID } from 'node:crypto';
import type { RunOptions } from '../contracts/run-types.js';
import { FlowlaneError } from '../errors.js';
import type { EnqueuedRun, EnqueueOptions } from '../plugin/contracts/run-queue.js';
import type { Workflow } from '../workflow.js';
import type { EngineCore } from './engine-core.js';
import { Execution } from './execution.js';
import { type CapturedOrigin, runOriginCarrier } from './propagation.js';
import { checkRunOptions } from './run-options.js';
import { enqueueRun } from './run-queue.js';
import { failBeforeStart } from './run-stop.js';
import { validateRunArgs } from './validate-options.js';

/**
 * A run asked for by `engine.run`, a trigger, a schedule or a queue consumer: checked, registered under its id, then
 * admitted (flow control, a slot under `maxConcurrentRuns`, or the queue) — or failed at once when plugin setup
 * failed. `origin` is the caller's context (see propagation.ts).
 */
export function submitRun(
  core: EngineCore,
  wf: Workflow<unknown, object>,
  input: unknown,
  options: RunOptions,
  origin: CapturedOrigin | undefined,
): Execution {
  if (core.closed) throw new FlowlaneError('FL_ENGINE_CLOSED', {});
  // Checked before the run is registered: a bad option must not take a slot under maxConcurrentRuns.
  validateRunArgs(wf, options);
  options = checkRunOptions(options);
  const id = options.executionId ?? randomUUID();
  if (core.runs.active.has(id)) throw new FlowlaneError('FL_DUPLICATE_EXECUTION', { executionId: id });
  const exec = new Execution(core.rt, wf, input, options, id);
  if (origin !== undefined) core.rt.runOrigins.set(exec, origin);
  core.runs.active.set(id, exec);
  if (core.readyError !== undefined) failBeforeStart(exec, core.readyError);
  else core.runs.admit(exec, input, options.priority);
  core.triggers.watch(exec);
  return exec;
}

/**
 * `engine.enqueue`: the run goes to the installed run queue with the caller's context (taken synchronously when the
 * propagators are known, else after plugin setup, in the same async context).
 */
export async function submitToQueue<TOut extends object>(
  core: EngineCore,
  wf: Workflow<unknown, TOut>,
  input: unknown,
  options: EnqueueOptions | undefined,
): Promise<EnqueuedRun<TOut>> {
  if (core.closed) throw new FlowlaneError('FL_ENGINE_CLOSED', {});
  let carrier = core.isReady ? runOriginCarrier(core.rt.propagators, core.rt.logger) : undefined;
  await (core.ready ?? Promise.resolve());
  carrier ??= runOriginCarrier(core.rt.propagators, core.rt.logger);
  return enqueueRun(core.rt.runQueue, wf, input, options, carrier);
}
