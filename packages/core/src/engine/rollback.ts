import { lastValueFrom } from 'rxjs';
import { toObservable } from '../compile/to-observable.js';
import { FlowlaneError, isFlowlaneError } from '../errors.js';
import { commandOptions } from './health-check.js';
import { FAILED, type NodeExtra, SUCCESS } from './node-status.js';
import type { RunHost } from './run-host.js';

/** Limit of a rollback (command without `timeout`, or function), ms. */
const DEFAULT_ROLLBACK_TIMEOUT_MS = 300_000;

/** The state of a failed run that its rollback reads. */
export interface RollbackState {
  readonly st: Uint8Array;
  readonly attempts: Uint16Array;
  readonly extra: ReadonlyMap<number, NodeExtra> | undefined;
  readonly outputs: Readonly<Record<string, unknown>>;
}

/**
 * A failed run's rollback: in reverse topological order, every node with a `rollback` that completed (or whose work
 * was done but whose health check failed) is undone, each reported as `node.rolled-back` (with `error` when the
 * rollback failed, which is logged and does not stop the others).
 */
export async function rollbackRun(h: RunHost, s: RollbackState): Promise<void> {
  const g = h.g;
  const clock = h.rt.clock;
  const topo = g.topo;
  for (let k = topo.length - 1; k >= 0; k--) {
    const i = topo[k]!;
    const rb = g.defs[i]!.options.rollback;
    // Completed nodes are undone, and so are nodes whose work was done but whose health check failed.
    const healthFailed = s.st[i] === FAILED && isFlowlaneError(s.extra?.get(i)?.error, 'FL_HEALTH_CHECK_FAILED');
    if (rb === undefined || (s.st[i] !== SUCCESS && !healthFailed)) continue;
    const nodeId = g.ids[i]!;
    const t0 = clock.now();
    try {
      if (typeof rb === 'function') await rollbackFunction(h, s, i, rb);
      else
        await h.execHandle(i, rb.command, commandOptions(rb, DEFAULT_ROLLBACK_TIMEOUT_MS), new AbortController().signal)
          .result;
      h.emit({
        type: 'node.rolled-back',
        executionId: h.executionId,
        workflow: h.workflow,
        timestamp: clock.now(),
        nodeId,
        durationMs: clock.now() - t0,
      });
    } catch (cause) {
      const e = new FlowlaneError('FL_ROLLBACK_FAILED', { nodeId, reason: h.serialize(cause).message }, { cause });
      h.emit({
        type: 'node.rolled-back',
        executionId: h.executionId,
        workflow: h.workflow,
        timestamp: clock.now(),
        nodeId,
        durationMs: clock.now() - t0,
        error: h.serialize(e),
      });
      h.rt.logger.error('rollback failed', {
        executionId: h.executionId,
        nodeId,
        error: h.serialize(e).message,
      });
    }
  }
}

/** Runs a function rollback, given up (`FL_TIMEOUT`) after {@link DEFAULT_ROLLBACK_TIMEOUT_MS} of engine time. */
function rollbackFunction(
  h: RunHost,
  s: RollbackState,
  i: number,
  rb: (ctx: never, output: unknown) => unknown,
): Promise<unknown> {
  const nodeId = h.g.ids[i]!;
  return new Promise((resolve, reject) => {
    const timer = h.rt.clock.schedule(
      () => reject(new FlowlaneError('FL_TIMEOUT', { nodeId, ms: DEFAULT_ROLLBACK_TIMEOUT_MS })),
      DEFAULT_ROLLBACK_TIMEOUT_MS,
    );
    const settle =
      <T>(fn: (v: T) => void) =>
      (v: T) => {
        timer.unsubscribe();
        fn(v);
      };
    try {
      const r = rb(h.ctx(i, s.attempts[i]!) as never, s.outputs[nodeId]);
      lastValueFrom(toObservable(r as never), { defaultValue: undefined }).then(settle(resolve), settle(reject));
    } catch (e) {
      settle(reject)(e);
    }
  });
}
