import { describe, expect, it } from 'vitest';
import { workflow } from '../builder/workflow-builder.js';
import { createMemoryExecutionStore } from '../defaults/memory-execution-store.js';
import { isFlowlaneError } from '../errors.js';
import type { ExecutionRecord } from '../plugin/contracts/execution-store.js';
import { createVirtualClock } from '../runtime/virtual-clock.js';
import { createEngine } from './engine.js';

/** A promise with its resolve function, to hold a node in flight. */
function gate<T = void>() {
  let open!: (v: T) => void;
  const p = new Promise<T>((r) => {
    open = r;
  });
  return { p, open };
}

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const types = (records: readonly ExecutionRecord[] | undefined) => (records ?? []).map((r) => r.type);

describe('durable executions (memory store)', () => {
  it('logs every fact of a run in seq order, with outputs, and lists it', async () => {
    const store = createMemoryExecutionStore();
    const engine = createEngine({ executions: store });
    const wf = workflow('log', { version: '3' })
      .addNode('a', () => 1)
      .chain('b', async (ctx) => {
        await ctx.storage.set('k', { v: 2 });
        ctx.emitEvent('progress', { done: 1 });
        return ctx.results.a + 1;
      })
      .build();
    const run = engine.run(wf, { n: 1 }, { executionId: 'log-1', actor: { id: 'alice' } });
    const result = await run.result;
    expect(result.status).toBe('success');
    const records = await engine.runs.records('log-1');
    expect(types(records)).toEqual([
      'workflow.started',
      'node.started',
      'node.completed',
      'node.started',
      'storage.set',
      'custom',
      'node.completed',
      'workflow.completed',
    ]);
    expect(records!.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const started = records![0]!;
    expect(started).toMatchObject({ workflow: 'log', version: '3', input: { n: 1 }, actor: { id: 'alice' } });
    expect(records!.filter((r) => r.type === 'node.completed').map((r) => (r as { output: unknown }).output)).toEqual([
      1, 2,
    ]);
    const summary = await engine.runs.get('log-1');
    expect(summary).toMatchObject({
      executionId: 'log-1',
      workflow: 'log',
      version: '3',
      status: 'success',
      records: 8,
    });
    expect((await engine.runs.list({ status: 'success', workflow: 'log' })).runs.map((r) => r.executionId)).toEqual([
      'log-1',
    ]);
    expect((await engine.runs.list({ status: 'running' })).runs).toEqual([]);
    await engine.close();
  });

  it('redacts secrets from logged outputs and inputs', async () => {
    const store = createMemoryExecutionStore();
    const engine = createEngine({
      executions: store,
      secrets: [{ name: 't', get: (n) => (n === 'TOKEN' ? 's3cr3t-value' : undefined) }],
    });
    const wf = workflow('secret')
      .addNode('a', async (ctx) => `token=${await ctx.getSecret('TOKEN')}`)
      .build();
    const r = await engine.run(wf, {}, { executionId: 's-1' }).result;
    expect(r.outputs.a).toBe('token=s3cr3t-value');
    expect(JSON.stringify(await engine.runs.records('s-1'))).not.toContain('s3cr3t-value');
    await engine.close();
  });

  it('resume: completed nodes keep their logged output and do not run again; the one in flight runs again', async () => {
    const store = createMemoryExecutionStore();
    const calls: string[] = [];
    const held = gate<number>();
    const build = (holdB: boolean) =>
      workflow('resumable', { version: '1' })
        .addNode('a', () => {
          calls.push('a');
          return 10;
        })
        .chain('b', (ctx) => {
          calls.push(`b@${ctx.idempotencyKey}`);
          return holdB ? held.p : ctx.results.a * 2;
        })
        .chain('c', (ctx) => {
          calls.push('c');
          return ctx.results.b + 1;
        })
        .build();
    const first = createEngine({ executions: store, instanceId: 'first' });
    const run1 = first.run(build(true), undefined, { executionId: 'r-1' });
    await new Promise((r) => setTimeout(r, 10));
    expect(calls).toEqual(['a', 'b@r-1:b']);
    expect((await first.runs.get('r-1'))?.status).toBe('running');

    const second = createEngine({ executions: store, instanceId: 'second', workflows: [build(false)] });
    const run2 = await second.resume('r-1');
    const r2 = await run2.result;
    expect(r2.status).toBe('success');
    expect(r2.outputs).toEqual({ a: 10, b: 20, c: 21 });
    expect(r2.nodes.a).toMatchObject({ status: 'success', attempts: 1 });
    const replayed: unknown[] = [];
    run2.events$.subscribe((e) => replayed.push(e.type === 'workflow.started' ? e.resumed : undefined));
    expect(replayed[0]).toBe(true);
    // a did not run again; b ran again with the same idempotency key; c ran once.
    expect(calls).toEqual(['a', 'b@r-1:b', 'b@r-1:b', 'c']);

    // The first owner wakes up: its next write is fenced and its run stops without touching the log.
    held.open(999);
    const r1 = await run1.result;
    expect(r1.status).toBe('cancelled');
    expect(isFlowlaneError(r1.error, 'FL_EXECUTION_FENCED')).toBe(true);
    const records = (await second.runs.records('r-1'))!;
    expect(records.filter((r) => r.type === 'node.completed' && r.nodeId === 'b')).toHaveLength(1);
    expect(types(records)).toContain('workflow.resumed');
    expect(await second.runs.get('r-1')).toMatchObject({ status: 'success', owner: 'second', epoch: 2 });
    await expect(second.resume('r-1')).rejects.toMatchObject({ code: 'FL_EXECUTION_FINISHED' });
    await first.close();
    await second.close();
  });

  it('engine.close() leaves durable runs resumable (no cancelled record)', async () => {
    const store = createMemoryExecutionStore();
    const wf = workflow('closing')
      .addNode('a', () => 1)
      .chain(
        'b',
        (ctx) => new Promise((_r, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason))),
      )
      .build();
    const first = createEngine({ executions: store });
    const run = first.run(wf, undefined, { executionId: 'c-1' });
    await new Promise((r) => setTimeout(r, 5));
    await first.close();
    expect((await run.result).status).toBe('cancelled');
    expect((await store.get('c-1'))?.status).toBe('running');
    expect(types(await store.read('c-1'))).not.toContain('workflow.cancelled');
  });

  it('signals received before the crash are delivered after resume; taken ones are not delivered twice', async () => {
    const store = createMemoryExecutionStore();
    const build = () =>
      workflow('signals')
        .addNode('first', (ctx) => ctx.waitForSignal<string>('go'))
        .chain('second', (ctx) => ctx.waitForSignal<string>('go'))
        .chain('third', (ctx) => ctx.waitForSignal<string>('go'))
        .build();
    const a = createEngine({ executions: store, instanceId: 'a' });
    const run = a.run(build(), undefined, { executionId: 'sig-1' });
    await run.signal('go', 'one');
    await new Promise((r) => setTimeout(r, 5));
    await run.signal('go', 'two'); // taken by `second`, which is still in flight at the "crash"
    await a.close();
    const b = createEngine({ executions: store, workflows: [build()] });
    const resumed = await b.resume('sig-1');
    await resumed.signal('go', 'three');
    const r = await resumed.result;
    expect(r.status).toBe('success');
    expect(r.outputs).toEqual({ first: 'one', second: 'two', third: 'three' });
    await b.close();
  });

  it('a signal wait resumed in another engine gets the time that was left', async () => {
    const store = createMemoryExecutionStore();
    const clock = createVirtualClock();
    const build = () =>
      workflow('timer')
        .addNode('wait', async (ctx) => {
          try {
            return await ctx.waitForSignal('never', { timeout: 10_000 });
          } catch (e) {
            if (isFlowlaneError(e, 'FL_SIGNAL_TIMEOUT')) return `timed out at ${clock.now()}`;
            throw e;
          }
        })
        .build();
    const a = createEngine({ executions: store, clock, leaseMs: 60_000 });
    a.run(build(), undefined, { executionId: 't-1' });
    await clock.advanceBy(4_000);
    await a.close();
    const b = createEngine({ executions: store, clock, workflows: [build()], leaseMs: 60_000 });
    const run = await b.resume('t-1');
    await clock.advanceBy(6_000);
    const r = await run.result;
    expect(r.outputs).toEqual({ wait: 'timed out at 10000' });
    await b.close();
  });

  it('a node in a retry delay at the crash continues after the time that was left, as the next attempt', async () => {
    const store = createMemoryExecutionStore();
    const clock = createVirtualClock();
    const seen: [number, number][] = [];
    const build = () =>
      workflow('retry-resume')
        .addNode(
          'flaky',
          (ctx) => {
            seen.push([ctx.attempt, clock.now()]);
            if (ctx.attempt === 1) throw new Error('first attempt fails');
            return `ok on ${ctx.attempt}`;
          },
          { retry: { maxAttempts: 3, initialInterval: 10_000 } },
        )
        .build();
    const a = createEngine({ executions: store, clock, leaseMs: 60_000 });
    a.run(build(), undefined, { executionId: 'rr-1' });
    await clock.advanceBy(4_000);
    await a.close();
    expect(seen).toEqual([[1, 0]]);
    const b = createEngine({ executions: store, clock, leaseMs: 60_000, workflows: [build()] });
    const run = await b.resume('rr-1');
    await clock.advanceBy(5_999);
    expect(seen).toHaveLength(1);
    await clock.advanceBy(1);
    const r = await run.result;
    expect(seen).toEqual([
      [1, 0],
      [2, 10_000],
    ]);
    expect(r.outputs).toEqual({ flaky: 'ok on 2' });
    const started = (await store.read('rr-1'))!.filter((x) => x.type === 'node.started').map((x) => x.attempt);
    expect(started).toEqual([1, 2]);
    await b.close();
  });

  // Both retry paths: `retry` alone runs in the ready-queue (fast-retry.ts); with `timeout` too, in the option pipeline.
  for (const path of ['direct', 'pipeline'] as const)
    it(`${path} retries after a resume: attempt numbers, backoff and the retry budget continue from the log`, async () => {
      const store = createMemoryExecutionStore();
      const clock = createVirtualClock();
      const seen: [number, number][] = [];
      let hang = false;
      const build = () =>
        workflow('retry-budget')
          .addNode(
            'flaky',
            (ctx) => {
              seen.push([ctx.attempt, clock.now()]);
              if (hang) return new Promise<never>(() => undefined);
              throw new Error(`attempt ${ctx.attempt} fails`);
            },
            {
              retry: { maxAttempts: 4, initialInterval: 10_000 },
              ...(path === 'pipeline' ? { timeout: 3_600_000 } : {}),
            },
          )
          .build();
      // Engine a: attempt 1 fails, attempt 2 (at 10 s) fails; attempt 3 (at 30 s) is in flight when a dies.
      const a = createEngine({ executions: store, clock, leaseMs: 600_000 });
      a.run(build(), undefined, { executionId: `rb-${path}` });
      await clock.advanceBy(29_000);
      hang = true;
      await clock.advanceBy(1_000);
      await a.close();
      hang = false;
      expect(seen).toEqual([
        [1, 0],
        [2, 10_000],
        [3, 30_000],
      ]);
      // Engine b: two failures are logged and the crash of attempt 3 does not count, so one retry is left:
      // attempt 4 fails (retry 3: 40 s later), attempt 5 fails and is the last (4 failures = maxAttempts).
      const b = createEngine({ executions: store, clock, leaseMs: 600_000, workflows: [build()] });
      const events: string[] = [];
      const run = await b.resume(`rb-${path}`);
      run.events$.subscribe((e) => {
        if (e.type === 'node.started' || e.type === 'node.retrying' || e.type === 'node.failed')
          events.push(`${e.type} ${e.attempt}`);
      });
      await clock.advanceBy(100_000);
      const r = await run.result;
      expect(r.status).toBe('failed');
      expect(seen.slice(3)).toEqual([
        [4, 30_000],
        [5, 70_000],
      ]);
      expect(events).toEqual(['node.started 4', 'node.retrying 4', 'node.started 5', 'node.failed 5']);
      const logged = (await store.read(`rb-${path}`))!
        .filter((x) => x.type === 'node.retrying')
        .map((x) => [x.attempt, (x as { delayMs: number }).delayMs]);
      expect(logged).toEqual([
        [1, 10_000],
        [2, 20_000],
        [4, 40_000],
      ]);
      expect(r.nodes.flaky?.attempts).toBe(5);
      await b.close();
    });

  it('a node in flight at the crash runs again as the next attempt (ctx.attempt tells it ran before)', async () => {
    const store = createMemoryExecutionStore();
    const attempts: number[] = [];
    let hold = true;
    const build = () =>
      workflow('attempts')
        .addNode('pay', (ctx) => {
          attempts.push(ctx.attempt);
          return hold ? new Promise(() => undefined) : `paid once with key ${ctx.idempotencyKey}`;
        })
        .build();
    const a = createEngine({ executions: store });
    a.run(build(), undefined, { executionId: 'att-1' });
    await new Promise((r) => setTimeout(r, 5));
    await a.close();
    hold = false;
    const b = createEngine({ executions: store, workflows: [build()] });
    const r = await (await b.resume('att-1')).result;
    expect(attempts).toEqual([1, 2]);
    expect(r.outputs).toEqual({ pay: 'paid once with key att-1:pay' });
    expect(r.nodes.pay?.attempts).toBe(2);
    await b.close();
  });

  it('versions: a changed graph under the same version is refused with the diff; unregistered versions too', async () => {
    const store = createMemoryExecutionStore();
    const v1 = workflow('release', { version: '1' })
      .addNode('a', () => 1)
      .chain('b', () => new Promise(() => undefined))
      .build();
    const a = createEngine({ executions: store });
    a.run(v1, undefined, { executionId: 'v-1' });
    await new Promise((r) => setTimeout(r, 5));
    await a.close();

    const changed = workflow('release')
      .version('1')
      .addNode('a', () => 1, { retry: { maxAttempts: 3 } })
      .chain('b', () => 2)
      .chain('c', () => 3)
      .build();
    const b = createEngine({ executions: store, workflows: [changed] });
    const err = await b.resume('v-1').catch((e: unknown) => e);
    expect(isFlowlaneError(err, 'FL_VERSION_MISMATCH')).toBe(true);
    expect((err as { details: { changes: unknown } }).details.changes).toEqual([
      { nodeId: 'a', change: 'changed' },
      { nodeId: 'c', change: 'added' },
    ]);
    expect((err as Error).message).toContain('changed a, added c');

    const v2 = workflow('release')
      .version('2')
      .addNode('a', () => 1)
      .build();
    const c = createEngine({ executions: store, workflows: [v2] });
    await expect(c.resume('v-1')).rejects.toMatchObject({ code: 'FL_VERSION_NOT_REGISTERED' });
    // the refused resumes did not take the lease
    expect((await store.get('v-1'))?.epoch).toBe(1);
    await b.close();
    await c.close();
  });

  it('v1 and v2 runs in flight side by side each finish on their own version', async () => {
    const store = createMemoryExecutionStore();
    const make = (version: string, hold: boolean) =>
      workflow('side', { version })
        .addNode('a', () => `a${version}`)
        .chain('b', (ctx) => (hold ? new Promise(() => undefined) : `${ctx.results.a}-b${version}`))
        .build();
    const old = createEngine({ executions: store });
    old.run(make('1', true), undefined, { executionId: 'side-1' });
    old.run(make('2', true), undefined, { executionId: 'side-2' });
    await new Promise((r) => setTimeout(r, 5));
    await old.close();
    const fresh = createEngine({ executions: store, workflows: [make('1', false), make('2', false)] });
    const [r1, r2] = await Promise.all([
      fresh.resume('side-1').then((r) => r.result),
      fresh.resume('side-2').then((r) => r.result),
    ]);
    expect(r1.outputs).toEqual({ a: 'a1', b: 'a1-b1' });
    expect(r2.outputs).toEqual({ a: 'a2', b: 'a2-b2' });
    await fresh.close();
  });

  it("two engines with resume: 'auto' resume each unfinished run exactly once", async () => {
    const store = createMemoryExecutionStore();
    const runs: Record<string, number> = {};
    const build = (hold: boolean) =>
      workflow('auto')
        .addNode('a', (ctx) => {
          runs[ctx.executionId] = (runs[ctx.executionId] ?? 0) + 1;
          return hold ? new Promise(() => undefined) : 'done';
        })
        .build();
    const dead = createEngine({ executions: store, leaseMs: 50 });
    for (let k = 0; k < 6; k++) dead.run(build(true), undefined, { executionId: `auto-${k}` });
    await new Promise((r) => setTimeout(r, 5));
    await dead.close(); // its leases are no longer renewed
    await new Promise((r) => setTimeout(r, 80));
    const one = createEngine({ executions: store, workflows: [build(false)], resume: 'auto', leaseMs: 200 });
    const two = createEngine({ executions: store, workflows: [build(false)], resume: 'auto', leaseMs: 200 });
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const running = (await store.list({ status: 'running' })).runs.length;
      if (running === 0) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    expect((await store.list({ status: 'success' })).runs).toHaveLength(6);
    // 1 run by the dead engine + exactly 1 resume each
    expect(Object.values(runs)).toEqual([2, 2, 2, 2, 2, 2]);
    const resumedBy = await Promise.all(
      Array.from(
        { length: 6 },
        async (_, k) => types(await store.read(`auto-${k}`)).filter((t) => t === 'workflow.resumed').length,
      ),
    );
    expect(resumedBy).toEqual([1, 1, 1, 1, 1, 1]);
    await one.close();
    await two.close();
  });

  it('engine.resume asks the permission policy (action resume) before taking the lease', async () => {
    const store = createMemoryExecutionStore();
    const build = (hold: boolean) =>
      workflow('guarded')
        .addNode('a', () => (hold ? new Promise(() => undefined) : 'done'))
        .build();
    const a = createEngine({ executions: store });
    a.run(build(true), undefined, { executionId: 'g-1' });
    await new Promise((r) => setTimeout(r, 5));
    await a.close();
    const asked: string[] = [];
    const b = createEngine({
      executions: store,
      workflows: [build(false)],
      permissions: {
        check: () => ({ allowed: true }),
        authorize: (r) => {
          asked.push(`${r.action}:${r.actor?.id ?? '-'}:${r.workflow}`);
          return r.action !== 'resume' || r.actor?.id === 'ops'
            ? { allowed: true }
            : { allowed: false, reason: 'ops only' };
        },
      },
    });
    await expect(b.resume('g-1', { actor: { id: 'mallory' } })).rejects.toMatchObject({ code: 'FL_ACTION_DENIED' });
    expect((await store.get('g-1'))?.epoch).toBe(1);
    const r = await (await b.resume('g-1', { actor: { id: 'ops' } })).result;
    expect(r.outputs).toEqual({ a: 'done' });
    expect(asked).toEqual(['resume:mallory:guarded', 'resume:ops:guarded', 'run:-:guarded']);
    await b.close();
  });

  it('a run that ends before it starts leaves no log; a signal sent before the start is logged after it', async () => {
    const store = createMemoryExecutionStore();
    const engine = createEngine({ executions: store });
    const strict = workflow('strict')
      .input({
        '~standard': {
          version: 1,
          vendor: 'test',
          validate: (v: unknown) =>
            typeof v === 'number'
              ? Promise.resolve({ value: v })
              : Promise.resolve({ issues: [{ message: 'a number' }] }),
        },
      })
      .addNode('wait', (ctx) => ctx.waitForSignal<string>('go'))
      .build();
    const bad = await engine.run(strict, 'x' as never, { executionId: 'in-1' }).result;
    expect(bad.error?.code).toBe('FL_INVALID_INPUT');
    expect(await store.get('in-1')).toBeUndefined();
    const run = engine.run(strict, 1, { executionId: 'in-2' });
    await run.signal('go', 'early');
    expect((await run.result).outputs).toEqual({ wait: 'early' });
    expect(types(await store.read('in-2'))).toEqual([
      'workflow.started',
      'signal.received',
      'node.started',
      'signal.consumed',
      'node.completed',
      'workflow.completed',
    ]);
    await engine.close();
  });

  it("resume: 'auto' with unregisteredVersion: 'fail' finishes a run of an unknown version as failed", async () => {
    const store = createMemoryExecutionStore();
    const v1 = workflow('gone', { version: '1' })
      .addNode('a', () => new Promise(() => undefined))
      .build();
    const dead = createEngine({ executions: store, leaseMs: 20 });
    dead.run(v1, undefined, { executionId: 'gone-1' });
    await new Promise((r) => setTimeout(r, 5));
    await dead.close();
    await new Promise((r) => setTimeout(r, 40));
    const v2 = workflow('gone', { version: '2' })
      .addNode('a', () => 1)
      .build();
    const skipped: string[] = [];
    const waiting = createEngine({
      executions: store,
      workflows: [v2],
      resume: 'auto',
      leaseMs: 20,
      logger: { ...quiet, warn: (m, f) => skipped.push(`${m}: ${String(f?.error)}`) },
    });
    while (skipped.length === 0) await new Promise((r) => setTimeout(r, 5));
    expect(skipped[0]).toMatch(/automatic resume skipped a run: .*version 1 is not registered/);
    expect((await store.get('gone-1'))?.status).toBe('running'); // 'wait' (default) leaves it
    await waiting.close();
    const failing = createEngine({
      executions: store,
      workflows: [v2],
      resume: 'auto',
      leaseMs: 20,
      unregisteredVersion: 'fail',
    });
    const deadline = Date.now() + 5_000;
    while ((await store.get('gone-1'))?.status === 'running' && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 10));
    expect((await store.get('gone-1'))?.status).toBe('failed');
    const last = (await store.read('gone-1'))!.at(-1) as { type: string; error?: { code?: string } };
    expect(last).toMatchObject({ type: 'workflow.failed', error: { code: 'FL_VERSION_NOT_REGISTERED' } });
    await failing.close();
  });

  it('the memory store drops finished runs after retentionMs, never running ones', async () => {
    let now = 1_000;
    const store = createMemoryExecutionStore({ retentionMs: 100, now: () => now });
    const engine = createEngine({ executions: store });
    await engine.run(
      workflow('r')
        .addNode('a', () => 1)
        .build(),
      undefined,
      { executionId: 'kept-1' },
    ).result;
    engine.run(
      workflow('r2')
        .addNode('a', () => new Promise(() => undefined))
        .build(),
      undefined,
      { executionId: 'running-1' },
    );
    await new Promise((r) => setTimeout(r, 5));
    now += 99;
    expect((await store.get('kept-1'))?.status).toBe('success');
    now += 1;
    expect(await store.get('kept-1')).toBeUndefined();
    expect(await store.read('kept-1')).toBeUndefined();
    expect((await store.get('running-1'))?.status).toBe('running');
    await engine.close();
  });

  it('bad durability options are typed errors naming the option', () => {
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ executions: {} }, /executions.*ExecutionStore/],
      [{ workflows: ['deploy'] }, /workflows\[0\].*built workflow/],
      [{ leaseMs: 1 }, /^createEngine: invalid leaseMs.*≥ 10/],
      // The lease is renewed by a timer: a longer one fired after 1 ms and renewed in a loop.
      [{ leaseMs: 1e10 }, /^createEngine: invalid leaseMs: expected ms ≥ 10 and ≤ 2147483647, got 10000000000/],
      [{ maxTriggerDepth: 0 }, /^createEngine: invalid maxTriggerDepth: expected an integer ≥ 1/],
      [{ maxConcurrentRuns: Number.NaN }, /^createEngine: invalid maxConcurrentRuns/],
      [{ resume: 'always' }, /^createEngine: invalid resume.*'auto' or 'manual'/],
      [{ unregisteredVersion: 'skip' }, /unregisteredVersion.*'wait' or 'fail'/],
      [{ executionz: createMemoryExecutionStore() }, /executionz.*executions/],
    ];
    for (const [options, message] of bad) {
      let err: unknown;
      try {
        createEngine(options as never);
      } catch (e) {
        err = e;
      }
      expect(isFlowlaneError(err, 'FL_INVALID_OPTION'), JSON.stringify(Object.keys(options))).toBe(true);
      expect((err as Error).message).toMatch(message);
    }
  });

  it('createMemoryExecutionStore refuses unknown keys and bad values; retentionMs 0 keeps finished runs', async () => {
    const bad: [Record<string, unknown>, RegExp][] = [
      [
        { retentionMS: 5 },
        /createMemoryExecutionStore: invalid retentionMS: unknown option; did you mean "retentionMs"/,
      ],
      [{ retentionMs: -1 }, /invalid retentionMs: expected a number of ms ≥ 0/],
      [{ retentionMs: Number.NaN }, /invalid retentionMs/],
      [{ maxFinished: 1.5 }, /invalid maxFinished: expected an integer ≥ 0/],
      [{ maxFinished: '3' }, /invalid maxFinished/],
      [{ now: 5 }, /invalid now: expected a function/],
    ];
    for (const [options, message] of bad)
      expect(() => createMemoryExecutionStore(options as never), JSON.stringify(options)).toThrow(message);
    let now = 1_000;
    const store = createMemoryExecutionStore({ retentionMs: 0, now: () => now });
    const engine = createEngine({ executions: store });
    const wf = workflow('keep')
      .addNode('a', () => 1)
      .build();
    await engine.run(wf, undefined, { executionId: 'k-1' }).result;
    now += 86_400_000;
    expect((await store.get('k-1'))?.status).toBe('success');
    await engine.close();
  });

  it('engine.runs.list refuses a bad query with FL_INVALID_OPTION; engine.runs after close() is FL_ENGINE_CLOSED', async () => {
    const engine = createEngine({ executions: createMemoryExecutionStore() });
    const wf = workflow('listed')
      .addNode('a', () => 1)
      .build();
    await engine.run(wf, undefined, { executionId: 'l-1' }).result;
    await engine.run(wf, undefined, { executionId: 'l-2' }).result;
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ limit: 0 }, /engine\.runs\.list: invalid limit: expected an integer ≥ 1, got 0/],
      [{ limit: -1 }, /invalid limit/],
      [{ limit: Number.NaN }, /invalid limit/],
      [{ status: 'done' }, /invalid status: expected one of running, success, failed, cancelled, got "done"/],
      [{ statuss: 'running' }, /invalid statuss: unknown option; did you mean "status"/],
      [{ cursor: 'zzz' }, /invalid cursor: not a cursor of this store/],
    ];
    for (const [query, message] of bad) {
      const err = await engine.runs.list(query as never).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isFlowlaneError(err, 'FL_INVALID_OPTION'), JSON.stringify(query)).toBe(true);
      expect((err as Error).message).toMatch(message);
    }
    const first = await engine.runs.list({ limit: 1 });
    expect(first.runs.map((r) => r.executionId)).toEqual(['l-2']);
    expect((await engine.runs.list({ limit: 1, cursor: first.cursor! })).runs.map((r) => r.executionId)).toEqual([
      'l-1',
    ]);
    await engine.close();
    await expect(engine.runs.list()).rejects.toMatchObject({ code: 'FL_ENGINE_CLOSED' });
    await expect(engine.runs.get('l-1')).rejects.toMatchObject({ code: 'FL_ENGINE_CLOSED' });
    await expect(engine.runs.records('l-1')).rejects.toMatchObject({ code: 'FL_ENGINE_CLOSED' });
  });

  it('a new run under an id the store already holds is stopped with FL_DUPLICATE_EXECUTION, never reported success', async () => {
    // An asynchronous store (as Redis is): the refused create answers after the run's records were queued behind it.
    const memory = createMemoryExecutionStore();
    const store = {
      ...memory,
      create: (...args: Parameters<typeof memory.create>) => Promise.resolve().then(() => memory.create(...args)),
    };
    const wf = workflow('dup')
      .addNode('a', () => 1)
      .build();
    const first = createEngine({ executions: store, logger: quiet });
    expect((await first.run(wf, undefined, { executionId: 'dup-1' }).result).status).toBe('success');
    await first.close();
    const second = createEngine({ executions: store, logger: quiet });
    const again = await second.run(wf, undefined, { executionId: 'dup-1' }).result;
    expect(again.status).toBe('cancelled');
    expect(again.error?.code).toBe('FL_DUPLICATE_EXECUTION');
    expect(again.error?.message).toMatch(/its log is in the execution store/);
    // The log is still the first run's.
    expect(types(await store.read('dup-1'))).toEqual(types(await memory.read('dup-1')));
    expect((await store.get('dup-1'))?.status).toBe('success');
    await second.close();
  });

  it('resume without a store or of an unknown run is a typed error', async () => {
    const bare = createEngine();
    await expect(bare.resume('x')).rejects.toMatchObject({ code: 'FL_NO_EXECUTION_STORE' });
    await bare.close();
    const e = createEngine({ executions: createMemoryExecutionStore() });
    // The store has no such log: the message said "No active execution … on this engine".
    await expect(e.resume('nope')).rejects.toMatchObject({
      code: 'FL_EXECUTION_NOT_FOUND',
      message: expect.stringMatching(/^No execution "nope" in the execution store/),
    });
    await e.close();
  });
});
