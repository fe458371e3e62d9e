import { subscribe as dcSubscribe, unsubscribe as dcUnsubscribe } from 'node:diagnostics_channel';
import { filter, firstValueFrom, from, of, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { workflow } from '../builder/workflow-builder.js';
import type { FlowEvent } from '../contracts/events.js';
import { FlowlaneError, isFlowlaneError } from '../errors.js';
import { useEngines } from './engines.test-helper.js';

const engine = useEngines();

const types = (events: readonly FlowEvent[]): string[] =>
  events.map((e) => ('nodeId' in e && e.nodeId !== undefined ? `${e.type}:${e.nodeId}` : e.type));

describe('Engine.run', () => {
  it('runs the issue example end to end with typed results', async () => {
    const wf = workflow('name')
      .input<{ n: number }>()
      .addNode('a', async (ctx) => ctx.input.n + 1)
      .addNode('b', (ctx) => ctx.results.a * 2, { dependsOn: ['a'] })
      .chain('c', (ctx) => String(ctx.results.b))
      .parallel(['p1', 'p2'], [(ctx) => `${ctx.results.c}!`, async (ctx) => `${ctx.results.c}?`], {
        concurrency: 1,
        dependsOn: ['c'],
      })
      .build();
    const run = engine().run(wf, { n: 1 });
    const result = await run.result;
    expect(result.status).toBe('success');
    expect({ ...result.outputs }).toEqual({ a: 2, b: 4, c: '4', p1: '4!', p2: '4?' });
    expect(result.nodes.a).toMatchObject({ status: 'success', attempts: 1, output: 2 });
    expect(result.error).toBeUndefined();
    expect(result.executionId).toBe(run.executionId);
  });

  it('accepts values, promises and observables from node functions', async () => {
    const wf = workflow('kinds')
      .addNode('v', () => 1)
      .addNode('p', () => Promise.resolve(2))
      .addNode('o', () => from([1, 2, 3]))
      .addNode('empty', () => from([]))
      .build();
    const r = await engine().run(wf, undefined).result;
    expect({ ...r.outputs }).toEqual({ v: 1, p: 2, o: 3, empty: undefined });
  });

  it('emits typed events in order and replays them to late subscribers', async () => {
    const wf = workflow('ev')
      .addNode('a', () => 1)
      .chain('b', () => 2)
      .build();
    const run = engine().run(wf, {});
    await run.result;
    const late = await firstValueFrom(run.events$.pipe(toArray()));
    expect(types(late)).toEqual([
      'workflow.started',
      'node.started:a',
      'node.completed:a',
      'node.started:b',
      'node.completed:b',
      'workflow.completed',
    ]);
    for (const e of late) {
      expect(e.executionId).toBe(run.executionId);
      expect(e.workflow).toBe('ev');
      expect(typeof e.timestamp).toBe('number');
    }
    const completed = late.find((e) => e.type === 'node.completed');
    expect(completed).toMatchObject({ attempt: 1, durationMs: expect.any(Number) });
  });

  it('merges every run on engine.events$ and publishes on diagnostics_channel', async () => {
    const e = engine();
    const seen: FlowEvent[] = [];
    const sub = e.events$.subscribe((x) => seen.push(x));
    const dc: unknown[] = [];
    const onMsg = (m: unknown): void => void dc.push(m);
    dcSubscribe('flowlane.node.completed', onMsg);
    try {
      const wf = workflow('x')
        .addNode('a', () => 1)
        .build();
      await Promise.all([e.run(wf, {}).result, e.run(wf, {}).result]);
    } finally {
      dcUnsubscribe('flowlane.node.completed', onMsg);
      sub.unsubscribe();
    }
    expect(new Set(seen.map((x) => x.executionId)).size).toBe(2);
    expect(seen.filter((x) => x.type === 'workflow.completed')).toHaveLength(2);
    expect(dc).toHaveLength(2);
    expect(dc[0]).toMatchObject({ type: 'node.completed', nodeId: 'a' });
  });

  it('execute resolves to outputs and rejects with the run error', async () => {
    const e = engine();
    const ok = workflow('ok')
      .addNode('a', () => 41)
      .chain('b', (ctx) => ctx.results.a + 1)
      .build();
    expect((await e.execute(ok, {})).b).toBe(42);
    const bad = workflow('bad')
      .addNode('a', () => {
        throw new TypeError('nope');
      })
      .build();
    const err = await e.execute(bad, {}).catch((x: unknown) => x);
    expect(isFlowlaneError(err, 'FL_NODE_FAILED')).toBe(true);
    expect((err as FlowlaneError).message).toContain('Node "a" failed: nope');
    expect((err as FlowlaneError).cause).toBeInstanceOf(TypeError);
  });

  it('never rejects run.result for node failures; the run fails and later nodes are cancelled', async () => {
    let ranC = false;
    const wf = workflow('fail')
      .addNode('a', () => 1)
      .chain('b', () => {
        throw new Error('broken');
      })
      .chain('c', () => {
        ranC = true;
      })
      .build();
    const r = await engine().run(wf, {}).result;
    expect(r.status).toBe('failed');
    expect(r.error?.code).toBe('FL_NODE_FAILED');
    expect(r.nodes.b).toMatchObject({ status: 'failed', attempts: 1, error: { message: 'broken', name: 'Error' } });
    expect(r.nodes.c!.status).toBe('cancelled');
    expect(ranC).toBe(false);
  });

  it('rejects duplicate execution ids and runs after close', async () => {
    const e = engine();
    const wf = workflow('w')
      .addNode('a', () => new Promise(() => undefined))
      .build();
    const run = e.run(wf, {}, { executionId: 'same' });
    expect(() => e.run(wf, {}, { executionId: 'same' })).toThrow(
      expect.objectContaining({ code: 'FL_DUPLICATE_EXECUTION' }),
    );
    run.cancel();
    await e.close();
    expect(() => e.run(wf, {})).toThrow(expect.objectContaining({ code: 'FL_ENGINE_CLOSED' }));
  });

  it('validates input with a Standard Schema', async () => {
    const schema = {
      '~standard': {
        version: 1 as const,
        vendor: 'test',
        validate: (v: unknown) =>
          typeof (v as { n?: unknown })?.n === 'number'
            ? { value: { n: (v as { n: number }).n * 10 } }
            : { issues: [{ message: 'expected a number', path: ['n'] }] },
        types: undefined as unknown as { input: { n: number }; output: { n: number } },
      },
    };
    const wf = workflow('typed')
      .input(schema)
      .addNode('a', (ctx) => ctx.input.n)
      .build();
    const e = engine();
    expect((await e.run(wf, { n: 2 }).result).outputs.a).toBe(20);
    const bad = await e.run(wf, { n: 'x' } as never).result;
    expect(bad.status).toBe('failed');
    expect(bad.error?.code).toBe('FL_INVALID_INPUT');
    expect(bad.error?.message).toContain('n: expected a number');
  });

  it('queues runs beyond maxConcurrentRuns', async () => {
    const e = engine({ maxConcurrentRuns: 2 });
    const releases: (() => void)[] = [];
    let peak = 0;
    let live = 0;
    const wf = workflow('q')
      .addNode('a', () => {
        live++;
        peak = Math.max(peak, live);
        return new Promise<void>((resolve) => releases.push(resolve)).then(() => {
          live--;
        });
      })
      .build();
    const runs = Array.from({ length: 5 }, () => e.run(wf, {}));
    await new Promise((r) => setImmediate(r));
    expect(e.activeRuns).toBe(2);
    while (releases.length > 0 || live > 0) {
      releases.shift()?.();
      await new Promise((r) => setImmediate(r));
    }
    const results = await Promise.all(runs.map((r) => r.result));
    expect(results.every((r) => r.status === 'success')).toBe(true);
    expect(peak).toBe(2);
  });

  it('starts thousands of queued runs without nesting (runs queued before plugin setup, or beyond maxConcurrentRuns)', async () => {
    const wf = workflow('many')
      .addNode('a', () => 1)
      .chain('b', (ctx) => ctx.results.a + 1)
      .build();
    const slow = engine({
      plugins: [
        {
          name: 'slow-setup',
          version: '1.0.0',
          flowlane: '>=0.0.0',
          setup: () => new Promise<void>((r) => setImmediate(r)),
        },
      ],
    });
    const queued = Array.from({ length: 3000 }, () => slow.run(wf, {}).result);
    expect((await Promise.all(queued)).every((r) => r.status === 'success')).toBe(true);
    const one = engine({ maxConcurrentRuns: 1 });
    const serial = Array.from({ length: 3000 }, () => one.run(wf, {}).result);
    expect((await Promise.all(serial)).every((r) => r.outputs.b === 2)).toBe(true);
  });

  it('caps parallel groups and the global node concurrency', async () => {
    const e = engine({ concurrency: 3 });
    let live = 0;
    let peakGroup = 0;
    const tick = () => new Promise((r) => setImmediate(r));
    const task = async () => {
      live++;
      peakGroup = Math.max(peakGroup, live);
      await tick();
      live--;
    };
    const ids = Array.from({ length: 20 }, (_, i) => `t${i}`);
    const wf = workflow('par')
      .parallel(
        ids,
        ids.map(() => task),
        { concurrency: 2 },
      )
      .build();
    const r = await e.run(wf, {}).result;
    expect(r.status).toBe('success');
    expect(peakGroup).toBe(2);

    let peakGlobal = 0;
    const free = async () => {
      live++;
      peakGlobal = Math.max(peakGlobal, live);
      await tick();
      await tick();
      live--;
    };
    const wf2 = workflow('free')
      .parallel(
        ids,
        ids.map(() => free),
      )
      .build();
    await Promise.all([e.run(wf2, {}).result, e.run(wf2, {}).result]);
    expect(peakGlobal).toBe(3);
  });
});

describe('conditions, skips and branches', () => {
  it('skips a node whose condition is false, and its dependents unless runIfSkipped', async () => {
    const wf = workflow('cond')
      .input<{ deploy: boolean }>()
      .addNode('deploy', () => 'done', { condition: (ctx) => ctx.input.deploy })
      .chain('notify', () => 'sent')
      .addNode('report', (ctx) => `deploy=${String(ctx.results.deploy)}`, { dependsOn: ['deploy'], runIfSkipped: true })
      .addNode('async-cond', () => 1, { condition: async () => false })
      .build();
    const run = engine().run(wf, { deploy: false });
    const r = await run.result;
    expect(r.status).toBe('success');
    expect(r.nodes.deploy!.status).toBe('skipped');
    expect(r.nodes.notify!.status).toBe('skipped');
    expect(r.nodes['async-cond']!.status).toBe('skipped');
    expect(r.outputs.report).toBe('deploy=undefined');
    const events = await firstValueFrom(run.events$.pipe(toArray()));
    expect(
      events.filter((e) => e.type === 'node.skipped').map((e) => [e.nodeId, (e as { reason: string }).reason]),
    ).toEqual(
      expect.arrayContaining([
        ['deploy', 'condition'],
        ['notify', 'dependency-skipped'],
        ['async-cond', 'condition'],
      ]),
    );
  });

  it('branch runs the then or the else nodes', async () => {
    const build = () =>
      workflow('br')
        .input<{ env: string }>()
        .branch('is-prod', (ctx) => ctx.input.env === 'prod', { then: ['approve'], else: ['auto'] })
        .addNode('approve', () => 'approved')
        .addNode('auto', () => 'auto-deployed')
        .addNode('after', (ctx) => ctx.results.approve ?? ctx.results.auto, {
          dependsOn: ['approve', 'auto'],
          runIfSkipped: true,
        })
        .build();
    const e = engine();
    const prod = await e.run(build(), { env: 'prod' }).result;
    expect(prod.outputs['is-prod']).toBe(true);
    expect(prod.nodes.auto!.status).toBe('skipped');
    expect(prod.outputs.after).toBe('approved');
    const dev = await e.run(build(), { env: 'dev' }).result;
    expect(dev.nodes.approve!.status).toBe('skipped');
    expect(dev.outputs.after).toBe('auto-deployed');
  });
});

describe('forEach', () => {
  it('fans out with a concurrency cap and keeps item order', async () => {
    let live = 0;
    let peak = 0;
    const wf = workflow('fe')
      .addNode('list', () => [5, 1, 3, 2, 4])
      .forEach(
        'double',
        (ctx) => ctx.results.list,
        async (item) => {
          live++;
          peak = Math.max(peak, live);
          await new Promise((r) => setTimeout(r, item));
          live--;
          return item * 2;
        },
        { dependsOn: ['list'], concurrency: 2 },
      )
      .chain('sum', (ctx) => ctx.results.double.reduce((a, b) => a + b, 0))
      .build();
    const r = await engine().run(wf, {}).result;
    expect(r.outputs.double).toEqual([10, 2, 6, 4, 8]);
    expect(r.outputs.sum).toBe(30);
    expect(peak).toBe(2);
  });

  it('allSettled reports each item; fail-fast fails the node', async () => {
    const fn = (x: number) => {
      if (x === 2) throw new Error('two');
      return of(x);
    };
    const settled = workflow('s').forEach('f', [1, 2, 3], fn, { failurePolicy: 'allSettled' }).build();
    const r = await engine().run(settled, {}).result;
    expect(r.outputs.f).toEqual([
      { status: 'fulfilled', value: 1 },
      { status: 'rejected', reason: expect.objectContaining({ message: 'two' }) },
      { status: 'fulfilled', value: 3 },
    ]);
    const fast = workflow('f').forEach('f', [1, 2, 3], fn).build();
    const r2 = await engine().run(fast, {}).result;
    expect(r2.status).toBe('failed');
    expect(r2.nodes.f!.error?.message).toBe('two');
  });
});

describe('subworkflow', () => {
  it('runs a child workflow as a node; child events are nested under the parent', async () => {
    const child = workflow('child')
      .input<{ x: number }>()
      .addNode('inc', (ctx) => ctx.input.x + 1)
      .build();
    const parent = workflow('parent')
      .addNode('seed', () => 41)
      .subworkflow('sub', child, (ctx) => ({ x: ctx.results.seed }), { dependsOn: ['seed'] })
      .chain('out', (ctx) => ctx.results.sub.inc)
      .build();
    const run = engine().run(parent, {});
    const r = await run.result;
    expect(r.outputs.out).toBe(42);
    const events = await firstValueFrom(run.events$.pipe(toArray()));
    const nested = events.filter((e) => e.parentExecutionId === run.executionId);
    expect(nested.map((e) => e.type)).toEqual([
      'workflow.started',
      'node.started',
      'node.completed',
      'workflow.completed',
    ]);
    expect(nested[0]!.executionId).toBe(`${run.executionId}/sub`);
    expect(nested[0]!.workflow).toBe('child');
  });

  it('engine.signal and engine.cancel reach a running subworkflow by its id; cancelling the parent cancels it', async () => {
    const child = workflow('approval')
      .addNode('wait', (ctx) => ctx.waitForSignal<string>('approve'))
      .build();
    const parent = workflow('release')
      .subworkflow('gate', child, () => undefined)
      .chain('after', (ctx) => ctx.results.gate.wait)
      .build();
    const e = engine();

    // Signalled through the engine by the child's id.
    const signalled = e.run(parent, {}, { executionId: 'r1' });
    const started = (id: string) =>
      firstValueFrom(signalled.events$.pipe(filter((ev) => ev.executionId === id && ev.type === 'node.started')));
    await started('r1/gate');
    await e.signal('r1/gate', 'approve', 'yes');
    expect((await signalled.result).outputs.after).toBe('yes');
    // Settled children are forgotten.
    await expect(e.signal('r1/gate', 'approve', 'late')).rejects.toMatchObject({ code: 'FL_EXECUTION_NOT_FOUND' });

    // Cancelled by its own id: the subworkflow node fails in the parent with the child's error.
    const cancelledChild = e.run(parent, {}, { executionId: 'r2' });
    const childEvents = firstValueFrom(
      cancelledChild.events$.pipe(
        filter((ev) => ev.executionId === 'r2/gate'),
        toArray(),
      ),
    );
    await firstValueFrom(
      cancelledChild.events$.pipe(filter((ev) => ev.executionId === 'r2/gate' && ev.type === 'node.started')),
    );
    e.cancel('r2/gate', 'operator said no');
    const r2 = await cancelledChild.result;
    expect(r2.status).toBe('failed');
    expect(r2.nodes.gate!.error).toMatchObject({ code: 'FL_CANCELLED' });
    expect((await childEvents).at(-1)).toMatchObject({ type: 'workflow.cancelled', reason: 'operator said no' });

    // Cancelling the parent cancels the running child too.
    const whole = e.run(parent, {}, { executionId: 'r3' });
    const wholeChild = firstValueFrom(
      whole.events$.pipe(
        filter((ev) => ev.executionId === 'r3/gate'),
        toArray(),
      ),
    );
    await firstValueFrom(
      whole.events$.pipe(filter((ev) => ev.executionId === 'r3/gate' && ev.type === 'node.started')),
    );
    e.cancel('r3', 'abandoned');
    expect((await whole.result).status).toBe('cancelled');
    expect((await wholeChild).at(-1)?.type).toBe('workflow.cancelled');
    expect(() => e.cancel('r3/gate')).toThrow(expect.objectContaining({ code: 'FL_EXECUTION_NOT_FOUND' }) as never);
  });

  it('a failing child fails the subworkflow node', async () => {
    const child = workflow('child')
      .addNode('boom', () => {
        throw new Error('child broke');
      })
      .build();
    const parent = workflow('parent')
      .subworkflow('sub', child, () => undefined)
      .build();
    const r = await engine().run(parent, {}).result;
    expect(r.status).toBe('failed');
    expect(r.nodes.sub!.error?.message).toContain('child broke');
  });
});

describe('onEvent, custom events and getEvent', () => {
  it('calls workflow handlers for their own run events and for custom events of other workflows', async () => {
    const seen: string[] = [];
    const emitter = workflow('emitter')
      .addNode('emit', (ctx) => {
        ctx.emitEvent('data-processed', { itemId: '123' });
      })
      .build();
    const e = engine();
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const listener = workflow('listener')
      .onEvent('data-processed', (ev) => void seen.push(`custom:${JSON.stringify(ev.payload)}`))
      .onEvent('node.completed', (ev) => void seen.push(`completed:${ev.nodeId}`))
      .addNode('wait', () => gate)
      .chain('read', (ctx) => ctx.getEvent<{ itemId: string }>('data-processed')?.payload.itemId)
      .build();
    const listening = e.run(listener, {});
    await new Promise((r) => setImmediate(r));
    await e.run(emitter, {}).result;
    release();
    const r = await listening.result;
    expect(r.outputs.read).toBe('123');
    expect(seen).toEqual(['custom:{"itemId":"123"}', 'completed:wait', 'completed:read']);
  });

  it('handler errors go to the logger and never break the run', async () => {
    const logged: string[] = [];
    const logger = { debug() {}, info() {}, warn() {}, error: (m: string) => void logged.push(m) };
    const wf = workflow('h')
      .onEvent('node.completed', () => {
        throw new Error('handler bug');
      })
      .addNode('a', () => 1)
      .build();
    const r = await engine({ logger }).run(wf, {}).result;
    expect(r.status).toBe('success');
    expect(logged).toEqual(['onEvent handler failed']);
  });
});

describe('errors', () => {
  it('all thrown errors are FlowlaneErrors recognised by brand', () => {
    const err = new FlowlaneError('FL_TIMEOUT', { nodeId: 'x', ms: 5 });
    expect(err.message).toBe('Node "x" timed out after 5 ms. Raise its timeout or make it honour ctx.signal.');
    const foreign = { ...err, [Symbol.for('flowlane.error')]: true, code: 'FL_TIMEOUT' };
    expect(isFlowlaneError(foreign, 'FL_TIMEOUT')).toBe(true);
    expect(isFlowlaneError(new Error('x'))).toBe(false);
  });
});
