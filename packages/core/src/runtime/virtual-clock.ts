import { type SchedulerAction, type SchedulerLike, type Subscription, VirtualAction, VirtualTimeScheduler } from 'rxjs';

/** A clock for tests: time moves only when told to, and promise continuations run between timers. */
export interface VirtualClock extends SchedulerLike {
  /** Virtual ms since the clock was created (starts at 0). */
  now(): number;
  /** Move time forward by `ms`, running every timer that falls due (in order) and settling promises in between. */
  advanceBy(ms: number): Promise<void>;
  /** Advance until no timer is pending (bounded by `limitMs`, default one day of virtual time). */
  runAll(limitMs?: number): Promise<void>;
  /** Timers waiting to fire. */
  pending(): number;
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Virtual time for tests: pass it as the engine `clock` and retries with 30 s backoff, timeouts and signal waits
 * run in milliseconds of real time.
 *
 * @example
 * ```ts
 * import { createEngine, createVirtualClock, workflow } from '@flowlane/core';
 *
 * const wf = workflow('w').addNode('slow', () => 'done', { retry: { maxAttempts: 2, initialInterval: 30_000 } }).build();
 * const clock = createVirtualClock();
 * const engine = createEngine({ clock });
 * const run = engine.run(wf, {});
 * await clock.advanceBy(30_000);
 * await run.result;
 * await engine.close();
 * ```
 */
export function createVirtualClock(): VirtualClock {
  const vts = new VirtualTimeScheduler(VirtualAction, Number.POSITIVE_INFINITY);
  /** The time of the earliest pending timer, if any falls due by `limit`. */
  const nextDue = (limit: number): number | undefined => {
    let next: number | undefined;
    for (const a of vts.actions)
      if (!a.closed && a.delay <= limit && (next === undefined || a.delay < next)) next = a.delay;
    return next;
  };
  // Step from one timer time to the next, settling promises in between, so a continuation scheduled by an earlier
  // timer sees that timer's time (not the end of the advance).
  const advanceTo = async (target: number): Promise<void> => {
    await settle();
    for (let guard = 0; guard < 1_000_000; guard++) {
      const next = nextDue(target);
      if (next === undefined) break;
      vts.maxFrames = next;
      vts.flush();
      await settle();
    }
    if (vts.frame < target) vts.frame = target;
    await settle();
  };
  return {
    now: () => vts.frame,
    schedule<T>(work: (this: SchedulerAction<T>, state?: T) => void, delay = 0, state?: T): Subscription {
      return vts.schedule(work, delay, state);
    },
    advanceBy: (ms) => advanceTo(vts.frame + ms),
    async runAll(limitMs = 86_400_000) {
      const end = vts.frame + limitMs;
      await settle();
      while (vts.actions.some((a) => !a.closed) && vts.frame < end) {
        const next = Math.min(...vts.actions.filter((a) => !a.closed).map((a) => a.delay));
        await advanceTo(Math.min(Math.max(next, vts.frame), end));
        if (next > end) break;
      }
    },
    pending: () => vts.actions.filter((a) => !a.closed).length,
  };
}
