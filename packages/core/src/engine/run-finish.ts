import { isThenable } from '../compile/to-observable.js';
import type { RunStatus } from '../contracts/events.js';
import type { NodeRecord, RunResult } from '../contracts/run-types.js';
import { FlowlaneError, serializeError } from '../errors.js';
import { nodeCancelled, workflowCancelled, workflowCompleted, workflowFailed } from './event-factory.js';
import { LAZY_RECORDS_MIN_NODES, lazyRunResult } from './lazy-result.js';
import { release } from './node-gates.js';
import { CANCELLED, PENDING, RUNNING } from './node-status.js';
import { rollbackRun } from './rollback.js';
import { nodeRecords, type RecordState, redactRunError } from './run-result.js';
import type { RunState } from './run-state.js';

/**
 * The end of a run: nodes still in flight are cancelled (`node.cancelled`), a failed run rolls back what it did,
 * then the last event, the cleanup (listeners, state store, artifacts), the engine's bookkeeping and the result —
 * for a durable run, once its last record is stored.
 */

/** Cancels the run (`run.cancel`, an aborted caller signal). */
export function cancelRun(x: RunState, reason: string): void {
  if (x.done) return;
  x.runError = new FlowlaneError('FL_CANCELLED', { executionId: x.executionId, reason });
  finishRun(x, 'cancelled');
}

/** The run fails with `error`, because of node `nodeId`. */
export function failRun(x: RunState, error: FlowlaneError, nodeId: string | undefined): void {
  x.runError = error;
  x.failedNode = nodeId;
  finishRun(x, 'failed');
}

/** Ends the run with `status` (once; later calls do nothing). */
export function finishRun(x: RunState, status: RunStatus): void {
  if (x.done) return;
  x.done = true;
  x.now = x.rt.clock.now();
  if (status !== 'success') stopInFlight(x, status);
  if (status === 'failed' && x.begun) {
    const after = () => finalize(x, status, x.rt.clock.now());
    rollbackRun(x.host(), { st: x.st, attempts: x.attempts, extra: x.extra, outputs: x.outputs }).then(after, after);
    return;
  }
  finalize(x, status, x.now);
}

/** The run ends early: pipelines and timers are unsubscribed, the run's signal aborts, nodes still open cancel. */
function stopInFlight(x: RunState, status: RunStatus): void {
  const reason = x.runError ?? new FlowlaneError('FL_CANCELLED', { executionId: x.executionId, reason: status });
  const subs = x.subs;
  x.subs = undefined;
  if (subs !== undefined) for (const s of subs.values()) s.unsubscribe();
  x.ctrl?.abort(reason);
  const st = x.st;
  for (let i = 0; i < st.length; i++) {
    if (st[i]! <= RUNNING && (x.g.standby[i] === 0 || st[i] !== PENDING)) {
      if (st[i] === RUNNING) {
        x.dur[i] = x.now - x.started[i]!;
        // Nodes cut short get an event of their own, so exporters can close what node.started opened.
        x.emit(nodeCancelled(x, x.now, x.g.ids[i]!, x.attempts[i]!, x.dur[i]!, reason.message));
      }
      st[i] = CANCELLED;
      release(x, i, 'cancelled');
    }
  }
  const signals = x.signals;
  if (signals !== undefined) for (const box of signals.values()) box.waiters.length = 0;
}

/** `now`: the clock read at the end of the run (by `finishRun`, or after the rollback). */
function finalize(x: RunState, status: RunStatus, now: number): void {
  const durationMs = now - (x.begun ? x.t0 : now);
  const end =
    status === 'success'
      ? workflowCompleted(x, now, durationMs)
      : status === 'cancelled'
        ? workflowCancelled(
            x,
            now,
            durationMs,
            (x.runError?.details as { reason?: string } | undefined)?.reason ?? 'cancelled',
          )
        : workflowFailed(x, now, durationMs, x.failedNode, x.serialize(x.runError));
  x.emit(end);

  x.eventLog.complete();
  const watchers = x.rt.runWatchers;
  if (x.begun && watchers.hooks.length > 0) watchers.settled(x.eventsView(), end);
  x.eventLog.unlisten(x.rt.customListeners);
  if (x.onExternalAbort !== undefined) x.externalSignal?.removeEventListener('abort', x.onExternalAbort);
  if (x.storageView !== undefined) releaseState(x);
  if (x.artifactStage !== undefined) x.artifactStage.cleanup(x.host());
  x.rt.settled(x);
  const result = buildResult(x, status, durationMs);
  // A durable run reports its outcome only once its last record is stored.
  if (x.journal === undefined) x.resolveResult(result);
  else
    x.journal
      .flushed()
      .then(() =>
        x.resolveResult(
          x.storeFailure === undefined
            ? result
            : { ...result, status: 'failed', error: redactRunError(x.redactor, x.storeFailure) },
        ),
      );
}

/** The run used `ctx.storage`: the state store may drop its keys. */
function releaseState(x: RunState): void {
  try {
    const r = x.rt.stateStore.release?.(x.executionId);
    if (isThenable(r))
      r.then(undefined, (e: unknown) => x.rt.logger.warn('state store release failed', { error: String(e) }));
  } catch (e) {
    x.rt.logger.warn('state store release failed', { error: String(e) });
  }
}

function buildResult(x: RunState, status: RunStatus, durationMs: number): RunResult {
  const error = x.runError === undefined ? undefined : redactRunError(x.redactor, x.runError);
  const state: RecordState = {
    g: x.g,
    st: x.st,
    attempts: x.attempts,
    dur: x.dur,
    outputs: x.outputs,
    extra: x.extra,
    redactor: x.redactor,
    serialize: (e) => x.serialize(e),
  };
  // Records of a large run are built on first read (lazy-result.ts) from state that no longer changes. A run that
  // redacts builds them now (its redaction set is shared with its family and may grow after it ended).
  if (x.g.ids.length < LAZY_RECORDS_MIN_NODES || x.redactor?.active === true)
    return {
      executionId: x.executionId,
      workflow: x.workflow,
      status,
      outputs: x.outputs,
      nodes: nodeRecords(state),
      ...(error === undefined ? {} : { error }),
      durationMs,
    };
  const fields = { executionId: x.executionId, workflow: x.workflow, status, outputs: x.outputs, error, durationMs };
  return lazyRunResult(fields, recordsLater(state));
}

/**
 * The records' builder of a lazy result. A function of its own so that its closure holds the run's per-node state
 * only, never the run (a closure made in {@link buildResult} would share its context, which holds the run).
 */
function recordsLater(state: RecordState): () => Record<string, NodeRecord> {
  const lazy: RecordState = {
    g: state.g,
    st: state.st,
    attempts: state.attempts,
    dur: state.dur,
    outputs: state.outputs,
    extra: state.extra,
    redactor: undefined,
    serialize: (e) => serializeError(e),
  };
  return () => nodeRecords(lazy);
}
