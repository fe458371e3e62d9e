import { EMPTY, of } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { workflow } from '../builder/workflow-builder.js';
import { createEngine } from './engine.js';
import { runNodeOnWorker } from './node-runner.js';

describe('runNodeOnWorker', () => {
  const wf = workflow('remote', { version: '1' })
    .addNode('a', () => 1)
    .addNode(
      'b',
      async (ctx) => {
        const secret = await ctx.getSecret('API_KEY');
        ctx.log.info(`key ${secret}`, { secret });
        ctx.emitEvent('b.done', { secret, n: ctx.results.a });
        return {
          sum: (ctx.results.a as number) + (ctx.input as { k: number }).k,
          attempt: ctx.attempt,
          actor: ctx.actor?.id,
        };
      },
      { dependsOn: ['a'] },
    )
    .addNode('c', (ctx) => ctx.storage.get('x'))
    .addNode('d', async (ctx) => {
      const secret = await ctx.getSecret('API_KEY');
      throw new Error(`failed with ${secret}`);
    })
    .build();

  it('runs one node with the given inputs, the engine secrets, and redacted logs, events and errors', async () => {
    const engine = createEngine({
      secrets: [{ name: 'test', get: (n) => (n === 'API_KEY' ? 'k-123456' : undefined) }],
    });
    const logs: unknown[] = [];
    const events: unknown[] = [];
    const base = { executionId: 'e1', attempt: 2, input: { k: 5 }, signal: new AbortController().signal };
    const out = await runNodeOnWorker(engine, wf as never, {
      ...base,
      nodeId: 'b',
      results: { a: 10 },
      actor: { id: 'ada' },
      onLog: (level, message, fields) => logs.push({ level, message, fields }),
      onEvent: (name, payload) => events.push({ name, payload }),
    });
    expect(out).toEqual({ ok: true, value: { sum: 15, attempt: 2, actor: 'ada' } });
    expect(logs).toEqual([{ level: 'info', message: 'key [REDACTED]', fields: { secret: '[REDACTED]' } }]);
    expect(events).toEqual([{ name: 'b.done', payload: { secret: '[REDACTED]', n: 10 } }]);

    const failed = await runNodeOnWorker(engine, wf as never, { ...base, nodeId: 'd', results: {} });
    expect(failed.ok).toBe(false);
    expect(!failed.ok && failed.error.message).toBe('failed with [REDACTED]');

    const storage = await runNodeOnWorker(engine, wf as never, { ...base, nodeId: 'c', results: {} });
    expect(!storage.ok && storage.error.code).toBe('FL_INVALID_OPTION');
    await expect(runNodeOnWorker(engine, wf as never, { ...base, nodeId: 'zz', results: {} })).rejects.toThrow(
      /no node "zz"/,
    );
    await engine.close();
  });

  it('settles with the value of a plain, promised or thenable result, the last value of an observable, and a forEach list', async () => {
    const shapes = workflow('shapes', { version: '1' })
      .addNode('plain', () => 7)
      .addNode('promised', async () => 8)
      // A thenable that is not a Promise.
      .addNode('thenable', () => ({ then: (ok: (v: number) => void) => ok(9) }) as unknown as PromiseLike<number>)
      .addNode('observable', () => of(1, 2, 10))
      .addNode('empty', () => EMPTY)
      .addNode('throws', () => {
        throw new Error('sync failure');
      })
      .forEach('each', [1, 2, 3], (n: number) => n * 2)
      .build();
    const engine = createEngine({});
    const base = { executionId: 'e2', attempt: 1, input: {}, results: {}, signal: new AbortController().signal };
    const run = (nodeId: string) => runNodeOnWorker(engine, shapes as never, { ...base, nodeId });
    expect(await run('plain')).toEqual({ ok: true, value: 7 });
    expect(await run('promised')).toEqual({ ok: true, value: 8 });
    expect(await run('thenable')).toEqual({ ok: true, value: 9 });
    expect(await run('observable')).toEqual({ ok: true, value: 10 });
    expect(await run('empty')).toEqual({ ok: true, value: undefined });
    const thrown = await run('throws');
    expect(!thrown.ok && thrown.error.message).toBe('sync failure');
    expect(await run('each')).toEqual({ ok: true, value: [2, 4, 6] });
    await engine.close();
  });

  it('reads the request signal only when the node asks for ctx.signal (a worker may make it then)', async () => {
    const wf2 = workflow('signals', { version: '1' })
      .addNode('ignores', () => 1)
      .addNode('looks', (ctx) => ({ aborted: ctx.signal.aborted, reason: ctx.signal.reason as unknown }))
      .build();
    const engine = createEngine({});
    let reads = 0;
    const made = new AbortController();
    made.abort('cancelled before the node looked');
    const request = (nodeId: string) => ({
      executionId: 'e3',
      nodeId,
      attempt: 1,
      input: {},
      results: {},
      get signal() {
        reads++;
        return made.signal;
      },
    });
    expect(await runNodeOnWorker(engine, wf2 as never, request('ignores'))).toEqual({ ok: true, value: 1 });
    expect(reads).toBe(0);
    expect(await runNodeOnWorker(engine, wf2 as never, request('looks'))).toEqual({
      ok: true,
      value: { aborted: true, reason: 'cancelled before the node looked' },
    });
    expect(reads).toBe(2);
    await engine.close();
  });
});
