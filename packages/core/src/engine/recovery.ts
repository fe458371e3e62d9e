import { Observable, throwError } from 'rxjs';
import { type Boundary, errorBoundary } from '../compile/error-boundary.js';
import { withFallback } from '../compile/with-fallback.js';
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
 * Recovery of a failed node: its fallbacks in order (`withFallback`: `node.fell-back`, each admitted like a node),
 * then the error boundary whose `errorTypes` match (`errorBoundary`: `node.failed` with `handledBy`), then
 * `onError: 'continue'`, else the run fails with `FL_NODE_FAILED`. Fallbacks and boundaries are "standby" nodes: they
 * never enter the ready-queue; the node they recover settles with their output. The operators run only once a node
 * has failed, and only for nodes that have fallbacks or boundaries.
 */

/** What a standby node produced for the node it recovers. */
interface Recovered {
  readonly value: unknown;
  readonly s: number;
  readonly kind: 'fallback' | 'boundary';
}

const cancelled = (e: unknown): boolean => isFlowlaneError(e, 'FL_CANCELLED');

/** Node `i` failed (after its own retries): fallback → boundary → onError. */
export function nodeError(x: RunState, i: number, thrown: unknown): void {
  if (x.done) return;
  const error = readableThrown(thrown, true);
  x.now = x.rt.clock.now();
  const g = x.g;
  x.setExtra(i, { error });
  const chain = fallbacksOf(x, i);
  const boundaries = g.boundariesOf.get(i);
  if (chain.length === 0 && boundaries === undefined) {
    unrecovered(x, i, error, false);
    return;
  }
  let boundaryRan = false;
  const recovery$ = throwError(() => error).pipe(
    withFallback<Recovered>(
      chain.map((s) => (e: unknown) => standby$(x, i, s, e, 'fallback')),
      {
        // `onError: 'continue'` skips the fallbacks (not the boundaries); a cancelled node is not recovered.
        cascades: (e, k) => !cancelled(e) && (k > 0 || g.defs[i]!.options.onError !== 'continue'),
        fellBack: (e, k) =>
          x.emit(nodeFellBack(x, x.now, g.ids[k === 0 ? i : chain[k - 1]!]!, g.ids[chain[k]!]!, x.serialize(e))),
      },
    ),
    errorBoundary<Recovered>(
      (boundaries ?? []).map(
        (b): Boundary<Recovered> => ({
          matches: (e) => matches(x, b, e),
          handle: (e) => {
            boundaryRan = true;
            x.setExtra(i, { error: e });
            x.emit(failedEvent(x, i, e, { handledBy: g.ids[b]! }));
            return standby$(x, i, b, e, 'boundary');
          },
        }),
      ),
    ),
  );
  x.subscribe(
    i,
    recovery$,
    (r) => {
      const { s, kind } = r as Recovered;
      x.setExtra(i, kind === 'fallback' ? { fallbackUsed: g.ids[s]! } : { handledBy: g.ids[s]! });
      x.succeed(i, (r as Recovered).value, { kind, id: g.ids[s]! });
    },
    // A failing boundary fails the node it guards (its node.failed was emitted when the boundary took over).
    (e) => unrecovered(x, i, e, boundaryRan),
  );
}

/** The fallbacks of node `i`, in order. */
function fallbacksOf(x: RunState, i: number): number[] {
  const chain: number[] = [];
  for (let s = x.g.fallbackOf[i]!; s !== -1; s = x.g.fallbackOf[s]!) chain.push(s);
  return chain;
}

/** Node `i` was not recovered: `onError: 'continue'` settles it as failed, else the run fails. */
function unrecovered(x: RunState, i: number, error: unknown, boundaryRan: boolean): void {
  if (x.done) return;
  const g = x.g;
  const nodeId = g.ids[i]!;
  x.setExtra(i, { error });
  const status = isFlowlaneError(error, 'FL_TIMEOUT') ? TIMEOUT : FAILED;
  const continued = g.defs[i]!.options.onError === 'continue';
  if (!boundaryRan) x.emit(failedEvent(x, i, error, continued ? { continued: true } : undefined));
  if (continued) {
    x.settle(i, status);
    return;
  }
  x.st[i] = status;
  x.dur[i] = x.now - x.started[i]!;
  release(x, i, 'failed');
  failRun(
    x,
    new FlowlaneError(
      'FL_NODE_FAILED',
      { nodeId, reason: x.serialize(error).message },
      { cause: x.redactor?.active === true ? rebuildError(x.serialize(error)) : error },
    ),
    nodeId,
  );
}

function failedEvent(
  x: RunState,
  i: number,
  error: unknown,
  extra?: { readonly handledBy: string } | { readonly continued: true },
) {
  return nodeFailed(x, x.now, x.g.ids[i]!, x.attempts[i]!, x.now - x.started[i]!, x.serialize(error), extra);
}

/**
 * Standby node `s` (a fallback or boundary of `owner`) as a stream: with a scheduler, the owner's lease is handed back
 * first (released as `cancelled`: its work is over, and a recovered failure must not trip `failFast`), then `s` is
 * admitted like any node — its own `resources` and worker — at the higher of its own and its owner's priority; then
 * its chain runs (a boundary's with the error it handles). Its own success or failure is recorded here.
 */
function standby$(
  x: RunState,
  owner: number,
  s: number,
  error: unknown,
  kind: 'fallback' | 'boundary',
): Observable<Recovered> {
  return new Observable<Recovered>((sub) => {
    const ownerLease = takeLease(x, owner);
    if (ownerLease !== undefined) x.rt.scheduler?.release(ownerLease, 'cancelled');
    const failed = (thrown: unknown) => {
      if (x.done) return;
      sub.error(standbyFailed(x, owner, s, kind, thrown));
    };
    let inner: { unsubscribe(): void } | undefined;
    const defs = x.g.defs;
    acquire(
      x,
      s,
      Math.max(defs[s]!.options.priority ?? 0, defs[owner]!.options.priority ?? 0),
      () => {
        x.beginNode(s);
        let value: unknown;
        inner = x.plan.chains[s]!(x.host(), s, kind === 'boundary' ? error : undefined).subscribe({
          next: (v) => {
            value = v;
          },
          error: failed,
          complete: () => {
            x.now = x.rt.clock.now();
            succeedStandby(x, s, value);
            sub.next({ value, s, kind });
            sub.complete();
          },
        });
      },
      (e) => {
        if (x.done) return;
        x.beginNode(s);
        failed(e);
        x.pump();
      },
    );
    return () => inner?.unsubscribe();
  });
}

/** Standby `s` (running for `owner`) failed: its own record and event; returns the error recovery goes on with. */
function standbyFailed(x: RunState, owner: number, s: number, kind: 'fallback' | 'boundary', thrown: unknown): unknown {
  const e = readableThrown(thrown, true);
  const g = x.g;
  x.now = x.rt.clock.now();
  x.setExtra(s, { error: e });
  const status = isFlowlaneError(e, 'FL_TIMEOUT') ? TIMEOUT : FAILED;
  x.emit(nodeFailed(x, x.now, g.ids[s]!, x.attempts[s]!, x.now - x.started[s]!, x.serialize(e)));
  x.st[s] = status;
  x.dur[s] = x.now - x.started[s]!;
  const cascades = kind === 'fallback' && g.fallbackOf[s] !== -1 && !cancelled(e);
  // 'failed' only when this failure is final for the owner (schedulers act on it, e.g. failFast).
  const handled = cascades || (kind === 'fallback' && boundaryFor(x, owner, e) !== -1);
  release(x, s, handled ? 'cancelled' : 'failed');
  return e;
}

/** Boundary `b` handles `error`. */
function matches(x: RunState, b: number, error: unknown): boolean {
  if (cancelled(error)) return false;
  const types = x.g.defs[b]!.errorTypes;
  return types === undefined || matchesError(error, types);
}

/** The error boundary that handles `error` of node `i`, or -1. */
function boundaryFor(x: RunState, i: number, error: unknown): number {
  const boundaries = x.g.boundariesOf.get(i);
  if (boundaries !== undefined) for (const b of boundaries) if (matches(x, b, error)) return b;
  return -1;
}

function succeedStandby(x: RunState, s: number, value: unknown): void {
  const now = x.now;
  x.outputs[x.g.ids[s]!] = value;
  x.emit(nodeCompleted(x, now, x.g.ids[s]!, x.attempts[s]!, now - x.started[s]!));
  x.st[s] = SUCCESS;
  x.dur[s] = now - x.started[s]!;
  release(x, s, 'success');
}
