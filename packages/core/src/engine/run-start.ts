import { FlowlaneError } from '../errors.js';
import { actionDenied } from './authorize-action.js';
import { workflowStarted } from './event-factory.js';
import { announceRunStart } from './propagation.js';
import { cancelRun, failRun, finishRun } from './run-finish.js';
import { checkInput } from './run-input.js';
import type { RunPlan } from './run-plan.js';
import type { RunState } from './run-state.js';

/**
 * The start of a run, once the engine admitted it: the `run` permission (top-level runs, with a policy that
 * authorizes actions), the caller's abort signal, the input schema; then `workflow.started` and the roots enter the
 * ready-queue.
 */
export function startRun(x: RunState, plan: RunPlan): void {
  if (x.done) return;
  x.plan = plan;
  const denied =
    x.parent === undefined && typeof x.rt.permissionPolicy.authorize === 'function'
      ? actionDenied(x.rt.permissionPolicy, {
          action: 'run',
          actor: x.actor,
          workflow: x.workflow,
          executionId: x.executionId,
        })
      : undefined;
  if (denied !== undefined) {
    failRun(x, denied, undefined);
    return;
  }
  const ext = x.externalSignal;
  if (ext !== undefined) {
    if (ext.aborted) {
      cancelRun(x, reasonText(ext.reason, 'aborted by the caller'));
      return;
    }
    x.onExternalAbort = () => cancelRun(x, reasonText(ext.reason, 'aborted by the caller'));
    ext.addEventListener('abort', x.onExternalAbort, { once: true });
  }
  const schema = x.internals.inputSchema;
  if (schema === undefined) {
    beginRun(x);
    return;
  }
  checkInput(
    schema,
    x.input,
    (value) => {
      if (x.done) return;
      x.input = value;
      beginRun(x);
    },
    (issues) => {
      if (!x.done) failRun(x, new FlowlaneError('FL_INVALID_INPUT', { workflow: x.workflow, issues }), undefined);
    },
  );
}

/** `workflow.started`, then the roots enter the ready-queue (a workflow of standby nodes only succeeds at once). */
function beginRun(x: RunState): void {
  x.begun = true;
  x.customMark = x.rt.lastCustom.mark();
  x.t0 = x.now = x.rt.clock.now();
  x.eventLog.listen(x.rt.customListeners);
  if (x.parent === undefined && x.rt.propagators.length > 0) {
    // Where the run was asked for (the engine kept it while the run waited: see propagation.ts).
    const origin = x.rt.runOrigins.get(x);
    x.rt.runOrigins.delete(x);
    announceRunStart(
      x.rt.propagators,
      {
        executionId: x.executionId,
        workflow: x.workflow,
        resumed: x.replay !== undefined,
        ...(x.triggeredBy === undefined ? {} : { triggeredBy: x.triggeredBy }),
      },
      origin,
      x.rt.logger,
    );
  }
  const started = workflowStarted(x, x.now, x.g.activeCount, x.actor?.id, x.triggeredBy, x.replay !== undefined);
  x.emit(started);
  const watchers = x.rt.runWatchers;
  if (watchers.hooks.length > 0) watchers.started(x.eventsView(), started);
  const roots = x.g.roots;
  for (let k = 0; k < roots.length; k++) x.queue[x.qt++] = roots[k]!;
  if (x.remaining === 0) finishRun(x, 'success');
  else x.pump();
}

function reasonText(reason: unknown, fallback: string): string {
  if (reason instanceof Error) return reason.message;
  if (typeof reason === 'string') return reason;
  return fallback;
}
