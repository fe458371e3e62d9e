import { createVirtualClock, workflow } from '@flowlane/core';
import { useEngines } from '@flowlane/testing';
import { map, timer } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { priorityScheduler } from './priority-plugin.js';

// Fallback and error-boundary nodes ("standby" nodes) are admitted through the scheduler like any node: their own
// resources are taken from the pools, and the failed node's slot is handed back first.
const engine = useEngines();

const fail = (clock: ReturnType<typeof createVirtualClock>, ms: number) => () =>
  timer(ms, clock).pipe(
    map(() => {
      throw new Error('primary down');
    }),
  );

describe('fallback and boundary admission', () => {
  it("takes the fallback's own resources: it waits while another node holds the only license", async () => {
    const clock = createVirtualClock();
    const starts: string[] = [];
    const track = (id: string, ms: number, value: string) => () => {
      starts.push(`${id}@${clock.now()}`);
      return timer(ms, clock).pipe(map(() => value));
    };
    const wf = workflow('licensed')
      .addNode('licensed-path', track('licensed-path', 5, 'slow but licensed'), { resources: { licenses: 1 } })
      .addNode('primary', fail(clock, 10), { fallback: 'licensed-path' })
      .addNode('holder', track('holder', 50, 'held'), { resources: { licenses: 1 } })
      .build();
    const e = engine({ clock, plugins: [priorityScheduler({ pools: { capacity: { licenses: 1 } } })] });
    const run = e.run(wf, {});
    await clock.runAll();
    const r = await run.result;
    expect(r.status).toBe('success');
    expect(r.outputs.primary).toBe('slow but licensed');
    expect(r.nodes.primary?.fallbackUsed).toBe('licensed-path');
    // primary failed at 10 while holder had the license until 50: the fallback started only then.
    expect(starts).toEqual(['holder@0', 'licensed-path@50']);
    expect(clock.now()).toBe(55);
  });

  it('does not deadlock at concurrency 1: the failed node hands its slot to its fallback', async () => {
    const clock = createVirtualClock();
    const wf = workflow('one-slot')
      .addNode('backup', () => timer(5, clock).pipe(map(() => 'backup')))
      .addNode('primary', fail(clock, 10), { fallback: 'backup' })
      .addNode('next', (ctx) => `after ${ctx.results.primary}`, { dependsOn: ['primary'] })
      .build();
    const e = engine({ clock, plugins: [priorityScheduler({ concurrency: 1 })] });
    const run = e.run(wf, {});
    await clock.runAll();
    const r = await run.result;
    expect(r.status).toBe('success');
    expect(r.outputs.next).toBe('after backup');
    expect(clock.now()).toBe(15);
  });

  it('does not trip failFast when a fallback recovers the failure; the run fails when the last fallback fails', async () => {
    const clock = createVirtualClock();
    const build = (lastWorks: boolean) =>
      workflow('ff-fallback')
        .addNode('second', () => (lastWorks ? timer(5, clock).pipe(map(() => 'second')) : fail(clock, 5)()))
        .addNode('first', fail(clock, 5), { fallback: 'second' })
        .addNode('critical', fail(clock, 10), { priority: 10, fallback: 'first' })
        .addNode('long', (ctx) => timer(1000, clock).pipe(map(() => ctx.signal.aborted)))
        .build();
    const e = engine({ clock, plugins: [priorityScheduler({ failFast: 10 })] });

    const recovered = e.run(build(true), {});
    await clock.runAll();
    const ok = await recovered.result;
    expect(ok.status).toBe('success');
    expect(ok.outputs.critical).toBe('second');
    expect(ok.outputs.long).toBe(false);

    const t0 = clock.now();
    const lost = e.run(build(false), {});
    await clock.runAll();
    const r = await lost.result;
    // critical failed at 10, first at 15, second at 20: the run fails there ("long" is cut short).
    expect(r.status).toBe('failed');
    expect(r.error).toMatchObject({ code: 'FL_NODE_FAILED', details: { nodeId: 'critical' } });
    expect(r.nodes.long?.status).toBe('cancelled');
    expect(r.durationMs).toBe(20);
    expect(clock.now() - t0).toBe(20);
  });

  it('admits an error boundary through the scheduler too', async () => {
    const clock = createVirtualClock();
    const starts: string[] = [];
    const wf = workflow('bounded')
      .addNode('risky', fail(clock, 10), { resources: { cpu: 2 } })
      .addNode(
        'busy',
        () => {
          starts.push(`busy@${clock.now()}`);
          return timer(30, clock).pipe(map(() => 'busy'));
        },
        { resources: { cpu: 2 } },
      )
      .boundary(
        'recover',
        () => {
          starts.push(`recover@${clock.now()}`);
          return 'recovered';
        },
        { forNodes: ['risky'], resources: { cpu: 3 } },
      )
      .build();
    const e = engine({ clock, plugins: [priorityScheduler({ pools: { capacity: { cpu: 4 } } })] });
    const run = e.run(wf, {});
    await clock.runAll();
    const r = await run.result;
    expect(r.status).toBe('success');
    expect(r.nodes.risky).toMatchObject({ status: 'success', handledBy: 'recover' });
    expect(r.outputs.recover).toBe('recovered');
    // The boundary needs 3 CPUs: after risky (2) failed at 10 it waits for busy (2) to finish at 30.
    expect(starts).toEqual(['busy@0', 'recover@30']);
  });
});
