import { describe, expect, it } from 'vitest';
import { workflow } from '../../builder/workflow-builder.js';
import type { FlowControlBackend } from '../../contracts/flow-control.js';
import { isFlowlaneError } from '../../errors.js';
import { definePlugin } from '../../plugin/define-plugin.js';
import { createVirtualClock, type VirtualClock } from '../../runtime/virtual-clock.js';
import { CORE_VERSION } from '../../version.js';
import { useEngines } from '../engines.test-helper.js';
import { createMemoryFlowControlBackend } from './memory-backend.js';

const engines = useEngines();

/** Resolves after `ms` of virtual time. */
const wait = (clock: VirtualClock, ms: number): Promise<void> =>
  new Promise((resolve) => clock.schedule(() => resolve(), ms));

describe('flow control', () => {
  it('concurrency: at most `limit` runs per key at once; other keys are not held up', async () => {
    const clock = createVirtualClock();
    const engine = engines({ clock });
    const active = new Map<string, number>();
    const peak = new Map<string, number>();
    const log: string[] = [];
    const wf = workflow('sync', { concurrency: { key: (ctx) => ctx.input.tenant, limit: 2 } })
      .input<{ tenant: string; n: number }>()
      .addNode('work', async (ctx) => {
        const t = ctx.input.tenant;
        active.set(t, (active.get(t) ?? 0) + 1);
        peak.set(t, Math.max(peak.get(t) ?? 0, active.get(t)!));
        log.push(`${t}${ctx.input.n}@${clock.now()}`);
        await wait(clock, 100);
        active.set(t, active.get(t)! - 1);
      })
      .build();
    const runs = [
      ...[1, 2, 3, 4, 5].map((n) => engine.run(wf, { tenant: 'a', n })),
      engine.run(wf, { tenant: 'b', n: 1 }),
    ];
    await clock.runAll();
    const results = await Promise.all(runs.map((r) => r.result));
    expect(results.map((r) => r.status)).toEqual(Array(6).fill('success'));
    expect(peak).toEqual(
      new Map([
        ['a', 2],
        ['b', 1],
      ]),
    );
    expect(log).toEqual(['a1@0', 'a2@0', 'b1@0', 'a3@100', 'a4@100', 'a5@200']);
  });

  it('rateLimit: never more than `limit` starts in any window; mode drop ends the excess with FL_RATE_LIMITED', async () => {
    const clock = createVirtualClock();
    const engine = engines({ clock });
    const starts: number[] = [];
    const delayed = workflow('delayed', { rateLimit: { limit: 2, period: 1_000 } })
      .addNode('a', () => starts.push(clock.now()))
      .build();
    const runs = [1, 2, 3, 4, 5].map(() => engine.run(delayed, {}));
    await clock.runAll();
    for (const r of runs) expect((await r.result).status).toBe('success');
    expect(starts).toEqual([0, 0, 1_000, 1_000, 2_000]);

    const dropping = workflow('dropping', {
      rateLimit: { key: (c) => c.input.k, limit: 1, period: 1_000, mode: 'drop' },
    })
      .input<{ k: string }>()
      .addNode('a', () => 1)
      .build();
    const first = engine.run(dropping, { k: 'x' });
    const second = engine.run(dropping, { k: 'x' });
    const other = engine.run(dropping, { k: 'y' });
    await clock.advanceBy(0);
    expect((await first.result).status).toBe('success');
    expect((await other.result).status).toBe('success');
    const dropped = await second.result;
    expect(dropped.status).toBe('cancelled');
    expect(isFlowlaneError(dropped.error, 'FL_RATE_LIMITED')).toBe(true);
    expect(dropped.error?.message).toContain('key "x"');
    await clock.advanceBy(1_000);
    expect((await engine.run(dropping, { k: 'x' }).result).status).toBe('success');
  });

  it('fairness: a flooding key does not starve the others (round-robin under maxConcurrentRuns)', async () => {
    const clock = createVirtualClock();
    const engine = engines({ clock, maxConcurrentRuns: 1 });
    const order: string[] = [];
    const wf = workflow('tenant-jobs', { concurrency: { key: (c) => c.input.t, limit: 5 }, fairness: 'round-robin' })
      .input<{ t: string }>()
      .addNode('a', async (ctx) => {
        order.push(ctx.input.t);
        await wait(clock, 10);
      })
      .build();
    const runs = [...Array.from({ length: 50 }, () => 'flood'), 'b', 'b', 'c'].map((t) => engine.run(wf, { t }));
    await clock.runAll();
    await Promise.all(runs.map((r) => r.result));
    // The first flood run took the free slot at once; then keys take turns (b and c had none yet).
    expect(order.slice(0, 6)).toEqual(['flood', 'b', 'c', 'flood', 'b', 'flood']);
  });

  it('fairness weights: a key with weight 3 gets 3 admissions for each of a weight-1 key', async () => {
    const clock = createVirtualClock();
    const engine = engines({ clock, maxConcurrentRuns: 1 });
    const order: string[] = [];
    const wf = workflow('weighted', {
      concurrency: { key: (c) => c.input.t, limit: 1 },
      fairness: { weights: { gold: 3 } },
    })
      .input<{ t: string }>()
      .addNode('a', async (ctx) => {
        order.push(ctx.input.t);
        await wait(clock, 10);
      })
      .build();
    const runs = [...Array(20).fill('free'), ...Array(20).fill('gold')].map((t: string) => engine.run(wf, { t }));
    await clock.runAll();
    await Promise.all(runs.map((r) => r.result));
    // The first 'free' started before any 'gold' waited; then 12 admissions share out 3:1.
    const next12 = order.slice(1, 13);
    expect(next12.filter((t) => t === 'gold')).toHaveLength(9);
    expect(next12.filter((t) => t === 'free')).toHaveLength(3);
  });

  it('priority: within a key, higher priority first; the run option overrides the workflow default', async () => {
    const clock = createVirtualClock();
    const engine = engines({ clock });
    const order: number[] = [];
    const wf = workflow('prio', { concurrency: { limit: 1 }, priority: (c) => c.input.p })
      .input<{ p: number }>()
      .addNode('a', async (ctx) => {
        order.push(ctx.input.p);
        await wait(clock, 10);
      })
      .build();
    const runs = [1, 5, 3].map((p) => engine.run(wf, { p }));
    runs.push(engine.run(wf, { p: 0 }, { priority: 10 }));
    await clock.runAll();
    await Promise.all(runs.map((r) => r.result));
    expect(order).toEqual([1, 0, 5, 3]);
  });

  it('cancelOn: a matching engine.emit or ctx.emitEvent cancels waiting and running runs, with the reason', async () => {
    const clock = createVirtualClock();
    const engine = engines({ clock });
    const wf = workflow('order', {
      concurrency: { limit: 1 },
      cancelOn: [{ event: 'order.cancelled', match: (e, ctx) => e.payload.orderId === ctx.input.orderId }],
    })
      .input<{ orderId: string }>()
      .addNode('ship', async () => {
        await wait(clock, 1_000);
        return 'shipped';
      })
      .build();
    const a = engine.run(wf, { orderId: 'A' });
    const b = engine.run(wf, { orderId: 'B' }); // waits for A's slot
    const c = engine.run(wf, { orderId: 'C' });
    await clock.advanceBy(10);
    engine.emit('order.cancelled', { orderId: 'B' }); // waiting
    engine.emit('order.cancelled', { orderId: 'A' }); // running
    engine.emit('order.cancelled', { orderId: 'Z' }); // no match
    await clock.runAll();
    const [ra, rb, rc] = await Promise.all([a.result, b.result, c.result]);
    expect(ra.status).toBe('cancelled');
    expect(ra.error?.message).toContain('cancelOn: event "order.cancelled"');
    expect(rb.status).toBe('cancelled');
    expect(rc.status).toBe('success');
    // C started when A was cancelled at 10 ms (B was cancelled too): it did not wait for A's full second.
    expect(rc.durationMs).toBe(1_000);

    const emitter = workflow('emitter')
      .addNode('e', (ctx) => ctx.emitEvent('order.cancelled', { orderId: 'D' }))
      .build();
    const d = engine.run(wf, { orderId: 'D' });
    await clock.advanceBy(10);
    await engine.run(emitter, {}).result;
    await clock.runAll();
    expect((await d.result).status).toBe('cancelled');
  });

  it('debounce: triggered runs of one key start once per quiet period with the latest input; keys are separate', async () => {
    const clock = createVirtualClock();
    const engine = engines({ clock });
    const seen: string[] = [];
    const wf = workflow('reindex', { debounce: { key: (c) => c.input.repo, period: 1_000, maxWait: 5_000 } })
      .input<{ repo: string; commit: string }>()
      .addNode('index', (ctx) => seen.push(`${ctx.input.repo}:${ctx.input.commit}@${clock.now()}`))
      .build();
    engine.trigger({ on: 'push', run: wf });
    engine.emit('push', { repo: 'r1', commit: 'a' });
    engine.emit('push', { repo: 'r2', commit: 'x' });
    await clock.advanceBy(500);
    engine.emit('push', { repo: 'r1', commit: 'b' });
    await clock.advanceBy(2_000);
    expect(seen).toEqual(['r2:x@1000', 'r1:b@1500']);
    // maxWait: events every 800 ms never leave a quiet second, yet a run starts 5 s after the burst began.
    seen.length = 0;
    const t0 = clock.now();
    for (let i = 0; i < 10; i++) {
      engine.emit('push', { repo: 'r1', commit: `c${i}` });
      await clock.advanceBy(800);
    }
    expect(seen[0]).toBe(`r1:c6@${t0 + 5_000}`);
  });

  it('node-level concurrency and rateLimit bound one node across runs; other nodes and waiting do not count', async () => {
    const clock = createVirtualClock();
    const engine = engines({ clock });
    let inside = 0;
    let peak = 0;
    const calls: number[] = [];
    const wf = workflow('api-sync')
      .input<{ tenant: string }>()
      .addNode('prepare', () => 'ok')
      .chain(
        'call',
        async () => {
          inside++;
          peak = Math.max(peak, inside);
          calls.push(clock.now());
          await wait(clock, 100);
          inside--;
        },
        {
          concurrency: { key: (ctx) => ctx.input.tenant, limit: 2 },
          rateLimit: { key: (ctx) => ctx.input.tenant, limit: 3, period: 1_000 },
          timeout: 150, // waiting for the slot or the window is not part of the attempt's timeout
        },
      )
      .build();
    const runs = Array.from({ length: 6 }, () => engine.run(wf, { tenant: 'a' }));
    await clock.runAll();
    for (const r of runs) expect((await r.result).status).toBe('success');
    expect(peak).toBe(2);
    expect(calls).toEqual([0, 0, 100, 1_000, 1_000, 1_100]);

    // A run cancelled while its node waits for a slot ends at once and frees nothing it did not hold.
    const hold = engine.run(wf, { tenant: 'b' });
    const hold2 = engine.run(wf, { tenant: 'b' });
    const waiting = engine.run(wf, { tenant: 'b' });
    await clock.advanceBy(10);
    waiting.cancel('not needed');
    expect((await waiting.result).status).toBe('cancelled');
    await clock.runAll();
    expect((await hold.result).status).toBe('success');
    expect((await hold2.result).status).toBe('success');
  });

  it('node-level rateLimit alone on a synchronous node (no other option) still waits for the window', async () => {
    const clock = createVirtualClock();
    const engine = engines({ clock });
    const calls: number[] = [];
    const wf = workflow('plain-sync')
      .addNode('upload', () => void calls.push(clock.now()), { rateLimit: { limit: 2, period: 1_000 } })
      .build();
    const runs = [1, 2, 3, 4, 5].map(() => engine.run(wf, {}));
    await clock.runAll();
    for (const r of runs) expect((await r.result).status).toBe('success');
    expect(calls).toEqual([0, 0, 1_000, 1_000, 2_000]);
  });

  it('node-level options are validated at build()', () => {
    expect(() =>
      workflow('x')
        .addNode('a', () => 1, { concurrency: { limit: -1 } })
        .build(),
    ).toThrow(/concurrency\.limit/);
    expect(() =>
      workflow('x')
        .addNode('a', () => 1, { rateLimit: { limit: 1, period: 10, mode: 'skip' as 'drop' } })
        .build(),
    ).toThrow(/rateLimit\.mode.*expected 'delay' or 'drop', got "skip"/);
    // parallel and forEach keep their own numeric concurrency.
    expect(() =>
      workflow('x')
        .parallel(['a', 'b'], [() => 1, () => 2], { concurrency: 1 })
        .build(),
    ).not.toThrow();
  });

  it('bad options are build problems or typed run errors', () => {
    expect(() =>
      workflow('x', { concurrency: { limit: 0 } })
        .addNode('a', () => 1)
        .build(),
    ).toThrow(/concurrency\.limit.*integer ≥ 1/);
    expect(() =>
      workflow('x', { rateLimit: { limit: 1, period: 1_000, mode: 'skip' as 'drop' } })
        .addNode('a', () => 1)
        .build(),
    ).toThrow(/rateLimit\.mode/);
    // Periods a timer cannot wait (> 2^31−1 ms) would fire after 1 ms: a delayed run's gate spun every ms instead.
    expect(() =>
      workflow('x', { rateLimit: { limit: 1, period: 1e10 } })
        .addNode('a', () => 1)
        .build(),
    ).toThrow(/rateLimit\.period: expected at most 2147483647 ms/);
    expect(() =>
      workflow('x', { debounce: { period: 1_000, maxWait: 1e13 } })
        .addNode('a', () => 1, { rateLimit: { limit: 1, period: 2 ** 31 } })
        .build(),
    ).toThrow(/debounce\.maxWait: expected at most 2147483647 ms.*rateLimit\.period: expected at most/s);
    expect(() =>
      workflow('x', { concurrency: { limit: 1, kye: () => 1 } as never })
        .addNode('a', () => 1)
        .build(),
    ).toThrow(/concurrency\.kye.*did you mean "concurrency\.key"/s);
    expect(() =>
      workflow('x', { fairnes: 'round-robin' } as never)
        .addNode('a', () => 1)
        .build(),
    ).toThrow(/fairness/);
    expect(() =>
      workflow('x', { cancelOn: [{ event: '' }] })
        .addNode('a', () => 1)
        .build(),
    ).toThrow(/cancelOn\[0\]\.event/);
    const engine = engines();
    const wf = workflow('y')
      .addNode('a', () => 1)
      .build();
    expect(() => engine.run(wf, {}, { priority: Number.NaN })).toThrow(/priority/);
  });

  it('a key function that throws fails the run with FL_INVALID_OPTION', async () => {
    const engine = engines();
    const wf = workflow('k', {
      concurrency: {
        key: () => {
          throw new Error('no tenant');
        },
        limit: 1,
      },
    })
      .addNode('a', () => 1)
      .build();
    const r = await engine.run(wf, {}).result;
    expect(r.status).toBe('failed');
    expect(isFlowlaneError(r.error, 'FL_INVALID_OPTION')).toBe(true);
    expect(r.error?.message).toContain('no tenant');
  });

  it('a backend set by a plugin is used; when it throws, the error is logged and admission retries later', async () => {
    const clock = createVirtualClock();
    const errors: string[] = [];
    const inner = createMemoryFlowControlBackend();
    let failures = 2;
    const flaky: FlowControlBackend = {
      name: 'flaky',
      acquire(slot) {
        if (failures-- > 0) throw new Error('backend down');
        return inner.acquire(slot);
      },
      release: (slot) => inner.release(slot),
      take: (w) => inner.take(w),
    };
    const engine = engines({
      clock,
      logger: { debug() {}, info() {}, warn() {}, error: (m, f) => void errors.push(`${m}: ${String(f?.error)}`) },
      plugins: [
        definePlugin({
          name: 'flaky-flow',
          version: '1.0.0',
          flowlane: `^${CORE_VERSION}`,
          setup: (api) => api.flowControl.setBackend(flaky),
        }),
      ],
    });
    await engine.ready();
    const wf = workflow('f', { concurrency: { limit: 1 } })
      .addNode('a', () => clock.now())
      .build();
    const run = engine.run(wf, {});
    await clock.advanceBy(5_000);
    const r = await run.result;
    expect(r.status).toBe('success');
    expect(r.outputs).toEqual({ a: 2_000 }); // two failures, each retried after 1 s
    expect(errors).toEqual(['flow-control backend failed: backend down', 'flow-control backend failed: backend down']);
  });

  it('memory backend: sliding window answers when the oldest start leaves the window', () => {
    const b = createMemoryFlowControlBackend();
    expect(b.take({ key: 'k', limit: 2, period: 100, now: 0, holder: '1' })).toEqual({ admitted: true });
    expect(b.take({ key: 'k', limit: 2, period: 100, now: 40, holder: '2' })).toEqual({ admitted: true });
    expect(b.take({ key: 'k', limit: 2, period: 100, now: 99, holder: '3' })).toEqual({
      admitted: false,
      retryAt: 100,
    });
    expect(b.take({ key: 'k', limit: 2, period: 100, now: 100, holder: '3' })).toEqual({ admitted: true });
    expect(b.take({ key: 'k', limit: 2, period: 100, now: 120, holder: '4' })).toEqual({
      admitted: false,
      retryAt: 140,
    });
  });
});
