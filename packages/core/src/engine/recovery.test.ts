import { firstValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { workflow } from '../builder/workflow-builder.js';
import type { FlowEvent } from '../contracts/events.js';
import { FlowlaneError } from '../errors.js';
import { createVirtualClock } from '../runtime/virtual-clock.js';
import { createEngine } from './engine.js';
import { useEngines } from './engines.test-helper.js';

const engine = useEngines();
const eventsOf = (run: { events$: import('rxjs').Observable<FlowEvent> }) =>
  firstValueFrom(run.events$.pipe(toArray()));

class NetworkError extends Error {
  override name = 'NetworkError';
}

describe('retry (virtual time)', () => {
  it('retries with exponential backoff on the injected clock: 30 s delays take no real time', async () => {
    const clock = createVirtualClock();
    let calls = 0;
    const times: number[] = [];
    const wf = workflow('r')
      .addNode(
        'flaky',
        () => {
          times.push(clock.now());
          if (++calls < 4) throw new NetworkError(`try ${calls}`);
          return 'ok';
        },
        { retry: { maxAttempts: 5, initialInterval: 30_000, backoffCoefficient: 2, maxInterval: 100_000 } },
      )
      .build();
    const run = engine({ clock }).run(wf, {});
    await clock.runAll();
    const r = await run.result;
    expect(r.status).toBe('success');
    expect(r.nodes.flaky).toMatchObject({ status: 'success', attempts: 4 });
    expect(times).toEqual([0, 30_000, 90_000, 190_000]);
    const events = await eventsOf(run);
    expect(
      events
        .filter((e) => e.type === 'node.retrying')
        .map((e) => [(e as { attempt: number }).attempt, (e as { delayMs: number }).delayMs]),
    ).toEqual([
      [1, 30_000],
      [2, 60_000],
      [3, 100_000],
    ]);
    expect(events.filter((e) => e.type === 'node.started').map((e) => (e as { attempt: number }).attempt)).toEqual([
      1, 2, 3, 4,
    ]);
    const retrying = events.find((e) => e.type === 'node.retrying');
    expect(retrying).toMatchObject({ error: { name: 'NetworkError', message: 'try 1' } });
    expect((retrying as { error: { stack?: string } }).error.stack).toBeUndefined();
  });

  it('linear backoff is a coefficient of 1; maxAttempts exhausted fails the node', async () => {
    const clock = createVirtualClock();
    const times: number[] = [];
    const wf = workflow('lin')
      .addNode(
        'always',
        () => {
          times.push(clock.now());
          throw new Error('down');
        },
        { retry: { maxAttempts: 3, initialInterval: 5000, backoffCoefficient: 1 } },
      )
      .build();
    const run = engine({ clock }).run(wf, {});
    await clock.runAll();
    const r = await run.result;
    expect(times).toEqual([0, 5000, 10_000]);
    expect(r.status).toBe('failed');
    expect(r.nodes.always).toMatchObject({ status: 'failed', attempts: 3 });
  });

  it('onRetry overrides the delay or stops retrying; nonRetryable errors are not retried', async () => {
    const clock = createVirtualClock();
    let n = 0;
    const times: number[] = [];
    const seen: [string, number, string][] = [];
    const wf = workflow('custom')
      .addNode(
        'rate',
        () => {
          times.push(clock.now());
          n++;
          const err = Object.assign(new Error('slow down'), {
            code: n === 1 ? 'RATE_LIMIT' : n === 2 ? 'OTHER' : 'FATAL',
          });
          throw err;
        },
        {
          retry: {
            maxAttempts: 10,
            onRetry: (error, attempt, ctx) => {
              const code = (error as { code: string }).code;
              seen.push([code, attempt, ctx.nodeId]);
              if (code === 'RATE_LIMIT') return 60_000;
              if (code === 'FATAL') return false;
              return undefined;
            },
          },
        },
      )
      .addNode(
        'strict',
        () => {
          throw new TypeError('bad input');
        },
        { retry: { maxAttempts: 5, initialInterval: 1, nonRetryable: [TypeError] }, onError: 'continue' },
      )
      .build();
    const run = engine({ clock }).run(wf, {});
    await clock.runAll();
    const r = await run.result;
    expect(times).toEqual([0, 60_000, 62_000]);
    expect(seen).toEqual([
      ['RATE_LIMIT', 1, 'rate'],
      ['OTHER', 2, 'rate'],
      ['FATAL', 3, 'rate'],
    ]);
    expect(r.nodes.strict!.attempts).toBe(1);
  });
});

describe('timeout (virtual time)', () => {
  it('aborts ctx.signal, marks the node timeout and emits node.timed-out', async () => {
    const clock = createVirtualClock();
    let aborted: unknown;
    const wf = workflow('t')
      .addNode(
        'slow',
        (ctx) =>
          new Promise((_, reject) => {
            ctx.signal.addEventListener('abort', () => {
              aborted = ctx.signal.reason;
              reject(ctx.signal.reason);
            });
          }),
        { timeout: 60_000 },
      )
      .build();
    const run = engine({ clock }).run(wf, {});
    await clock.advanceBy(59_999);
    expect(aborted).toBeUndefined();
    await clock.advanceBy(1);
    const r = await run.result;
    expect((aborted as FlowlaneError).code).toBe('FL_TIMEOUT');
    expect(r.status).toBe('failed');
    expect(r.nodes.slow).toMatchObject({ status: 'timeout', error: { code: 'FL_TIMEOUT' } });
    expect((await eventsOf(run)).some((e) => e.type === 'node.timed-out' && e.timeoutMs === 60_000)).toBe(true);
  });

  it('a timed-out attempt is retried when the policy allows', async () => {
    const clock = createVirtualClock();
    let attempt = 0;
    const wf = workflow('tr')
      .addNode(
        'n',
        (ctx) => {
          attempt = ctx.attempt;
          return ctx.attempt === 1 ? new Promise(() => undefined) : 'second';
        },
        { timeout: 1000, retry: { maxAttempts: 2, initialInterval: 500 } },
      )
      .build();
    const run = engine({ clock }).run(wf, {});
    await clock.runAll();
    const r = await run.result;
    expect(attempt).toBe(2);
    expect(r.outputs.n).toBe('second');
    expect(clock.pending()).toBe(0);
  });
});

describe('fallbacks', () => {
  it('cascades primary → fallback-1 → fallback-2; dependents receive the fallback output; unused fallbacks never run', async () => {
    const ran: string[] = [];
    const wf = workflow('cascade')
      .addNode(
        'primary',
        () => {
          ran.push('primary');
          throw new Error('primary down');
        },
        { fallback: 'fallback-1' },
      )
      .addNode(
        'fallback-1',
        () => {
          ran.push('fallback-1');
          throw new Error('f1 down');
        },
        { fallback: 'fallback-2' },
      )
      .addNode('fallback-2', () => {
        ran.push('fallback-2');
        return 'cached copy';
      })
      .addNode('use', (ctx) => `using ${String(ctx.results.primary)}`, { dependsOn: ['primary'] })
      .addNode('ok', () => 1, { fallback: 'never' })
      .addNode('never', () => {
        ran.push('never');
      })
      .build();
    const run = engine().run(wf, {});
    const r = await run.result;
    expect(r.status).toBe('success');
    expect(ran).toEqual(['primary', 'fallback-1', 'fallback-2']);
    expect(r.outputs.use).toBe('using cached copy');
    expect(r.nodes.primary).toMatchObject({
      status: 'success',
      fallbackUsed: 'fallback-2',
      error: { message: 'primary down' },
    });
    expect(r.nodes['fallback-1']!.error?.message).toBe('f1 down');
    expect(r.nodes['fallback-1']!.status).toBe('failed');
    expect(r.nodes.never!.status).toBe('skipped');
    const fell = (await eventsOf(run)).filter((e) => e.type === 'node.fell-back');
    expect(fell.map((e) => [e.nodeId, (e as { fallbackId: string }).fallbackId])).toEqual([
      ['primary', 'fallback-1'],
      ['fallback-1', 'fallback-2'],
    ]);
  });

  it("a fallback with dependencies runs only when needed, with its dependencies' results", async () => {
    const calls: string[] = [];
    const build = (pushFails: boolean) =>
      workflow('fd')
        .addNode('build', async () => {
          await new Promise((r) => setImmediate(r));
          return 'img';
        })
        .addNode(
          'push',
          async () => {
            await new Promise((r) => setImmediate(r));
            if (pushFails) throw new Error('registry down');
            return 'pushed';
          },
          { dependsOn: ['build'], fallback: 'mirror' },
        )
        .addNode(
          'mirror',
          (ctx) => {
            calls.push('mirror');
            return `mirrored ${String(ctx.results.build)}`;
          },
          { dependsOn: ['build'] },
        )
        .build();
    const ok = await engine().run(build(false), {}).result;
    expect(ok.outputs.push).toBe('pushed');
    expect(ok.nodes.mirror!.status).toBe('skipped');
    expect(calls).toEqual([]);
    const fell = await engine().run(build(true), {}).result;
    expect(fell.outputs.push).toBe('mirrored img');
    expect(calls).toEqual(['mirror']);
    expect(build(true).toJSON().edges).toEqual(
      expect.arrayContaining([
        { from: 'build', to: 'mirror', kind: 'dependency' },
        { from: 'push', to: 'mirror', kind: 'fallback' },
      ]),
    );
  });

  it('fails the run when the last fallback fails', async () => {
    const wf = workflow('f')
      .addNode(
        'p',
        () => {
          throw new Error('a');
        },
        { onError: 'fallback', fallback: 'f' },
      )
      .addNode('f', () => {
        throw new Error('b');
      })
      .build();
    const r = await engine().run(wf, {}).result;
    expect(r.status).toBe('failed');
    expect(r.error?.message).toContain('Node "p" failed: b');
  });
});

describe('error boundaries and onError', () => {
  it('a matching boundary handles the failure; dependents see its value', async () => {
    const wf = workflow('b')
      .addNode('risky', () => {
        throw new NetworkError('socket hang up');
      })
      .addNode('error-handler', (_ctx, error) => ({ recovered: true, was: (error as Error).message }), {
        onError: true,
        forNodes: ['risky'],
        errorTypes: [NetworkError, 'FL_TIMEOUT'],
      })
      .addNode('next', (ctx) => ctx.results.risky, { dependsOn: ['risky'] })
      .build();
    const run = engine().run(wf, {});
    const r = await run.result;
    expect(r.status).toBe('success');
    expect(r.outputs.next).toEqual({ recovered: true, was: 'socket hang up' });
    expect(r.nodes.risky).toMatchObject({
      status: 'success',
      handledBy: 'error-handler',
      error: { name: 'NetworkError' },
    });
    const failed = (await eventsOf(run)).find((e) => e.type === 'node.failed');
    expect(failed).toMatchObject({ nodeId: 'risky', handledBy: 'error-handler' });
  });

  it('a non-matching error still fails the run', async () => {
    const wf = workflow('b')
      .addNode('risky', () => {
        throw new RangeError('other');
      })
      .boundary('h', () => 'x', { forNodes: ['risky'], errorTypes: [NetworkError] })
      .build();
    const r = await engine().run(wf, {}).result;
    expect(r.status).toBe('failed');
    expect(r.nodes.h!.status).toBe('skipped');
  });

  it('a failing boundary fails the node it guards (and the run, unless onError continue)', async () => {
    const wf = workflow('bb')
      .addNode('risky', () => {
        throw new NetworkError('down');
      })
      .boundary(
        'h',
        () => {
          throw new Error('handler broke too');
        },
        { forNodes: ['risky'] },
      )
      .addNode(
        'soft',
        () => {
          throw new NetworkError('down');
        },
        { onError: 'continue' },
      )
      .boundary(
        'h2',
        () => {
          throw new Error('h2 broke');
        },
        { forNodes: ['soft'] },
      )
      .build();
    const run = engine().run(wf, {});
    const r = await run.result;
    expect(r.status).toBe('failed');
    expect(r.error?.message).toContain('Node "risky" failed: handler broke too');
    expect(r.nodes.h!.status).toBe('failed');
    expect(r.nodes.risky!.status).toBe('failed');
    const failed = (await eventsOf(run)).filter((e) => e.type === 'node.failed').map((e) => e.nodeId);
    expect(failed.filter((id) => id === 'risky')).toHaveLength(1);
  });

  it("onError: 'continue' marks the node failed and dependents see undefined", async () => {
    const wf = workflow('c')
      .addNode(
        'notify',
        () => {
          throw new Error('slack down');
        },
        { onError: 'continue' },
      )
      .chain('after', (ctx) => `notify=${String(ctx.results.notify)}`)
      .build();
    const run = engine().run(wf, {});
    const r = await run.result;
    expect(r.status).toBe('success');
    expect(r.nodes.notify!.status).toBe('failed');
    expect(r.outputs.after).toBe('notify=undefined');
    expect((await eventsOf(run)).find((e) => e.type === 'node.failed')).toMatchObject({ continued: true });
  });
});

describe('cache', () => {
  it('hits on the second run and shares one execution among concurrent runs', async () => {
    const e = engine();
    let computed = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const wf = workflow('c')
      .input<{ key: string }>()
      .addNode(
        'expensive',
        async (ctx) => {
          computed++;
          await gate;
          return `value-${ctx.input.key}`;
        },
        { cache: { ttl: 60_000, keyFn: (ctx) => ctx.input.key } },
      )
      .build();
    const a = e.run(wf, { key: 'k' });
    const b = e.run(wf, { key: 'k' });
    await new Promise((r) => setImmediate(r));
    release();
    const [ra, rb] = await Promise.all([a.result, b.result]);
    expect(computed).toBe(1);
    expect(ra.outputs.expensive).toBe('value-k');
    expect(rb.outputs.expensive).toBe('value-k');
    expect(rb.nodes.expensive!.cacheHit).toBe(true);
    expect((await eventsOf(b)).find((x) => x.type === 'node.cache-hit')).toMatchObject({ shared: true });
    const c = e.run(wf, { key: 'k' });
    expect((await c.result).outputs.expensive).toBe('value-k');
    expect(computed).toBe(1);
    expect((await eventsOf(c)).find((x) => x.type === 'node.cache-hit')).toMatchObject({ shared: false });
    await e.run(wf, { key: 'other' }).result;
    expect(computed).toBe(2);
  });

  it('expires entries after ttl on the engine clock', async () => {
    const clock = createVirtualClock();
    const e = engine({ clock });
    let computed = 0;
    const wf = workflow('ttl')
      .addNode('n', () => ++computed, { cache: { ttl: 1000 } })
      .build();
    await e.run(wf, {}).result;
    await e.run(wf, {}).result;
    expect(computed).toBe(1);
    await clock.advanceBy(1001);
    await e.run(wf, {}).result;
    expect(computed).toBe(2);
  });
});

describe('cancellation and close', () => {
  it('run.cancel aborts running nodes, skips the rest and settles cancelled', async () => {
    let signal: AbortSignal | undefined;
    let laterRan = false;
    const wf = workflow('cx')
      .addNode('long', (ctx) => {
        signal = ctx.signal;
        return new Promise(() => undefined);
      })
      .chain('later', () => {
        laterRan = true;
      })
      .build();
    const run = engine().run(wf, {});
    await new Promise((r) => setImmediate(r));
    run.cancel('user requested');
    const r = await run.result;
    expect(r.status).toBe('cancelled');
    expect(r.error?.code).toBe('FL_CANCELLED');
    expect(r.error?.message).toContain('user requested');
    expect(signal?.aborted).toBe(true);
    expect(r.nodes.long!.status).toBe('cancelled');
    expect(r.nodes.later!.status).toBe('cancelled');
    expect(laterRan).toBe(false);
    const all = await eventsOf(run);
    expect(all.at(-1)).toMatchObject({ type: 'workflow.cancelled', reason: 'user requested' });
    expect(all.filter((e) => e.type === 'node.cancelled')).toEqual([
      expect.objectContaining({ nodeId: 'long', attempt: 1, reason: expect.stringContaining('user requested') }),
    ]);
  });

  it('an external AbortSignal cancels the run', async () => {
    const ac = new AbortController();
    const wf = workflow('ext')
      .addNode('wait', () => new Promise(() => undefined))
      .build();
    const run = engine().run(wf, {}, { signal: ac.signal });
    ac.abort(new Error('deadline'));
    const r = await run.result;
    expect(r.status).toBe('cancelled');
    expect(r.error?.message).toContain('deadline');
  });

  it('engine.close cancels runs, clears pending timers and disposes', async () => {
    const clock = createVirtualClock();
    const e = createEngine({ clock });
    const wf = workflow('close')
      .addNode(
        'retrying',
        () => {
          throw new Error('x');
        },
        { retry: { maxAttempts: 100, initialInterval: 10_000 }, timeout: 50_000 },
      )
      .build();
    const run = e.run(wf, {});
    await clock.advanceBy(1);
    expect(clock.pending()).toBeGreaterThan(0);
    await e.close();
    expect((await run.result).status).toBe('cancelled');
    expect(clock.pending()).toBe(0);
    await e.close(); // idempotent
  });
});
