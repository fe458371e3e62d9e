import type { Journal } from './journal.js';
import { FAILED, SKIPPED, SUCCESS, WAITING } from './node-status.js';
import type { ReplayState } from './replay.js';
import { rebuildError } from './run-result.js';
import type { RunState } from './run-state.js';
import { signalBox } from './signals.js';

/**
 * A resumed run (`durability.ts`): the state its log rebuilt. Standby nodes that completed keep their outputs,
 * buffered signals and custom events carry over; graph nodes settle from the log as the ready-queue reaches them.
 */
export function attachJournal(x: RunState, journal: Journal, replay: ReplayState | undefined): void {
  x.journal = journal;
  x.replay = replay;
  if (replay === undefined) return;
  const g = x.g;
  for (let i = 0; i < g.ids.length; i++) {
    const r = replay.nodes.get(g.ids[i]!);
    // Fallbacks and boundaries that completed keep their outputs (they never enter the ready-queue).
    if (g.standby[i] === 1 && r?.status === 'success') {
      x.outputs[g.ids[i]!] = r.output;
      x.attempts[i] = r.attempts;
      x.dur[i] = r.durationMs;
      x.st[i] = SUCCESS;
    }
  }
  for (const [name, left] of replay.signals)
    if (left.length > 0) signalBox((x.signals ??= new Map()), name).buffer.push(...left.map((s) => s.payload));
  for (const [name, c] of replay.custom)
    (x.custom ??= new Map()).set(name, {
      type: 'custom',
      executionId: x.executionId,
      workflow: x.workflow,
      timestamp: c.at,
      name,
      ...(c.nodeId === undefined ? {} : { nodeId: c.nodeId }),
      payload: c.payload,
    });
}

/** Settles node `i` from the log when its outcome there is final (it does not run again): true when it did. */
export function replayNode(x: RunState, replay: ReplayState, i: number): boolean {
  const id = x.g.ids[i]!;
  const r = replay.nodes.get(id);
  if (r === undefined) {
    const last = replay.attempts.get(id);
    if (last === undefined) return false;
    // In flight at the crash: it runs again as the next attempt, after what was left of a retry delay.
    x.attempts[i] = last;
    const retryAt = replay.retryAt.get(id);
    replay.attempts.delete(id);
    replay.retryAt.delete(id);
    const wait = retryAt === undefined ? 0 : retryAt - x.rt.clock.now();
    if (wait <= 0) return false;
    x.st[i] = WAITING;
    const timer = x.rt.clock.schedule(() => {
      x.subs?.delete(i);
      if (x.done) return;
      x.now = x.rt.clock.now();
      x.startNode(i);
      x.pump();
    }, wait);
    (x.subs ??= new Map()).set(i, timer);
    return true;
  }
  x.started[i] = x.now - r.durationMs;
  x.attempts[i] = r.attempts;
  if (r.status === 'success') {
    x.outputs[id] = r.output;
    if (r.fallbackUsed !== undefined || r.handledBy !== undefined || r.cacheHit === true)
      x.setExtra(i, {
        ...(r.fallbackUsed === undefined ? {} : { fallbackUsed: r.fallbackUsed }),
        ...(r.handledBy === undefined ? {} : { handledBy: r.handledBy }),
        ...(r.cacheHit === true ? { cacheHit: true } : {}),
      });
    x.settle(i, SUCCESS);
  } else if (r.status === 'skipped') x.settle(i, SKIPPED);
  else {
    x.setExtra(i, { error: rebuildError(r.error!) });
    x.settle(i, FAILED);
  }
  return true;
}
