import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { firstValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { FlowEvent } from '../contracts/events.js';
import { createVirtualClock } from '../runtime/virtual-clock.js';
import type { Workflow } from '../workflow.js';
import { CompactEventLog } from './compact-event-log.js';
import { useEngines } from './engines.test-helper.js';
import { nodeCompleted, nodeStarted } from './event-factory.js';
import { randomDagWorkflow, withoutTickFrames } from './lazy-records.test-helper.js';

const engine = useEngines();

/**
 * Runs `wf` on a fresh engine twice (the second run sees cache hits) and returns the second run's events: read by a
 * subscriber from its start (`early`: every event is an object when emitted) or after it ended (the compact log).
 */
async function eventsOf(wf: Workflow<unknown, object>, early: boolean): Promise<FlowEvent[]> {
  const clock = createVirtualClock();
  const e = engine({ clock, logger: { debug() {}, info() {}, warn() {}, error() {} } });
  await e.run(wf, {}, { executionId: 'warm-up' }).result;
  const run = e.run(wf, {}, { executionId: 'measured' });
  const seen = early ? firstValueFrom(run.events$.pipe(toArray())) : undefined;
  await clock.runAll();
  await run.result;
  return seen ?? firstValueFrom(run.events$.pipe(toArray()));
}

describe('compact event log', () => {
  it('materialises the objects the event factory makes, in emission order, with other events kept in place', () => {
    const src = { executionId: 'x', workflow: 'w' };
    const ids = ['a', 'b'];
    const log = new CompactEventLog(src, ids, 1);
    const other = { type: 'workflow.started', executionId: 'x', workflow: 'w', timestamp: 1, nodeCount: 2 } as const;
    log.object(other);
    log.started(1, 1, 1.5);
    log.completed(1, 1, 2.25, 0.75);
    // Past the preallocated length (16 numbers): the buffer grows.
    for (let k = 0; k < 5; k++) log.started(0, k + 2, 3 + k);
    const out: FlowEvent[] = [];
    log.drainInto(out);
    expect(out).toStrictEqual([
      other,
      nodeStarted(src, 1.5, 'b', 1, undefined),
      nodeCompleted(src, 2.25, 'b', 1, 0.75),
      ...[0, 1, 2, 3, 4].map((k) => nodeStarted(src, 3 + k, 'a', k + 2, undefined)),
    ]);
    expect(out[0]).toBe(other);
    expect(log.empty).toBe(true);
  });

  it.each([1, 2, 3, 4, 5])(
    'a late events$ subscriber gets events deep-equal to a subscriber from the start (random DAG, seed %i)',
    async (seed) => {
      const wf = randomDagWorkflow(300, seed, seed % 2 === 0);
      const early = await eventsOf(wf, true);
      const late = await eventsOf(wf, false);
      expect(late.length).toBeGreaterThan(200);
      // Stacks of node errors may differ in their bottom tick frame only (see withoutTickFrames).
      expect(withoutTickFrames(late)).toStrictEqual(withoutTickFrames(early));
      // No event carries an undefined-valued key (the factory's shapes).
      for (const ev of late) expect(Object.values(ev)).not.toContain(undefined);
    },
  );

  it('a second late subscriber sees the same event objects as the first', async () => {
    const e = engine();
    const run = e.run(randomDagWorkflow(100, 9), {});
    await run.result;
    const first = await firstValueFrom(run.events$.pipe(toArray()));
    const second = await firstValueFrom(run.events$.pipe(toArray()));
    expect(second).toHaveLength(first.length);
    for (let k = 0; k < first.length; k++) expect(second[k]).toBe(first[k]);
  });

  it('a diagnostics_channel subscriber that joins mid-run hears every later node event as an object', async () => {
    const e = engine();
    const heard: FlowEvent[] = [];
    const listener = (m: unknown): void => void heard.push(m as FlowEvent);
    const wf = randomDagWorkflow(64, 11);
    const run = e.run(wf, {});
    subscribe('flowlane.node.completed', listener);
    try {
      await run.result;
    } finally {
      unsubscribe('flowlane.node.completed', listener);
    }
    const events = await firstValueFrom(run.events$.pipe(toArray()));
    const completed = events.filter((ev) => ev.type === 'node.completed');
    expect(heard.length).toBeGreaterThan(0);
    // What the channel heard is the very object the run's log holds.
    for (const ev of heard) expect(completed).toContain(ev);
  });
});
