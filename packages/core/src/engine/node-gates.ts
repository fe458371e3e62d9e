import { isThenable } from '../compile/to-observable.js';
import type { Lease } from '../plugin/types.js';
import { WAITING } from './node-status.js';
import { RunNodeContext } from './run-node-context.js';
import type { RunServices } from './run-services.js';
import type { RunState } from './run-state.js';

/**
 * The gates a node passes between the ready-queue and its run, for nodes that have them: its `condition`, its
 * concurrency group's slots, the scheduler's admission (a lease, released when the node settles). Plain nodes pass
 * none of them: the ready-queue checks one flag for each.
 */

/**
 * Evaluates node `i`'s `condition`: `pass` when it holds (at once or when its promise resolves), else the node is
 * skipped; a condition that throws or rejects fails the node.
 */
export function checkCondition(x: RunServices, i: number, condition: (ctx: never) => unknown, pass: () => void): void {
  x.st[i] = WAITING;
  let ok: unknown;
  try {
    ok = condition(new RunNodeContext(x, i, 0) as never);
  } catch (e) {
    failBeforeRun(x, i, e);
    return;
  }
  if (isThenable(ok)) {
    ok.then(
      (v) => {
        if (x.done) return;
        x.now = x.rt.clock.now();
        if (v) pass();
        else x.skip(i, 'condition');
        x.pump();
      },
      (e: unknown) => failBeforeRun(x, i, e),
    );
    return;
  }
  if (ok) pass();
  else x.skip(i, 'condition');
}

/**
 * Node `i` of concurrency group `gi` (with a finite cap): true when it must wait for a slot (it is queued in its
 * group and starts when a running member settles), false when it took one.
 */
export function waitForGroupSlot(x: RunState, i: number, gi: number, cap: number): boolean {
  const running = (x.groupRunning ??= new Int32Array(x.g.groups.length));
  if (running[gi]! >= cap) {
    x.st[i] = WAITING;
    const waiting = (x.groupWaiting ??= x.g.groups.map(() => []));
    waiting[gi]!.push(i);
    return true;
  }
  running[gi]!++;
  (x.groupAdmitted ??= new Uint8Array(x.g.ids.length))[i] = 1;
  return false;
}

/**
 * Asks the scheduler (if any) to admit node `i` at `priority`, then calls `go` with its lease recorded (or `fail`
 * with the admission error). Without a scheduler `go` runs at once.
 */
export function acquire(x: RunState, i: number, priority: number, go: () => void, fail: (e: unknown) => void): void {
  const sched = x.rt.scheduler;
  if (sched === undefined) {
    go();
    return;
  }
  const request = {
    executionId: x.executionId,
    workflow: x.workflow,
    node: x.internals.descriptions()[i]!,
    priority,
  };
  x.st[i] = WAITING;
  let lease: Lease | Promise<Lease>;
  try {
    lease = sched.acquire(request, x.runSignal());
  } catch (e) {
    fail(e);
    return;
  }
  if (isThenable(lease)) {
    (lease as Promise<Lease>).then((l) => {
      if (x.done) {
        sched.release(l, 'cancelled');
        return;
      }
      (x.leases ??= new Map()).set(i, l);
      x.now = x.rt.clock.now();
      go();
      x.pump();
    }, fail);
    return;
  }
  (x.leases ??= new Map()).set(i, lease);
  go();
}

/** Takes node `i`'s scheduler lease away from it (the caller releases it). */
export function takeLease(x: RunState, i: number): Lease | undefined {
  const lease = x.leases?.get(i);
  if (lease !== undefined) x.leases!.delete(i);
  return lease;
}

/** Node `i` is over: its lease goes back to the scheduler, its group slot to the next waiting member. */
export function release(x: RunState, i: number, outcome: 'success' | 'failed' | 'cancelled'): void {
  const lease = x.leases?.get(i);
  if (lease !== undefined) {
    x.leases!.delete(i);
    x.rt.scheduler?.release(lease, outcome);
  }
  if (x.groupAdmitted?.[i] === 1) {
    x.groupAdmitted[i] = 0;
    const gi = x.g.groupOf[i]!;
    x.groupRunning![gi]!--;
    const next = x.groupWaiting?.[gi]?.shift();
    if (next !== undefined && !x.done) {
      x.groupRunning![gi]!++;
      x.groupAdmitted[next] = 1;
      x.queue[x.qt++] = next;
    }
  }
}

/** A node failed before its function ran (denied, condition threw, admission failed): report it as its failure. */
export function failBeforeRun(x: RunState, i: number, error: unknown): void {
  if (x.done) return;
  x.beginNode(i);
  // node.started said attempt 1: the record and node.failed say the same.
  if (x.attempts[i] === 0) x.attempts[i] = 1;
  x.nodeError(i, error);
  x.pump();
}
