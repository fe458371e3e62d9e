import { createVirtualClock, type Logger, type SystemEvent, workflow } from '@flowlane/core';
import { useEngines } from '@flowlane/testing';
import { timer } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { isSchedulerError } from './errors.js';
import { priorityScheduler } from './priority-plugin.js';
import { createPriorityScheduler } from './priority-scheduler.js';
import { createResourcePools } from './resource-pools.js';

const engine = useEngines();

describe('priorityScheduler plugin', () => {
  it('is a frozen, named plugin for this core range', () => {
    const p = priorityScheduler();
    expect(p.name).toBe('@flowlane/scheduler-priority');
    expect(p.flowlane).toBe('^0.1.0');
    expect(Object.isFrozen(p)).toBe(true);
  });

  it('uses the engine clock and logs reclaimed leases through the engine logger', async () => {
    const clock = createVirtualClock();
    const warnings: { message: string; fields: unknown }[] = [];
    const logger: Logger = {
      debug: () => undefined,
      info: () => undefined,
      warn: (message, fields) => void warnings.push({ message, fields }),
      error: () => undefined,
    };
    const e = engine({
      clock,
      logger,
      plugins: [priorityScheduler({ pools: { capacity: { gpu: 1 }, leaseExpiry: 300 } })],
    });
    const run = e.run(
      workflow('w')
        .addNode('long', () => timer(1000, clock), { resources: { gpu: 1 } })
        .build(),
      {},
    );
    const system: SystemEvent[] = [];
    e.systemEvents$.subscribe((ev) => system.push(ev));
    await clock.runAll();
    expect((await run.result).status).toBe('success');
    expect(system).toEqual([
      {
        type: 'resource.expired',
        executionId: run.executionId,
        nodeId: 'long',
        amounts: { gpu: 1 },
        heldMs: 300,
        timestamp: 300,
        scheduler: 'priority',
      },
    ]);
    expect(warnings).toEqual([
      {
        message: 'resources of node long expired after 300 ms',
        fields: expect.objectContaining({ nodeId: 'long', executionId: run.executionId, scheduler: 'priority' }),
      },
    ]);
  });

  it("publishes a shared pool's expiry only on the engine whose node held the resources", async () => {
    const clock = createVirtualClock();
    const pools = createResourcePools({ capacity: { gpu: 2 }, clock, leaseExpiry: 50 });
    const hog = (ms: number) =>
      workflow(`hog-${ms}`)
        .addNode('hog', () => timer(ms, clock), { resources: { gpu: 1 } })
        .build();
    const e1 = engine({ clock, plugins: [priorityScheduler({ pools })] });
    const e2 = engine({ clock, plugins: [priorityScheduler({ pools })] });
    await Promise.all([e1.ready(), e2.ready()]);
    const seen: string[] = [];
    e1.systemEvents$.subscribe((e) => seen.push(`e1 ${e.type}`));
    e2.systemEvents$.subscribe((e) => seen.push(`e2 ${e.type}`));
    const runs = [e1.run(hog(80), {}), e2.run(hog(20), {})]; // only e1's node outlives the 50 ms expiry
    await clock.runAll();
    for (const r of runs) expect((await r.result).status).toBe('success');
    expect(seen).toEqual(['e1 resource.expired']);
  });

  it('shares a pools instance between two engines and leaves it to its owner', async () => {
    const clock = createVirtualClock();
    const pools = createResourcePools({ capacity: { licenses: 1 }, clock });
    const starts: number[] = [];
    const wf = workflow('lic')
      .addNode(
        'x',
        () => {
          starts.push(clock.now());
          return timer(100, clock);
        },
        { resources: { licenses: 1 } },
      )
      .build();
    const e1 = engine({ clock, plugins: [priorityScheduler({ pools })] });
    const e2 = engine({ clock, plugins: [priorityScheduler({ pools })] });
    await Promise.all([e1.ready(), e2.ready()]);
    const runs = [e1.run(wf, {}), e2.run(wf, {})];
    await clock.runAll();
    for (const r of runs) expect((await r.result).status).toBe('success');
    expect(starts).toEqual([0, 100]);
    await e1.close();
    expect(pools.available()).toEqual({ licenses: 1 });
    expect(pools.demandOf({ id: 'n', kind: 'task', dependsOn: [], standby: false, options: {} })).toBeUndefined();
  });
});

describe('unknown option keys', () => {
  const thrown = (f: () => unknown): unknown => {
    try {
      f();
    } catch (e) {
      return e;
    }
    return undefined;
  };

  it('the plugin, the scheduler and the pools reject a misspelt key with FL_SCHED_INVALID_OPTION and a suggestion', () => {
    const e = thrown(() => priorityScheduler({ concurency: 2 } as never));
    expect(isSchedulerError(e, 'FL_SCHED_INVALID_OPTION')).toBe(true);
    expect((e as Error).message).toContain('concurency');
    expect((e as Error).message).toContain('did you mean "concurrency"?');
    expect(thrown(() => priorityScheduler({ aging: { interval: 10, stp: 1 } } as never))).toMatchObject({
      details: { option: 'aging.stp' },
    });
    expect(thrown(() => priorityScheduler({ pools: { capacity: { cpu: 1 }, waitTimout: 5 } } as never))).toMatchObject({
      details: { scheduler: 'resource pools', option: 'pools.waitTimout' },
    });
    expect(thrown(() => createPriorityScheduler({ failfast: 1 } as never))).toMatchObject({
      code: 'FL_SCHED_INVALID_OPTION',
      details: { option: 'failfast' },
    });
    expect(thrown(() => createResourcePools({ capacity: { cpu: 1 }, ignor: [] } as never))).toMatchObject({
      code: 'FL_SCHED_INVALID_OPTION',
      details: { option: 'ignor' },
    });
    expect(thrown(() => priorityScheduler({ concurrency: 2, pools: { capacity: { cpu: 1 } } }))).toBeUndefined();
  });
});
