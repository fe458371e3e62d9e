import { describe, expect, it } from 'vitest';
import { workflow } from '../builder/workflow-builder.js';
import type { WorkflowStartedEvent } from '../contracts/events.js';
import { createMemoryStateStore } from '../defaults/memory-state-store.js';
import { isFlowlaneError } from '../errors.js';
import { createVirtualClock } from '../runtime/virtual-clock.js';
import { useEngines } from './engines.test-helper.js';
import { SCHEDULES_STATE_ID } from './schedules.js';

const engines = useEngines();
const MIN = 60_000;

const report = workflow('report')
  .input<{ kind: string }>()
  .addNode('render', (ctx) => ctx.input.kind)
  .build();

function watchStarts(engine: ReturnType<typeof engines>): WorkflowStartedEvent[] {
  const starts: WorkflowStartedEvent[] = [];
  engine.events$.subscribe((e) => {
    if (e.type === 'workflow.started') starts.push(e);
  });
  return starts;
}

describe('engine.schedule (virtual time; the virtual clock starts at 1970-01-01T00:00Z)', () => {
  it('runs the workflow at each cron occurrence, with triggeredBy naming the schedule and occurrence', async () => {
    const clock = createVirtualClock();
    const engine = engines({ clock });
    const starts = watchStarts(engine);
    const handle = engine.schedule('*/15 * * * *', report, { kind: 'quarter-hourly' });
    await handle.ready;
    expect(handle.id).toBe('report */15 * * * *');
    expect(handle.next()?.toISOString()).toBe('1970-01-01T00:15:00.000Z');
    await clock.advanceBy(15 * MIN - 1);
    expect(starts).toHaveLength(0);
    await clock.advanceBy(1);
    expect(starts.map((s) => s.timestamp)).toEqual([15 * MIN]);
    await clock.advanceBy(45 * MIN);
    expect(starts.map((s) => s.timestamp)).toEqual([15 * MIN, 30 * MIN, 45 * MIN, 60 * MIN]);
    expect(starts[0]!.triggeredBy).toEqual({ event: 'schedule', schedule: handle.id, scheduledAt: 15 * MIN });
    handle.remove();
    expect(handle.next()).toBeUndefined();
    await clock.advanceBy(60 * MIN);
    expect(starts).toHaveLength(4);
    expect(clock.pending()).toBe(0);
  });

  it('reads the expression in the given time zone', async () => {
    const clock = createVirtualClock();
    const engine = engines({ clock });
    // 09:00 in Tokyo (UTC+9, no DST) is 00:00 UTC.
    const h = engine.schedule('0 9 * * *', report, { kind: 'daily' }, { timezone: 'Asia/Tokyo' });
    await h.ready;
    expect(h.next()?.toISOString()).toBe('1970-01-02T00:00:00.000Z');
  });

  it('missed occurrences while no engine ran: skip (default) forgets them, catch-up runs them oldest first', async () => {
    const state = createMemoryStateStore(); // shared by the "before" and "after restart" engines
    const clock = createVirtualClock();
    const first = engines({ clock, state });
    const h1 = first.schedule('0 * * * *', report, { kind: 'hourly' }, { id: 'hourly-report', missed: 'catch-up' });
    await h1.ready;
    await clock.advanceBy(60 * MIN); // fires at 01:00
    expect(await state.get(SCHEDULES_STATE_ID, 'hourly-report')).toBe(60 * MIN);
    await first.close(); // "down" from 01:00 …
    await clock.advanceBy(3.5 * 60 * MIN); // … to 04:30: 02:00, 03:00 and 04:00 were missed

    const skipping = engines({ clock, state });
    const skipStarts = watchStarts(skipping);
    const hs = skipping.schedule('0 * * * *', report, { kind: 'hourly' }, { id: 'hourly-report' });
    await hs.ready;
    expect(skipStarts).toHaveLength(0);
    expect(hs.next()?.toISOString()).toBe('1970-01-01T05:00:00.000Z');
    await skipping.close();
    // The skipping engine recorded 04:30 as handled; go back to the 01:00 mark to test catch-up.
    await state.set(SCHEDULES_STATE_ID, 'hourly-report', 60 * MIN);

    const catching = engines({ clock, state });
    const starts = watchStarts(catching);
    const hc = catching.schedule('0 * * * *', report, { kind: 'hourly' }, { id: 'hourly-report', missed: 'catch-up' });
    await hc.ready;
    expect(starts.map((s) => s.triggeredBy?.scheduledAt)).toEqual([2, 3, 4].map((h) => h * 60 * MIN));
    expect(await state.get(SCHEDULES_STATE_ID, 'hourly-report')).toBe(4.5 * 60 * MIN);
    await clock.advanceBy(30 * MIN);
    expect(starts.map((s) => s.triggeredBy?.scheduledAt)).toEqual([2, 3, 4, 5].map((h) => h * 60 * MIN));
  });

  it('catch-up runs at most maxCatchUp occurrences, the most recent ones', async () => {
    const state = createMemoryStateStore();
    const clock = createVirtualClock();
    await clock.advanceBy(10 * MIN);
    await state.set(SCHEDULES_STATE_ID, 'm', 0);
    const engine = engines({ clock, state });
    const starts = watchStarts(engine);
    await engine.schedule('* * * * *', report, { kind: 'm' }, { id: 'm', missed: 'catch-up', maxCatchUp: 3 }).ready;
    expect(starts.map((s) => s.triggeredBy?.scheduledAt)).toEqual([8, 9, 10].map((m) => m * MIN));
  });

  it('rejects a bad expression, unknown keys and a duplicate id with FL_INVALID_OPTION', () => {
    const engine = engines({ clock: createVirtualClock() });
    const code = (fn: () => unknown): string => {
      try {
        fn();
      } catch (e) {
        if (isFlowlaneError(e)) return `${e.code}: ${e.message}`;
      }
      return 'no error';
    };
    expect(code(() => engine.schedule('61 * * * *', report, { kind: 'x' }))).toMatch(
      /^FL_INVALID_OPTION: .*schedule cron.*"61 \* \* \* \*" is not a cron expression/,
    );
    expect(code(() => engine.schedule('* * * * *', report, { kind: 'x' }, { mised: 'skip' } as never))).toMatch(
      /did you mean "missed"/,
    );
    expect(code(() => engine.schedule('* * * * *', report, { kind: 'x' }, { missed: 'all' } as never))).toMatch(
      /"skip" or "catch-up"/,
    );
    // A zone croner cannot read is refused at once (it used to surface later as a raw croner error on `ready`).
    expect(code(() => engine.schedule('* * * * *', report, { kind: 'x' }, { timezone: 'Mars/Olympus' }))).toMatch(
      /^FL_INVALID_OPTION: .*schedule\.timezone: expected an IANA time zone name.*"Mars\/Olympus"/,
    );
    expect(code(() => engine.schedule('* * * * *', report, { kind: 'x' }, { onError: 'log' } as never))).toMatch(
      /schedule\.onError: expected a function/,
    );
    expect(code(() => engine.schedule('* * * * *', report, { kind: 'x' }, { id: '' }))).toMatch(
      /schedule\.id: expected a non-empty string/,
    );
    engine.schedule('* * * * *', report, { kind: 'x' }, { id: 'dup' });
    expect(code(() => engine.schedule('* * * * *', report, { kind: 'x' }, { id: 'dup' }))).toMatch(/already exists/);
  });

  it('engine.close() stops every schedule (no timer left on the clock)', async () => {
    const clock = createVirtualClock();
    const engine = engines({ clock });
    await engine.schedule('* * * * *', report, { kind: 'x' }).ready;
    expect(clock.pending()).toBe(1);
    await engine.close();
    expect(clock.pending()).toBe(0);
    expect(() => engine.schedule('* * * * *', report, { kind: 'x' })).toThrow(/closed/);
  });
});
