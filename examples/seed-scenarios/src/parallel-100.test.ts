import { createVirtualClock, type FlowEvent } from '@flowlane/core';
import { describe, expect, it } from 'vitest';
import { newEngine } from './engines.test-helper.js';
import { createParallelWorkflow, main, maxRunningAtOnce } from './parallel-100.js';
import { clockSleep, instantSleep } from './sleep.js';

const sumOfSquares = (n: number) => ((n - 1) * n * (2 * n - 1)) / 6;

describe('parallel-100 scenario', () => {
  it('runs 100 tasks with never more than 10 at once (events and in-task counter agree)', async () => {
    const clock = createVirtualClock();
    let inFlight = 0;
    let peakInside = 0;
    const wf = createParallelWorkflow({
      sleep: clockSleep(clock),
      onTask: (phase) => {
        inFlight += phase === 'start' ? 1 : -1;
        peakInside = Math.max(peakInside, inFlight);
      },
    });
    const run = newEngine({ clock }).run(wf, {});
    const events: FlowEvent[] = [];
    run.events$.subscribe((e) => events.push(e));
    await clock.runAll();
    const result = await run.result;

    expect(result.status).toBe('success');
    const tasks = Object.entries(result.nodes).filter(([id]) => id.startsWith('task-'));
    expect(tasks).toHaveLength(100);
    expect(tasks.every(([, n]) => n.status === 'success')).toBe(true);
    expect(result.outputs.sum).toBe(sumOfSquares(100));
    expect(maxRunningAtOnce(events, (id) => id.startsWith('task-'))).toBe(10);
    expect(peakInside).toBe(10);
    // Ten lanes of 10–39 ms tasks: far less than running the 100 one after another (2,440 ms of virtual time).
    expect(clock.now()).toBeLessThan(400);
    // The fan-in starts only after every task settled.
    const sumStarted = events.findIndex((e) => e.type === 'node.started' && e.nodeId === 'sum');
    const lastTaskDone = events.findLastIndex((e) => e.type === 'node.completed' && e.nodeId.startsWith('task-'));
    expect(sumStarted).toBeGreaterThan(lastTaskDone);
  });

  it('honours other caps too (concurrency 3)', async () => {
    const clock = createVirtualClock();
    const run = newEngine({ clock }).run(
      createParallelWorkflow({ sleep: clockSleep(clock), tasks: 20, concurrency: 3 }),
      {},
    );
    const events: FlowEvent[] = [];
    run.events$.subscribe((e) => events.push(e));
    await clock.runAll();
    expect((await run.result).outputs.sum).toBe(sumOfSquares(20));
    expect(maxRunningAtOnce(events)).toBe(3);
  });

  it('main() reports the peak', async () => {
    const lines: string[] = [];
    const { result, peak } = await main({ log: (l) => lines.push(l), sleep: instantSleep });
    expect(result.status).toBe('success');
    expect(peak).toBeLessThanOrEqual(10);
    expect(lines[0]).toMatch(/^max-parallel success: 100 tasks, at most \d+ at once, sum = 328350/);
  });
});
