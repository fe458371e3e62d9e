import { FlowlaneError, isFlowlaneError } from '../errors.js';
import type { Actor } from '../plugin/types.js';
import { authorizeAction } from './authorize-action.js';
import type { Durability } from './durability.js';
import type { EngineRegistry } from './engine-registry.js';
import { Execution } from './execution.js';
import type { CapturedOrigin } from './propagation.js';
import type { RunTable } from './run-table.js';

/** What resuming a run needs from its engine. */
export interface ResumeHost {
  readonly rt: EngineRegistry<Execution>;
  readonly durable: Durability;
  readonly runs: RunTable;
  closed(): boolean;
  ready(): Promise<void>;
}

/**
 * Continues run `executionId` from its log (`engine.resume`, or `resume: 'auto'` with `force` false): takes its lease,
 * rebuilds the run from the log (journal, `ctx.storage`), then admits it like a new run (flow control counts it).
 * Undefined when `force` is false and another engine holds a live lease.
 */
export async function resumeRun(
  h: ResumeHost,
  executionId: string,
  force: boolean,
  origin: CapturedOrigin | undefined,
  actor?: Actor,
): Promise<Execution | undefined> {
  if (h.closed()) throw new FlowlaneError('FL_ENGINE_CLOSED', {});
  await h.ready();
  if (h.runs.active.has(executionId)) throw new FlowlaneError('FL_DUPLICATE_EXECUTION', { executionId });
  const r = await h.durable.take(
    executionId,
    force,
    force
      ? (workflow) => authorizeAction(h.rt.permissionPolicy, { action: 'resume', actor, workflow, executionId })
      : undefined,
  );
  if (r === undefined) return undefined;
  if (h.closed()) throw new FlowlaneError('FL_ENGINE_CLOSED', {});
  if (h.runs.active.has(executionId)) throw new FlowlaneError('FL_DUPLICATE_EXECUTION', { executionId });
  const started = r.state.started;
  const exec = new Execution(
    h.rt,
    r.workflow,
    started.input,
    started.actor === undefined ? {} : { actor: started.actor },
    executionId,
  );
  exec.attachJournal(h.durable.journalForResumed(exec, r), r.state);
  // Where the run first started (its propagators' `runContext`, kept in its first record) goes to `runStarting`.
  const first = started.carrier;
  const from = first === undefined ? origin : { ...origin, started: first };
  if (from !== undefined) h.rt.runOrigins.set(exec, from);
  // ctx.storage as the log left it (a durable state store already has it; writing it again is harmless).
  for (const [key, v] of r.state.storage)
    await (v.deleted ? h.rt.stateStore.delete(executionId, key) : h.rt.stateStore.set(executionId, key, v.value));
  h.runs.active.set(executionId, exec);
  // Flow control again: the resumed run counts against its concurrency key (flow-control/gate.ts).
  h.runs.admit(exec, started.input, undefined, true);
  return exec;
}

/** One run found by `resume: 'auto'`: resumed when its lease expired and this engine wins the claim. */
export async function autoResume(h: ResumeHost, executionId: string): Promise<void> {
  if (h.runs.active.has(executionId)) return;
  try {
    // Nobody asked for it: no origin.
    await resumeRun(h, executionId, false, undefined);
  } catch (e) {
    if (h.durable.unregistered === 'fail' && isFlowlaneError(e, 'FL_VERSION_NOT_REGISTERED')) {
      await h.durable.failUnregistered(executionId, e as FlowlaneError);
      return;
    }
    throw e;
  }
}
