import { createEngine, isFlowlaneError, workflow } from '@flowlane/core';
import { type RedisService, startRedis } from '@flowlane/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisStore } from './redis-plugin.js';
import { cancelRun } from './run-control.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
let redis: RedisService;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

/** A node that waits until its abort signal fires, and says whether it did. */
const hold = (aborted: string[]) =>
  workflow('hold', { version: '1' })
    .addNode('first', () => 1)
    .chain(
      'wait',
      (ctx) =>
        new Promise<string>((_resolve, reject) => {
          ctx.signal.addEventListener('abort', () => {
            aborted.push(ctx.executionId);
            reject(new Error('aborted'));
          });
        }),
    )
    .build();

async function until(check: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + 15_000;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('cancelRun (cancel from another process)', () => {
  it('the owning engine cancels its run: nodes aborted, cancellation logged with the reason', async () => {
    const aborted: string[] = [];
    const engine = createEngine({ plugins: [redisStore({ url: redis.url, prefix: 'c1:' })], logger: quiet });
    const run = engine.run(hold(aborted), {}, { executionId: 'run-a' });
    await until(
      async () =>
        (await engine.runs.records('run-a'))?.some((r) => r.type === 'node.started' && r.nodeId === 'wait') === true,
    );
    const r = await cancelRun('run-a', { url: redis.url, prefix: 'c1:', reason: 'bad release' });
    expect(r).toEqual({ outcome: 'cancelled-by-owner', status: 'cancelled' });
    expect((await run.result).status).toBe('cancelled');
    expect(aborted).toEqual(['run-a']);
    const last = (await engine.runs.records('run-a'))!.at(-1)!;
    expect(last).toMatchObject({ type: 'workflow.cancelled', reason: 'bad release' });
    // Cancelling again is a no-op that says so.
    expect(await cancelRun('run-a', { url: redis.url, prefix: 'c1:' })).toEqual({
      outcome: 'already-finished',
      status: 'cancelled',
    });
    await engine.close();
  });

  it('a run whose engine is gone is finished as cancelled in the log, and can no longer be resumed', async () => {
    const aborted: string[] = [];
    const wf = hold(aborted);
    const engine = createEngine({ plugins: [redisStore({ url: redis.url, prefix: 'c2:' })], logger: quiet });
    engine.run(wf, {}, { executionId: 'run-b' });
    await until(async () => (await engine.runs.get('run-b'))?.records === 4);
    await engine.close(); // leaves the run resumable, like a crash
    const r = await cancelRun('run-b', { url: redis.url, prefix: 'c2:', waitMs: 0 });
    expect(r).toEqual({ outcome: 'cancelled-in-store', status: 'cancelled' });
    const reader = createEngine({
      plugins: [redisStore({ url: redis.url, prefix: 'c2:', control: false })],
      workflows: [wf],
      logger: quiet,
    });
    expect((await reader.runs.get('run-b'))?.status).toBe('cancelled');
    await expect(reader.resume('run-b')).rejects.toSatisfy((e) => isFlowlaneError(e, 'FL_EXECUTION_FINISHED'));
    await reader.close();
  });

  it('a cancel the owning engine’s permission policy refuses is reported, and the run is left alone', async () => {
    const aborted: string[] = [];
    const engine = createEngine({
      plugins: [
        redisStore({ url: redis.url, prefix: 'c4:' }),
        {
          name: 'no-cancel-policy',
          version: '1.0.0',
          flowlane: '>=0.1.0 <1.0.0',
          setup(api) {
            api.permissions.setPolicy({
              check: () => ({ allowed: true }),
              authorize: (r) =>
                r.action === 'cancel' ? { allowed: false, reason: 'cancels need an on-call actor' } : { allowed: true },
            });
          },
        },
      ],
      logger: quiet,
    });
    engine.run(hold(aborted), {}, { executionId: 'run-d' });
    await until(async () => (await engine.runs.get('run-d'))?.records === 4);
    const err = await cancelRun('run-d', { url: redis.url, prefix: 'c4:' }).catch((e: unknown) => e);
    expect(isFlowlaneError(err, 'FL_ACTION_DENIED')).toBe(true);
    expect((err as Error).message).toMatch(/cancels need an on-call actor/);
    expect((await engine.runs.get('run-d'))?.status).toBe('running');
    expect(aborted).toEqual([]);
    await engine.close();
  });

  it('unknown runs and unreachable Redis are typed errors (password redacted)', async () => {
    await expect(cancelRun('nope', { url: redis.url, prefix: 'c3:' })).rejects.toSatisfy(
      (e) =>
        isFlowlaneError(e, 'FL_EXECUTION_NOT_FOUND') &&
        // It said "No active execution … on this engine": there is no engine here, only the store.
        /No execution "nope" in the execution store/.test((e as Error).message),
    );
    // Unknown keys were ignored (a typo'd `wait` fell back to 10 s); messages name cancelRun, not "Workflow".
    await expect(cancelRun('nope', { url: redis.url, wait: 1 } as never)).rejects.toThrow(
      /^cancelRun: invalid wait: unknown option; did you mean "waitMs"\?/,
    );
    await expect(cancelRun('nope', { url: redis.url, waitMs: -1 })).rejects.toThrow(/^cancelRun: invalid waitMs/);
    await expect(cancelRun('', { url: redis.url })).rejects.toThrow(/^cancelRun: invalid executionId/);
    const err = await cancelRun('x', { url: 'redis://app:hunter2@127.0.0.1:1', waitMs: 0 }).catch((e: Error) => e);
    expect(isFlowlaneError(err, 'FL_REDIS_UNREACHABLE')).toBe(true);
    expect(String((err as Error).message)).not.toContain('hunter2');
    expect(() => redisStore({ url: redis.url, control: 'yes' as never })).toThrow(/control.*expected a boolean/);
  });
});
