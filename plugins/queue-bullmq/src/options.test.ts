import { createEngine, createMemoryExecutionStore, isFlowlaneError, workflow } from '@flowlane/core';
import { closeDuringSetup } from '@flowlane/testing';
import { describe, expect, it } from 'vitest';
import { decodePayload, encodePayload } from './codec.js';
import { bullmqDispatch } from './dispatch.js';
import { BullmqError } from './errors.js';
import { createWorker } from './worker.js';

describe('options and codec', () => {
  it('rejects unknown and invalid options with FL_BULLMQ_INVALID_OPTION', async () => {
    const err = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e as BullmqError;
      }
      throw new Error('no error');
    };
    const e1 = err(() => bullmqDispatch({ connection: 'redis://x', groups: ['a'], gruops: [] } as never));
    expect(BullmqError.is(e1, 'FL_BULLMQ_INVALID_OPTION')).toBe(true);
    expect(e1.message).toContain('gruops');
    expect(e1.message).toContain('groups');
    const e2 = err(() => bullmqDispatch({ connection: 'redis://x', groups: ['a'], defaultGroup: 'b' }));
    expect(e2.message).toContain('defaultGroup');
    const e3 = err(() => bullmqDispatch({ connection: 'redis://x', groups: ['local'] }));
    expect(e3.message).toContain("'local'");
    await expect(
      createWorker({ connection: 'redis://x', group: 'g', workflows: [], concurency: 2 } as never),
    ).rejects.toThrow(/concurrency/);
    await expect(createWorker({ connection: 'http://u:pw@x', group: 'g', workflows: [] })).rejects.toThrow(
      /u:\*\*\*@x/,
    );
  });

  it('validates groups in object form and limiters (typed errors, unknown keys with a hint)', async () => {
    const err = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e as BullmqError;
      }
      throw new Error('no error');
    };
    const dispatch = (groups: unknown) => () => bullmqDispatch({ connection: 'redis://x', groups: groups as never });
    expect(dispatch({ gpu: { limiter: { max: 2, duration: 1000 } }, cpu: {} })).not.toThrow();
    const unknownGroupKey = err(dispatch({ gpu: { limter: { max: 1, duration: 1 } } }));
    expect(BullmqError.is(unknownGroupKey, 'FL_BULLMQ_INVALID_OPTION')).toBe(true);
    expect(unknownGroupKey.message).toContain('limter');
    expect(unknownGroupKey.message).toContain('limiter');
    const unknownLimiterKey = err(dispatch({ gpu: { limiter: { max: 1, duraton: 1 } } }));
    expect(unknownLimiterKey.message).toContain('duraton');
    expect(unknownLimiterKey.message).toContain('duration');
    const zero = err(dispatch({ gpu: { limiter: { max: 0, duration: 1000 } } }));
    expect(zero.details).toMatchObject({ option: 'groups.gpu.limiter' });
    expect(zero.message).toContain('max to be an integer > 0, got 0');
    expect(err(dispatch({ gpu: { limiter: 5 } })).message).toContain('{ max, duration }');
    expect(err(dispatch({ local: {} })).message).toContain("'local'");
    expect(err(dispatch({ gpu: 'fast' })).message).toContain('groups.gpu');
    expect(err(dispatch('gpu')).message).toContain('expected an array of group names, or an object');
    const d = err(() => bullmqDispatch({ connection: 'redis://x', groups: { gpu: {} }, defaultGroup: 'cpu' }));
    expect(d.message).toContain('defaultGroup');
    await expect(
      createWorker({ connection: 'redis://x', group: 'g', workflows: [], limiter: { max: 1, duration: -5 } }),
    ).rejects.toThrow(/duration to be an integer > 0, got -5/);
  });

  it('groups is optional (default []): a coordinator that only enqueues or serves runs names none', () => {
    const plugin = bullmqDispatch({ connection: 'redis://127.0.0.1:6379', serve: { concurrency: 20 } });
    expect(plugin.name).toBe('@flowlane/queue-bullmq');
    expect(() => bullmqDispatch({ connection: 'redis://127.0.0.1:6379' })).not.toThrow();
    // defaultGroup still needs a group to name.
    expect(() => bullmqDispatch({ connection: 'redis://127.0.0.1:6379', defaultGroup: 'gpu' })).toThrow(/defaultGroup/);
  });

  it('a connection that is not a redis:// or rediss:// URL is rejected when the plugin or worker is created (password redacted)', async () => {
    let e: unknown;
    try {
      bullmqDispatch({ connection: 'http://u:pw@x', groups: [] });
    } catch (err) {
      e = err;
    }
    expect(BullmqError.is(e, 'FL_BULLMQ_INVALID_OPTION')).toBe(true);
    expect((e as BullmqError).details).toMatchObject({ option: 'connection' });
    expect((e as Error).message).toContain('http://u:***@x');
    expect((e as Error).message).not.toContain(':pw@');
    expect(() => bullmqDispatch({ connection: 42 as never })).toThrow(/redis:\/\/ or rediss:\/\/ URL, got number/);
    const w = await createWorker({ connection: 'http://u:pw@x', group: 'g', workflows: [] }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(BullmqError.is(w, 'FL_BULLMQ_INVALID_OPTION')).toBe(true);
    expect((w as Error).message).not.toContain(':pw@');
  });

  it('options in ms are capped at 2^31−1 (the longest timer): larger values throw FL_BULLMQ_INVALID_OPTION naming the option', async () => {
    const tooLong = 1e12;
    const dispatchErr = (o: Record<string, unknown>) => {
      try {
        bullmqDispatch({ connection: 'redis://x', groups: [], ...o });
      } catch (e) {
        return e as BullmqError;
      }
      return undefined;
    };
    for (const [o, option] of [
      [{ serve: { lockDuration: tooLong } }, 'serve.lockDuration'],
      [{ serve: { stalledInterval: tooLong } }, 'serve.stalledInterval'],
      [{ connectTimeout: tooLong }, 'connectTimeout'],
      [{ heartbeatInterval: tooLong }, 'heartbeatInterval'],
      [{ heartbeatTimeout: tooLong }, 'heartbeatTimeout'],
      [{ groups: { gpu: { limiter: { max: 1, duration: tooLong } } } }, 'groups.gpu.limiter.duration'],
    ] as const) {
      const e = dispatchErr(o);
      expect(BullmqError.is(e, 'FL_BULLMQ_INVALID_OPTION'), option).toBe(true);
      expect(e?.details, option).toMatchObject({ option });
      expect(e?.message).toContain('at most 2147483647 ms');
    }
    // The largest timer is still accepted.
    expect(dispatchErr({ serve: { lockDuration: 2 ** 31 - 1 }, connectTimeout: 2 ** 31 - 1 })).toBeUndefined();
    for (const option of ['lockDuration', 'stalledInterval', 'heartbeatInterval', 'connectTimeout'] as const) {
      const w = await createWorker({ connection: 'redis://x', group: 'g', workflows: [], [option]: tooLong }).then(
        () => undefined,
        (e: unknown) => e as BullmqError,
      );
      expect(BullmqError.is(w, 'FL_BULLMQ_INVALID_OPTION'), option).toBe(true);
      expect(w?.details, option).toMatchObject({ option });
    }
    const lim = await createWorker({
      connection: 'redis://x',
      group: 'g',
      workflows: [],
      limiter: { max: 1, duration: tooLong },
    }).then(
      () => undefined,
      (e: unknown) => e as BullmqError,
    );
    expect(lim?.details).toMatchObject({ option: 'limiter.duration' });
    // A worker's connectTimeout is checked like the coordinator's (it was not checked at all).
    await expect(
      createWorker({ connection: 'redis://x', group: 'g', workflows: [], connectTimeout: -5 }),
    ).rejects.toThrow(/connectTimeout/);
  });

  it('an unreachable Redis fails setup with FL_BULLMQ_UNREACHABLE (password redacted) instead of hanging', async () => {
    const url = 'redis://user:hunter2@127.0.0.1:1';
    const engine = createEngine({ plugins: [bullmqDispatch({ connection: url, groups: ['g'], connectTimeout: 300 })] });
    const err = await engine.ready().then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err).toBeDefined();
    const cause = (err as Error & { cause?: BullmqError }).cause;
    expect(BullmqError.is(cause, 'FL_BULLMQ_UNREACHABLE')).toBe(true);
    expect(String(err?.message) + String(cause?.message)).not.toContain('hunter2');
    await engine.close();
    const w = await createWorker({ connection: url, group: 'g', workflows: [], connectTimeout: 300 }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(BullmqError.is(w, 'FL_BULLMQ_UNREACHABLE')).toBe(true);
    expect(w?.message).toContain('user:***@127.0.0.1:1');
  });

  it('engine.close() while setup waits for an unreachable Redis stops waiting at once (api.signal), not after connectTimeout', async () => {
    const engine = createEngine({
      plugins: [bullmqDispatch({ connection: 'redis://127.0.0.1:1', groups: ['g'], connectTimeout: 60_000 })],
    });
    await new Promise((r) => setTimeout(r, 100)); // setup is waiting for Redis' first answer
    const { closeMs, readyError } = await closeDuringSetup(engine);
    expect(closeMs).toBeLessThan(2_000);
    expect(isFlowlaneError(readyError, 'FL_ENGINE_CLOSED')).toBe(true);
  });

  it("serve on an engine with resume: 'auto' fails setup with FL_BULLMQ_INVALID_OPTION (both would take over crashed runs); without serve it is not refused", async () => {
    const store = createMemoryExecutionStore();
    // The check comes before any connection: no Redis at this URL is needed to see it.
    const engine = createEngine({
      plugins: [bullmqDispatch({ connection: 'redis://127.0.0.1:1', groups: [], serve: { concurrency: 2 } })],
      executions: store,
      resume: 'auto',
    });
    const err = await engine.ready().then(
      () => undefined,
      (e: Error) => e,
    );
    const cause = (err as Error & { cause?: BullmqError }).cause;
    expect(BullmqError.is(cause, 'FL_BULLMQ_INVALID_OPTION')).toBe(true);
    expect(cause?.details).toMatchObject({ option: 'serve' });
    expect(cause?.message).toMatch(/resume: 'auto'.*resume: 'manual'/);
    await engine.close();
    // The same plugin without serve is not refused (it fails later, on the unreachable Redis, not on the option).
    const client = createEngine({
      plugins: [bullmqDispatch({ connection: 'redis://127.0.0.1:1', groups: [], connectTimeout: 200 })],
      executions: createMemoryExecutionStore(),
      resume: 'auto',
    });
    const other = await client.ready().then(
      () => undefined,
      (e: Error) => e,
    );
    expect(BullmqError.is((other as Error & { cause?: unknown }).cause, 'FL_BULLMQ_UNREACHABLE')).toBe(true);
    await client.close();
  });

  it('runOn is a known node option, validated at build()', () => {
    expect(() =>
      workflow('w')
        .addNode('a', () => 1, { runOn: '' })
        .build(),
    ).toThrow(/runOn/);
    const wf = workflow('w')
      .addNode('a', () => 1, { runOn: 'gpu' })
      .build();
    expect(wf.toJSON().nodes[0]?.options.runOn).toBe('gpu');
  });

  it('round-trips what JSON lacks and rejects what it cannot carry', () => {
    const v = {
      d: new Date(3),
      b: 12345678901234567890n,
      m: new Map([['k', [1, undefined]]]),
      s: new Set([1]),
      u: new Uint8Array([1, 2, 255]),
      $fl: 'own key',
      skip: undefined,
    };
    const back = decodePayload(encodePayload(v, { nodeId: 'n', what: 'inputs' }));
    const { skip: _skip, ...rest } = v;
    expect(back).toEqual(rest);
    const bad = (x: unknown) => {
      try {
        encodePayload(x, { nodeId: 'n', what: 'result' });
      } catch (e) {
        return e as BullmqError;
      }
      throw new Error('encoded');
    };
    expect(bad({ f: () => 1 }).code).toBe('FL_BULLMQ_UNSERIALIZABLE');
    expect(bad({ a: { n: Number.NaN } }).message).toContain('result.a.n');
    const cyc: Record<string, unknown> = {};
    cyc.self = cyc;
    expect(bad(cyc).message).toContain('cycle');
    expect(bad(new (class Thing {})()).message).toContain('Thing');
    const e = (() => {
      try {
        encodePayload('x'.repeat(100), { nodeId: 'n', what: 'inputs', limit: 50 });
      } catch (x) {
        return x as BullmqError;
      }
      throw new Error('encoded');
    })();
    expect(BullmqError.is(e, 'FL_BULLMQ_PAYLOAD_TOO_LARGE')).toBe(true);
  });
});
