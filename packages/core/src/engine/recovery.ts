import { matchesError } from '../compile/with-retry.js';
import { FlowlaneError, isFlowlaneError } from '../errors.js';
import { readableThrown } from '../runtime/readable-error.js';
import { nodeCompleted, nodeFailed, nodeFellBack } from './event-factory.js';
import { acquire, release, takeLease } from './node-gates.js';
import { FAILED, SUCCESS, TIMEOUT } from './node-status.js';
import { failRun } from './run-finish.js';
import { rebuildError } from './run-result.js';
import type { RunState } from './run-state.js';

/**
 * Recovery of a failed node: its fallbacks in order (`node.fell-back`, each admitted like a node), then the error
 * boundary whose `errorTypes` match (`node.failed` with `handledBy`), then `onError: 'continue'`, else the run fails
 * with `FL_NODE_FAILED`. Fallbacks and boundaries are "standby" nodes: they never enter the ready-queue; the node they
 * recover settles with their output.
 */

/** Node `i` failed (after its own retries): fallback → boundary → onError. */
export function nodeError(h: RunState, i: number, thrown: unknown): void {
  if (h.done) return;
  const error = readableThrown(thrown, true);
  h.now = h.rt.clock.now();
  const g = h.g;
  const fb = g.fallbackOf[i]!;
  if (fb !== -1 && g.defs[i]!.options.onError !== 'continue' && !isFlowlaneError(error, 'FL_CANCELLED')) {
    h.setExtra(i, { error });
    h.emit(nodeFellBack(h, h.now, g.ids[i]!, g.ids[fb]!, h.serialize(error)));
    runStandby(h, i, fb, error, 'fallback');
    return;
  }
  afterFallbacks(h, i, error);
}

/**
 * Node `i` failed and no fallback recovered it: an error boundary, then `onError: 'continue'`, then the run fails.
 * `boundaryFailed` is set when the boundary handling `i` failed itself (its `node.failed` was already emitted).
 */
function afterFallbacks(h: RunState, i: number, error: unknown, boundaryFailed = false): void {
  const g = h.g;
  const nodeId = g.ids[i]!;
  h.setExtra(i, { error });
  const status = isFlowlaneError(error, 'FL_TIMEOUT') ? TIMEOUT : FAILED;
  const continued = g.defs[i]!.options.onError === 'continue';
  if (!boundaryFailed) {
    const failed = (extra?: { readonly handledBy: string } | { readonly continued: true }) =>
      nodeFailed(h, h.now, nodeId, h.attempts[i]!, h.now - h.started[i]!, h.serialize(error), extra);
    const b = boundaryFor(h, i, error);
    if (b !== -1) {
      h.emit(failed({ handledBy: g.ids[b]! }));
      runStandby(h, i, b, error, 'boundary');
      return;
    }
    h.emit(failed(continued ? { continued: true } : undefined));
  }
  if (continued) {
    h.settle(i, status);
    return;
  }
  h.st[i] = status;
  h.dur[i] = h.now - h.started[i]!;
  release(h, i, 'failed');
  failRun(
    h,
    new FlowlaneError(
      'FL_NODE_FAILED',
      { nodeId, reason: h.serialize(error).message },
      { cause: h.redactor?.active === true ? rebuildError(h.serialize(error)) : error },
    ),
    nodeId,
  );
}

/**
 * Runs fallback or boundary node `s` on behalf of node `owner`. With a scheduler, the owner's lease is handed back
 * first (released as `cancelled`: its work is over, and a recovered failure must not trip `failFast`), then `s` is
 * admitted like any node — its own `resources` and worker — at the higher of its own and its owner's priority.
 */
function runStandby(h: RunState, owner: number, s: number, error: unknown, kind: 'fallback' | 'boundary'): void {
  const ownerLease = takeLease(h, owner);
  if (ownerLease !== undefined) h.rt.scheduler?.release(ownerLease, 'cancelled');
  const defs = h.g.defs;
  acquire(
    h,
    s,
    Math.max(defs[s]!.options.priority ?? 0, defs[owner]!.options.priority ?? 0),
    () => startStandby(h, owner, s, error, kind),
    (e) => {
      if (h.done) return;
      h.beginNode(s);
      standbyFailed(h, owner, s, kind, e);
      h.pump();
    },
  );
}

function startStandby(h: RunState, owner: number, s: number, error: unknown, kind: 'fallback' | 'boundary'): void {
  const g = h.g;
  h.beginNode(s);
  h.subscribe(
    s,
    h.pipeline(s, kind === 'boundary' ? error : undefined),
    (value) => {
      h.now = h.rt.clock.now();
      succeedStandby(h, s, value);
      h.setExtra(owner, kind === 'fallback' ? { fallbackUsed: g.ids[s]! } : { handledBy: g.ids[s]! });
      h.succeed(owner, value, { kind, id: g.ids[s]! });
    },
    (e) => standbyFailed(h, owner, s, kind, e),
  );
}

/** Standby `s` (running for `owner`) failed: the next fallback, else the owner's boundary, else the owner fails. */
function standbyFailed(h: RunState, owner: number, s: number, kind: 'fallback' | 'boundary', thrown: unknown): void {
  if (h.done) return;
  const e = readableThrown(thrown, true);
  const g = h.g;
  h.now = h.rt.clock.now();
  h.setExtra(s, { error: e });
  const status = isFlowlaneError(e, 'FL_TIMEOUT') ? TIMEOUT : FAILED;
  h.emit(nodeFailed(h, h.now, g.ids[s]!, h.attempts[s]!, h.now - h.started[s]!, h.serialize(e)));
  h.st[s] = status;
  h.dur[s] = h.now - h.started[s]!;
  const next = g.fallbackOf[s]!;
  const cascades = kind === 'fallback' && next !== -1 && !isFlowlaneError(e, 'FL_CANCELLED');
  // 'failed' only when this failure is final for the owner (schedulers act on it, e.g. failFast).
  const handled = cascades || (kind === 'fallback' && boundaryFor(h, owner, e) !== -1);
  release(h, s, handled ? 'cancelled' : 'failed');
  if (cascades) {
    h.emit(nodeFellBack(h, h.now, g.ids[s]!, g.ids[next]!, h.serialize(e)));
    runStandby(h, owner, next, e, 'fallback');
  } else if (kind === 'fallback') afterFallbacks(h, owner, e);
  else {
    // A failing boundary fails the node it guards.
    afterFallbacks(h, owner, e, true);
  }
}

/** The error boundary that handles `error` of node `i`, or -1. */
function boundaryFor(h: RunState, i: number, error: unknown): number {
  const boundaries = h.g.boundariesOf.get(i);
  if (boundaries === undefined || isFlowlaneError(error, 'FL_CANCELLED')) return -1;
  for (const b of boundaries) {
    const types = h.g.defs[b]!.errorTypes;
    if (types === undefined || matchesError(error, types)) return b;
  }
  return -1;
}

function succeedStandby(h: RunState, s: number, value: unknown): void {
  const now = h.now;
  h.outputs[h.g.ids[s]!] = value;
  h.emit(nodeCompleted(h, now, h.g.ids[s]!, h.attempts[s]!, now - h.started[s]!));
  h.st[s] = SUCCESS;
  h.dur[s] = now - h.started[s]!;
  release(h, s, 'success');
}
