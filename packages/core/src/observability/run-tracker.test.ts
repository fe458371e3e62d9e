import { firstValueFrom, NEVER, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { workflow } from '../builder/workflow-builder.js';
import type { FlowEvent } from '../contracts/events.js';
import { useEngines } from '../engine/engines.test-helper.js';
import { createRunTracker, failedOutcome } from './run-tracker.js';
import { createSeriesIndex } from './series-index.js';

const engine = useEngines();

class NetworkError extends Error {
  override name = 'NetworkError';
}

/** A tracker whose hooks write what they were told into plain counters, as an exporter would. */
function recorder(limits = { maxWorkflows: 10, maxNodeIds: 10 }) {
  const counts = new Map<string, number>();
  const add = (key: string, n = 1): void => void counts.set(key, (counts.get(key) ?? 0) + n);
  const index = createSeriesIndex(
    limits,
    (wf) => ({ wf, runsInFlight: 0, nodesInFlight: 0 }),
    (w, node) => `${w.wf}/${node}`,
  );
  const tracker = createRunTracker(index, {
    runStarted: (w) => void w.runsInFlight++,
    attemptStarted: (w) => void w.nodesInFlight++,
    attemptEnded: (w) => void w.nodesInFlight--,
    runEnded: (w, status, durationMs, nodesInFlight, tracked) => {
      if (tracked) {
        w.runsInFlight--;
        w.nodesInFlight -= nodesInFlight;
      }
      add(`run ${w.wf} ${status}`);
      if (!(durationMs >= 0)) add('bad duration');
    },
    nodeEnded: (node, status, durationMs) => {
      add(`node ${node} ${status}`);
      if (!(durationMs >= 0)) add('bad duration');
    },
    nodeSkipped: (node) => add(`node ${node} skipped`),
    nodeRetried: (node) => add(`retry ${node}`),
    cacheHit: (node) => add(`cache ${node}`),
  });
  return { tracker, counts, slot: (wf: string) => index.workflow(wf).slot };
}

const eventsOf = (run: { events$: import('rxjs').Observable<FlowEvent> }) =>
  firstValueFrom(run.events$.pipe(toArray()));

describe('createRunTracker', () => {
  it('turns a real run into final node statuses, retries, skips and run outcomes', async () => {
    let calls = 0;
    const wf = workflow('etl')
      .addNode(
        'flaky',
        () => {
          if (++calls < 3) throw new NetworkError(`try ${calls}`);
          return 1;
        },
        { retry: { maxAttempts: 3, initialInterval: 1 } },
      )
      .addNode(
        'broken',
        () => {
          throw new RangeError('no');
        },
        { onError: 'continue' },
      )
      .addNode('skipped', () => 0, { condition: () => false })
      .build();
    const { tracker, counts, slot } = recorder();
    const run = engine().run(wf, {});
    const r = await run.result;
    expect(r.status).toBe('success');
    for (const e of await eventsOf(run)) tracker.handle(e);
    expect(Object.fromEntries(counts)).toEqual({
      'retry etl/flaky': 2,
      'node etl/flaky success': 1,
      'node etl/broken failed': 1,
      'node etl/skipped skipped': 1,
      'run etl success': 1,
    });
    expect(slot('etl')).toMatchObject({ runsInFlight: 0, nodesInFlight: 0 });
    expect(tracker.active).toBe(0);
  });

  it('counts a boundary-handled failure once, and the boundary as a node of its own', async () => {
    const wf = workflow('b')
      .addNode('risky', () => {
        throw new NetworkError('socket hang up');
      })
      .addNode('handler', () => 'recovered', { onError: true, forNodes: ['risky'], errorTypes: [NetworkError] })
      .build();
    const { tracker, counts, slot } = recorder();
    const run = engine().run(wf, {});
    expect((await run.result).status).toBe('success');
    for (const e of await eventsOf(run)) tracker.handle(e);
    expect(counts.get('node b/risky failed')).toBe(1);
    expect(counts.get('node b/risky success')).toBeUndefined();
    expect(counts.get('node b/handler success')).toBe(1);
    expect(slot('b').nodesInFlight).toBe(0);
  });

  it("takes a cancelled run's unfinished nodes off the in-flight count", async () => {
    const wf = workflow('c')
      .addNode('a', () => NEVER)
      .addNode('b', () => NEVER)
      .build();
    const { tracker, counts, slot } = recorder();
    const run = engine().run(wf, {});
    const sub = run.events$.subscribe((e) => tracker.handle(e));
    await new Promise<void>((resolve) => {
      const s = run.events$.subscribe((e) => {
        if (e.type === 'node.started' && e.nodeId === 'b')
          queueMicrotask(() => {
            s.unsubscribe();
            resolve();
          });
      });
    });
    expect(slot('c')).toMatchObject({ runsInFlight: 1, nodesInFlight: 2 });
    run.cancel('test');
    expect((await run.result).status).toBe('cancelled');
    sub.unsubscribe();
    expect(counts.get('run c cancelled')).toBe(1);
    expect(slot('c')).toMatchObject({ runsInFlight: 0, nodesInFlight: 0 });
  });

  it('counts the end of a run it never saw start without touching in-flight counts', () => {
    const { tracker, counts, slot } = recorder();
    const base = { executionId: 'x', workflow: 'late', timestamp: 0 };
    tracker.handle({ ...base, type: 'node.completed', nodeId: 'n', attempt: 1, durationMs: 3 } as FlowEvent);
    tracker.handle({
      ...base,
      type: 'workflow.failed',
      durationMs: 5,
      error: { name: 'E', message: 'm' },
    } as FlowEvent);
    expect(Object.fromEntries(counts)).toEqual({ 'node late/n success': 1, 'run late failed': 1 });
    expect(slot('late')).toMatchObject({ runsInFlight: 0, nodesInFlight: 0 });
  });
});

describe('failedOutcome', () => {
  it('reads timeout and cancelled from the error code', () => {
    const f = (code: string | undefined) => failedOutcome({ error: { name: 'E', message: 'm', code } } as never);
    expect([f('FL_TIMEOUT'), f('FL_CANCELLED'), f('FL_NODE_FAILED'), f(undefined)]).toEqual([
      'timeout',
      'cancelled',
      'failed',
      'failed',
    ]);
  });
});
