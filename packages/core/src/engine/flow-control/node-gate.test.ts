import { describe, expect, it } from 'vitest';
import { workflow } from '../../builder/workflow-builder.js';
import { FlowlaneError, isFlowlaneError } from '../../errors.js';
import { createVirtualClock } from '../../runtime/virtual-clock.js';
import { useEngines } from '../engines.test-helper.js';

const engines = useEngines();

describe("node-level rateLimit mode: 'drop'", () => {
  it('an attempt over the window fails at once with FL_RATE_LIMITED naming the node; the rest of the run goes on', async () => {
    const clock = createVirtualClock();
    const engine = engines({ clock });
    const calls: number[] = [];
    const wf = workflow('notify')
      .input<{ tenant: string }>()
      .addNode('collect', (ctx) => ctx.input.tenant)
      .chain('page', () => void calls.push(clock.now()), {
        rateLimit: { key: (ctx) => ctx.input.tenant, limit: 2, period: 1_000, mode: 'drop' },
        onError: 'continue',
      })
      .chain('after', () => 'done')
      .build();
    const runs = [1, 2, 3, 4].map(() => engine.run(wf, { tenant: 'acme' }));
    const other = engine.run(wf, { tenant: 'globex' });
    await clock.runAll();
    const results = await Promise.all(runs.map((r) => r.result));
    // Two pages in the window; the other two attempts were dropped, not delayed (nothing ran at 1 000 ms).
    expect(calls).toEqual([0, 0, 0]);
    expect(results.map((r) => r.nodes.page?.status)).toEqual(['success', 'success', 'failed', 'failed']);
    expect(results.map((r) => r.status)).toEqual(Array(4).fill('success'));
    const err = results[2]!.nodes.page!.error!;
    expect(err.code).toBe('FL_RATE_LIMITED');
    expect(err.message).toMatch(/^Node "page" of run ".+" of "notify" was dropped: key "acme" already had 2 starts/);
    expect(results[2]!.outputs.after).toBe('done');
    expect((await other.result).nodes.page?.status).toBe('success');

    // Once the window has passed, attempts are admitted again.
    await clock.advanceBy(1_000);
    const later = engine.run(wf, { tenant: 'acme' });
    await clock.runAll();
    expect((await later.result).nodes.page?.status).toBe('success');
    expect(calls).toEqual([0, 0, 0, 1_000]);
  });

  it('without onError a dropped attempt fails the run with the typed error; retry applies like to any failure', async () => {
    const clock = createVirtualClock();
    const engine = engines({ clock });
    const calls: number[] = [];
    const page = workflow('page-once')
      .addNode('page', () => void calls.push(clock.now()), { rateLimit: { limit: 1, period: 500, mode: 'drop' } })
      .build();
    const first = engine.run(page, {});
    const second = engine.run(page, {});
    await clock.runAll();
    expect((await first.result).status).toBe('success');
    const failed = await second.result;
    expect(failed.status).toBe('failed');
    expect(isFlowlaneError(failed.error, 'FL_NODE_FAILED')).toBe(true);
    expect(failed.nodes.page?.error?.code).toBe('FL_RATE_LIMITED');
    const cause = (failed.error as FlowlaneError).cause;
    expect(isFlowlaneError(cause, 'FL_RATE_LIMITED')).toBe(true);
    expect((cause as FlowlaneError<'FL_RATE_LIMITED'>).details).toMatchObject({
      nodeId: 'page',
      workflow: 'page-once',
      key: '*',
      limit: 1,
      period: 500,
    });

    // A retry policy retries a dropped attempt after its delay: dropped at 0, admitted at 600.
    const retried = workflow('page-retry')
      .addNode('page', () => void calls.push(clock.now()), {
        rateLimit: { limit: 1, period: 500, mode: 'drop' },
        retry: { maxAttempts: 2, initialInterval: 600 },
      })
      .build();
    calls.length = 0;
    const t0 = clock.now();
    const a = engine.run(retried, {});
    const b = engine.run(retried, {});
    await clock.runAll();
    expect((await a.result).status).toBe('success');
    const rb = await b.result;
    expect(rb.status).toBe('success');
    expect(rb.nodes.page?.attempts).toBe(2);
    expect(calls.map((t) => t - t0)).toEqual([0, 600]);
  });

  it('bad mode values are build problems', () => {
    expect(() =>
      workflow('x')
        .addNode('a', () => 1, { rateLimit: { limit: 1, period: 10, mode: 'later' as 'drop' } })
        .build(),
    ).toThrow(/rateLimit\.mode.*expected 'delay' or 'drop', got "later"/);
    expect(() =>
      workflow('x')
        .addNode('a', () => 1, { rateLimit: { limit: 1, period: 10, mod: 'drop' } as never })
        .build(),
    ).toThrow(/rateLimit\.mod.*did you mean "rateLimit\.mode"/s);
  });
});
