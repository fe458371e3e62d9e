import { Cron } from 'croner';
import type { SchedulerLike, Subscription } from 'rxjs';
import type { TriggeredBy } from '../contracts/events.js';
import type { Run, RunOptions } from '../contracts/run-types.js';
import { FlowlaneError, serializeError } from '../errors.js';
import type { Logger, StateStore } from '../plugin/types.js';
import type { Workflow } from '../workflow.js';
import { checkOptionKeys } from './option-keys.js';

/** Options of {@link Engine.schedule}. */
export interface ScheduleOptions {
  /**
   * Names the schedule in the state store, where the time of its last handled occurrence is kept so that a restarted
   * engine knows what it missed. Default: `<workflow name> <cron>`.
   */
  readonly id?: string | undefined;
  /**
   * Occurrences that fell while no engine had this schedule (the engine was down): `'skip'` (default) forgets them
   * and waits for the next one; `'catch-up'` starts one run per missed occurrence, oldest first, as soon as the
   * schedule is set up (at most `maxCatchUp`, the most recent ones). Needs a durable state store
   * (`@flowlane/store-redis`) to survive a process restart; the in-memory store only remembers within one process.
   */
  readonly missed?: 'skip' | 'catch-up' | undefined;
  /** Most missed occurrences run by `'catch-up'` (the latest ones). Default 100. */
  readonly maxCatchUp?: number | undefined;
  /** IANA time zone the cron expression is read in. Default `'UTC'`. */
  readonly timezone?: string | undefined;
  /** Called with errors no caller can catch (a run that could not start, a state store failure). Default: logged. */
  readonly onError?: ((error: unknown) => void) | undefined;
}

/** Returned by {@link Engine.schedule}. */
export interface ScheduleHandle {
  readonly id: string;
  /** Resolves once missed occurrences were handled and the next one is armed. */
  readonly ready: Promise<void>;
  /** The next occurrence (clock time), or undefined when the expression has none left or the schedule is removed. */
  next(): Date | undefined;
  /** Stop: no further runs start (runs already started go on). */
  remove(): void;
}

/** Names the call in `FL_INVALID_OPTION` messages. */
const SCHEDULE = 'engine.schedule';
const SCHEDULE_KEYS = ['id', 'missed', 'maxCatchUp', 'timezone', 'onError'] as const;
/** The state store "execution" that holds every schedule's last handled occurrence. */
export const SCHEDULES_STATE_ID = 'flowlane:schedules';
/** Longest single timer (setTimeout's limit); longer waits re-arm. */
const MAX_TIMER_MS = 2_147_483_647;

/** What schedules need from their engine. */
export interface ScheduleHost {
  readonly clock: SchedulerLike;
  readonly logger: Logger;
  ready(): Promise<void>;
  stateStore(): StateStore;
  run(wf: Workflow<unknown, object>, input: unknown, options: RunOptions): Run<object>;
}

/** Internal: the engine's cron schedules, timed on the engine clock. */
export class ScheduleSet {
  readonly #host: ScheduleHost;
  readonly #timers = new Set<{ timer: Subscription | undefined; removed: boolean }>();
  readonly #ids = new Set<string>();
  #closed = false;

  constructor(host: ScheduleHost) {
    this.#host = host;
  }

  add(cron: string, wf: Workflow<unknown, object>, input: unknown, options: ScheduleOptions = {}): ScheduleHandle {
    if (this.#closed) throw new FlowlaneError('FL_ENGINE_CLOSED', {});
    checkOptionKeys(SCHEDULE, 'schedule', options, SCHEDULE_KEYS);
    if (typeof wf !== 'object' || wf === null || typeof (wf as { name?: unknown }).name !== 'string')
      throw new FlowlaneError('FL_INVALID_OPTION', {
        where: SCHEDULE,
        option: 'schedule workflow',
        reason: 'expected a built workflow (the result of .build())',
      });
    const missed = options.missed ?? 'skip';
    if (missed !== 'skip' && missed !== 'catch-up')
      throw new FlowlaneError('FL_INVALID_OPTION', {
        where: SCHEDULE,
        option: 'schedule.missed',
        reason: `expected "skip" or "catch-up", got ${JSON.stringify(missed)}`,
      });
    const maxCatchUp = options.maxCatchUp ?? 100;
    if (!Number.isInteger(maxCatchUp) || maxCatchUp < 0)
      throw new FlowlaneError('FL_INVALID_OPTION', {
        where: SCHEDULE,
        option: 'schedule.maxCatchUp',
        reason: `expected an integer ≥ 0, got ${String(maxCatchUp)}`,
      });
    if (options.onError !== undefined && typeof options.onError !== 'function')
      throw new FlowlaneError('FL_INVALID_OPTION', {
        where: SCHEDULE,
        option: 'schedule.onError',
        reason: 'expected a function',
      });
    const timezone = options.timezone ?? 'UTC';
    if (!isTimeZone(timezone))
      throw new FlowlaneError('FL_INVALID_OPTION', {
        where: SCHEDULE,
        option: 'schedule.timezone',
        reason: `expected an IANA time zone name such as "Europe/Berlin" or "UTC", got ${JSON.stringify(timezone)}`,
      });
    if (options.id !== undefined && (typeof options.id !== 'string' || options.id === ''))
      throw new FlowlaneError('FL_INVALID_OPTION', {
        where: SCHEDULE,
        option: 'schedule.id',
        reason: `expected a non-empty string, got ${JSON.stringify(options.id)}`,
      });
    let pattern: Cron;
    try {
      pattern = new Cron(cron, { timezone, paused: true });
    } catch (error) {
      throw new FlowlaneError('FL_INVALID_OPTION', {
        where: SCHEDULE,
        option: 'schedule cron',
        reason: `${JSON.stringify(cron)} is not a cron expression (${serializeError(error).message}); use five fields "min hour day month weekday", e.g. "*/5 * * * *"`,
      });
    }
    const id = options.id ?? `${wf.name} ${cron}`;
    if (this.#ids.has(id))
      throw new FlowlaneError('FL_INVALID_OPTION', {
        where: SCHEDULE,
        option: 'schedule.id',
        reason: `a schedule "${id}" already exists on this engine; remove it first or pass another id`,
      });
    this.#ids.add(id);
    const { clock, logger } = this.#host;
    const slot: { timer: Subscription | undefined; removed: boolean } = { timer: undefined, removed: false };
    this.#timers.add(slot);
    let nextAt: number | undefined;
    const report = (error: unknown): void => {
      if (options.onError !== undefined) {
        try {
          options.onError(error);
          return;
        } catch {
          // fall through to the log
        }
      }
      logger.error(`schedule "${id}" failed`, { error: serializeError(error, { stack: false }).message });
    };
    const live = (): boolean => !slot.removed && !this.#closed;
    // Writes of the last handled occurrence, in order (a later write never lands before an earlier one).
    let writes: Promise<void> = Promise.resolve();
    const remember = (at: number): Promise<void> => {
      writes = writes.then(() => this.#host.stateStore().set(SCHEDULES_STATE_ID, id, at)).catch(report);
      return writes;
    };
    const fire = (at: number): void => {
      const triggeredBy: TriggeredBy = { event: 'schedule', schedule: id, scheduledAt: at };
      try {
        this.#host.run(wf, input, { triggeredBy });
      } catch (error) {
        report(error);
      }
      void remember(at);
    };
    const arm = (): void => {
      if (!live()) return;
      const now = clock.now();
      const next = pattern.nextRun(new Date(now))?.getTime();
      nextAt = next;
      if (next === undefined) return;
      slot.timer = clock.schedule(
        () => {
          slot.timer = undefined;
          if (!live()) return;
          if (clock.now() >= next) fire(next);
          arm();
        },
        Math.min(Math.max(0, next - now), MAX_TIMER_MS),
      );
    };
    let engineReady = false;
    const ready = (async () => {
      await this.#host.ready();
      engineReady = true;
      const last = await this.#host.stateStore().get(SCHEDULES_STATE_ID, id);
      if (!live()) return;
      const now = clock.now();
      if (missed === 'catch-up' && typeof last === 'number' && Number.isFinite(last)) {
        const due: number[] = [];
        for (let t = pattern.nextRun(new Date(last)); t !== null && t.getTime() <= now; t = pattern.nextRun(t)) {
          due.push(t.getTime());
          if (due.length > maxCatchUp) due.shift();
        }
        for (const at of due) if (live()) fire(at);
      }
      if (!live()) return;
      await remember(now);
      arm();
    })().catch((error: unknown) => {
      report(error);
      // The state store failed: the schedule still fires from now on (an engine whose plugins failed runs nothing).
      if (engineReady) arm();
    });
    return {
      id,
      ready,
      next: () => (live() && nextAt !== undefined ? new Date(nextAt) : undefined),
      remove: () => {
        slot.removed = true;
        slot.timer?.unsubscribe();
        this.#timers.delete(slot);
        this.#ids.delete(id);
      },
    };
  }

  close(): void {
    this.#closed = true;
    for (const slot of this.#timers) {
      slot.removed = true;
      slot.timer?.unsubscribe();
    }
    this.#timers.clear();
    this.#ids.clear();
  }
}

/** Whether `tz` is a time zone this runtime knows (`Intl` throws a RangeError for unknown names). */
function isTimeZone(tz: unknown): boolean {
  if (typeof tz !== 'string' || tz === '') return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
