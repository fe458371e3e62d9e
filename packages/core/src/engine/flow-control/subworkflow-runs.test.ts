import { describe, expect, it } from 'vitest';
import { workflow } from '../../builder/workflow-builder.js';
import { type FlowlaneError, isFlowlaneError } from '../../errors.js';
import { createVirtualClock, type VirtualClock } from '../../runtime/virtual-clock.js';
import { useEngines } from '../engines.test-helper.js';

const engines = useEngines();

const wait = (clock: VirtualClock, ms: number): Promise<void> =>
  new Promise((resolve) => clock.schedule(() => resolve(), ms));

/** A child workflow limited to one run per tenant at once; records how many of a tenant are inside. */
function limitedChild(clock: VirtualClock, extra: Record<string, unknown> = {}) {
  const inside = new Map<string, number>();
  let peak = 0;
  const starts: number[] = [];
  const log: string[] = [];
  const wf = workflow('charge', { concurrency: { key: (ctx) => ctx.input.tenant, limit: 1 }, ...extra })
    .input<{ tenant: string }>()
    .addNode('charge', async (ctx) => {
      const t = ctx.input.tenant;
      inside.set(t, (inside.get(t) ?? 0) + 1);
      peak = Math.max(peak, inside.get(t)!);
      starts.push(clock.now());
      log.push(`${t}@${clock.now()}`);
      await wait(clock, 100);
      inside.set(t, inside.get(t)! - 1);
      return `charged ${t}`;
    })
    .build();
  return { wf, peak: () => peak, starts, log };
}

describe('subworkflow runs and flow control', () => {
  it("a subworkflow run is gated by its own workflow's concurrency, across parents, without waiting for engine room", async () => {
    const clock = createVirtualClock();
    const engine = engines({ clock, maxConcurrentRuns: 2 });
    const child = limitedChild(clock);
    const order = workflow('order')
      .input<{ tenant: string }>()
      .subworkflow('pay', child.wf, (ctx) => ({ tenant: ctx.input.tenant }))
      .build();
    const runs = [1, 2, 3].map(() => engine.run(order, { tenant: 'acme' }));
    const other = engine.run(order, { tenant: 'globex' });
    await clock.runAll();
    const results = await Promise.all([...runs, other].map((r) => r.result));
    expect(results.map((r) => r.status)).toEqual(Array(4).fill('success'));
    expect(results[0]!.outputs.pay).toEqual({ charge: 'charged acme' });
    expect(child.peak()).toBe(1);
    // Two parents at once (maxConcurrentRuns 2): acme's second child waits for the first (its parent keeps its
    // engine slot meanwhile); globex's parent starts when acme's second parent ends, and its child at once.
    expect([...child.log].sort()).toEqual(['acme@0', 'acme@100', 'acme@200', 'globex@200']);
  });

  it('a workflow nested in itself by name runs its child under the parent’s slot (no parent/child deadlock)', async () => {
    const clock = createVirtualClock();
    const engine = engines({ clock });
    const limit = { concurrency: { key: (ctx: { input: { tenant: string } }) => ctx.input.tenant, limit: 1 } };
    const inner = workflow('sync', limit)
      .input<{ tenant: string }>()
      .addNode('work', async () => {
        await wait(clock, 100);
        return 'inner';
      })
      .build();
    const outer = workflow('sync', limit)
      .input<{ tenant: string }>()
      .subworkflow('nested', inner, (ctx) => ({ tenant: ctx.input.tenant }))
      .build();
    const a = engine.run(outer, { tenant: 'acme' });
    const b = engine.run(outer, { tenant: 'acme' }); // a second top-level run of the key still waits
    const ends: number[] = [];
    void a.result.then(() => ends.push(clock.now()));
    void b.result.then(() => ends.push(clock.now()));
    await clock.runAll();
    expect((await a.result).status).toBe('success');
    expect((await b.result).status).toBe('success');
    expect(ends).toEqual([100, 200]);
  });

  it("a subworkflow's cancelOn cancels it (failing the parent's node), and rateLimit drop ends it with FL_RATE_LIMITED", async () => {
    const clock = createVirtualClock();
    const engine = engines({ clock });
    const child = limitedChild(clock, {
      cancelOn: [{ event: 'order.voided' }],
      rateLimit: { limit: 1, period: 10_000, mode: 'drop' },
    });
    const order = workflow('order')
      .input<{ tenant: string }>()
      .subworkflow('pay', child.wf, (ctx) => ({ tenant: ctx.input.tenant }))
      .build();
    const first = engine.run(order, { tenant: 'acme' });
    await clock.advanceBy(50);
    engine.emit('order.voided', {});
    const r1 = await first.result;
    expect(r1.status).toBe('failed');
    expect(r1.nodes.pay?.error?.message).toContain('cancelOn: event "order.voided"');

    // The window of the child's rate limit is full (the cancelled run started): the next child is dropped.
    const second = engine.run(order, { tenant: 'globex' });
    await clock.runAll();
    const r2 = await second.result;
    expect(r2.status).toBe('failed');
    expect(r2.nodes.pay?.error?.code).toBe('FL_RATE_LIMITED');
    expect(isFlowlaneError((r2.error as FlowlaneError).cause, 'FL_RATE_LIMITED')).toBe(true);
    expect(child.starts).toEqual([0]);
  });

  it('a parent cancelled while its child waits for a slot ends at once; the waiting child never runs', async () => {
    const clock = createVirtualClock();
    const engine = engines({ clock });
    const child = limitedChild(clock);
    const order = workflow('order')
      .input<{ tenant: string }>()
      .subworkflow('pay', child.wf, (ctx) => ({ tenant: ctx.input.tenant }))
      .build();
    const holder = engine.run(order, { tenant: 'acme' });
    const waiting = engine.run(order, { tenant: 'acme' });
    await clock.advanceBy(10);
    waiting.cancel('customer left');
    const w = await waiting.result;
    expect(w.status).toBe('cancelled');
    expect(clock.now()).toBe(10);
    const next = engine.run(order, { tenant: 'acme' });
    await clock.runAll();
    expect((await holder.result).status).toBe('success');
    expect((await next.result).status).toBe('success');
    expect(child.starts).toEqual([0, 100]); // holder's child, then next's: the cancelled one never started
  });
});
