import { describe, expect, it } from 'vitest';
import { workflow } from '../builder/workflow-builder.js';
import type { FlowEvent, WorkflowStartedEvent } from '../contracts/events.js';
import type { RunResult } from '../contracts/run-types.js';
import { isFlowlaneError } from '../errors.js';
import { createVirtualClock } from '../runtime/virtual-clock.js';
import { useEngines } from './engines.test-helper.js';
import type { TriggerEvent } from './triggers.js';

const engines = useEngines();

const started = (events: FlowEvent[], name?: string): WorkflowStartedEvent[] =>
  events.filter((e): e is WorkflowStartedEvent => e.type === 'workflow.started' && (!name || e.workflow === name));

const collect = (engine: ReturnType<typeof engines>): FlowEvent[] => {
  const events: FlowEvent[] = [];
  engine.events$.subscribe((e) => events.push(e));
  return events;
};

/** Waits (real time, bounded) until `check` holds: the engine settles runs through promises. */
async function until(check: () => boolean, what: string): Promise<void> {
  for (let k = 0; k < 500; k++) {
    if (check()) return;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('engine.trigger on custom events', () => {
  it('starts a run for matching events only, maps the input, and records triggeredBy', async () => {
    const engine = engines();
    const events = collect(engine);
    const checks = workflow('checks')
      .input<{ commit: string }>()
      .addNode('lint', (ctx) => `linted ${ctx.input.commit}`)
      .build();
    engine.trigger<{ commit: string }, { branch: string; commit: string }>({
      on: 'git.push',
      when: (e) => e.payload.branch === 'main',
      run: checks,
      input: (e) => ({ commit: e.payload.commit }),
    });
    expect(engine.emit('git.push', { branch: 'feature', commit: 'f00' })).toEqual([]);
    const [run, ...more] = engine.emit('git.push', { branch: 'main', commit: 'abc123' });
    expect(more).toEqual([]);
    const r = await run!.result;
    expect(r.status).toBe('success');
    expect(r.outputs).toEqual({ lint: 'linted abc123' });
    expect(started(events)).toHaveLength(1);
    expect(started(events)[0]!.triggeredBy).toEqual({ event: 'git.push' });
  });

  it('events emitted inside a run (ctx.emitEvent) trigger too, with the emitting run as the cause', async () => {
    const engine = engines();
    const events = collect(engine);
    const producer = workflow('producer')
      .addNode('emit', (ctx) => {
        ctx.emitEvent('data.ready', { rows: 3 });
        return 1;
      })
      .build();
    const consumer = workflow('consumer')
      .input<{ rows: number }>()
      .addNode('count', (ctx) => ctx.input.rows * 2)
      .build();
    const seen: TriggerEvent[] = [];
    engine.trigger({ on: 'data.ready', run: consumer, when: (e) => seen.push(e) > 0 });
    const first = engine.run(producer, {});
    await first.result;
    await until(() => started(events, 'consumer').length === 1, 'the consumer run');
    expect(seen[0]).toMatchObject({ name: 'data.ready', payload: { rows: 3 }, executionId: first.executionId });
    expect(started(events, 'consumer')[0]!.triggeredBy).toEqual({
      event: 'data.ready',
      executionId: first.executionId,
    });
  });

  it('remove() stops the trigger; a throwing when() counts as false and is reported', async () => {
    const engine = engines();
    const wf = workflow('w')
      .addNode('a', () => 1)
      .build();
    const errors: unknown[] = [];
    const handle = engine.trigger({ on: 'tick', run: wf });
    engine.trigger({
      on: 'tick',
      run: wf,
      when: () => {
        throw new Error('bad condition');
      },
      onError: (e) => errors.push(e),
    });
    expect(engine.emit('tick')).toHaveLength(1);
    expect(String(errors[0])).toContain('bad condition');
    handle.remove();
    expect(engine.emit('tick')).toHaveLength(0);
  });

  it('rejects bad options with FL_INVALID_OPTION, including unknown keys with a suggestion', () => {
    const engine = engines();
    const wf = workflow('w')
      .addNode('a', () => 1)
      .build();
    const bad = (o: object, message: RegExp) => {
      try {
        engine.trigger(o as never);
        expect.unreachable();
      } catch (e) {
        expect(isFlowlaneError(e, 'FL_INVALID_OPTION')).toBe(true);
        expect((e as Error).message).toMatch(message);
      }
    };
    bad({ on: 'x', run: wf, debounse: 5 }, /trigger\.debounse: unknown option \(did you mean "debounce"\?\)/);
    bad({ on: '', run: wf }, /trigger\.on/);
    bad({ on: 'x', run: () => 1 }, /built workflow/);
    bad({ on: 'x', run: wf, workflow: 'other' }, /only lifecycle triggers/);
    bad({ on: 'node.failed', run: wf }, /"node\.failed" is an engine event that triggers nothing/);
    bad({ on: 'x', run: wf, concurrency: 0 }, /integer ≥ 1/);
    bad({ on: 'x', run: wf, debounce: -1 }, /ms ≥ 0/);
    // Longer than a timer can wait: Node would fire it after 1 ms instead of debouncing.
    bad({ on: 'x', run: wf, debounce: 1e12 }, /trigger\.debounce: expected at most 2147483647 ms/);
    bad({ on: 'workflow.completed', workflow: '', run: wf }, /trigger\.workflow: expected a workflow name/);
    expect(() => engine.emit('workflow.completed')).toThrow(/emitted by the engine/);
  });
});

describe('lifecycle triggers (workflow.completed / workflow.failed)', () => {
  it('chains a completed run into the next workflow, narrowed by workflow name, with the result as payload', async () => {
    const engine = engines();
    const events = collect(engine);
    const build = workflow('build')
      .addNode('compile', () => 'app.tar')
      .build();
    const other = workflow('other')
      .addNode('x', () => 0)
      .build();
    const deploy = workflow('deploy')
      .input<{ artifact: string }>()
      .addNode('ship', (ctx) => `shipped ${ctx.input.artifact}`)
      .build();
    const deployRuns: string[] = [];
    engine.trigger<{ artifact: string }, RunResult<{ compile: string }>>({
      on: 'workflow.completed',
      workflow: 'build',
      run: deploy,
      input: (e) => ({ artifact: e.payload.outputs.compile! }),
    });
    engine.events$.subscribe((e) => {
      if (e.type === 'workflow.completed' && e.workflow === 'deploy') deployRuns.push(e.executionId);
    });
    await engine.run(other, {}).result;
    const b = engine.run(build, {});
    await b.result;
    await until(() => deployRuns.length === 1, 'the deploy run');
    const deployStart = started(events, 'deploy');
    expect(deployStart).toHaveLength(1);
    expect(deployStart[0]!.triggeredBy).toEqual({ event: 'workflow.completed', executionId: b.executionId });
  });

  it('workflow.failed triggers on failures only (not on success, not on cancel)', async () => {
    const engine = engines();
    const events = collect(engine);
    const flaky = workflow('flaky')
      .input<{ fail: boolean }>()
      .addNode('step', (ctx) => {
        if (ctx.input.fail) throw new Error('boom');
        return 1;
      })
      .build();
    const alert = workflow('alert')
      .input<{ error: string }>()
      .addNode('page', (ctx) => ctx.input.error)
      .build();
    engine.trigger<{ error: string }, RunResult>({
      on: 'workflow.failed',
      workflow: 'flaky',
      run: alert,
      input: (e) => ({ error: e.payload.error?.code ?? '?' }),
    });
    await engine.run(flaky, { fail: false }).result;
    const cancelled = engine.run(flaky, { fail: false });
    cancelled.cancel('test');
    await cancelled.result;
    await engine.run(flaky, { fail: true }).result;
    await until(() => events.some((e) => e.type === 'workflow.completed' && e.workflow === 'alert'), 'the alert');
    expect(started(events, 'alert')).toHaveLength(1);
  });
});

describe('debounce and concurrency (virtual time)', () => {
  it('debounce starts one run with the last event, debounce ms after the last of a burst', async () => {
    const clock = createVirtualClock();
    const engine = engines({ clock });
    const events = collect(engine);
    const applied: number[] = [];
    const wf = workflow('sync')
      .input<{ n: number }>()
      .addNode('apply', (ctx) => applied.push(ctx.input.n))
      .build();
    engine.trigger({ on: 'changed', run: wf, debounce: 1_000 });
    engine.emit('changed', { n: 1 });
    await clock.advanceBy(600);
    engine.emit('changed', { n: 2 });
    await clock.advanceBy(600); // 1,200 ms: 600 since the last event, nothing yet
    engine.emit('changed', { n: 3 });
    await clock.advanceBy(999);
    expect(started(events)).toHaveLength(0);
    await clock.advanceBy(1);
    await until(() => applied.length === 1, 'the debounced run');
    expect(applied).toEqual([3]);
    expect(started(events)[0]!.timestamp).toBe(2_200);
    await clock.advanceBy(10_000);
    expect(started(events)).toHaveLength(1);
    expect(clock.pending()).toBe(0);
  });

  it('a constant input is used as is; close() drops a pending debounce (no timer left, nothing starts)', async () => {
    const clock = createVirtualClock();
    const engine = engines({ clock });
    const events = collect(engine);
    const wf = workflow('fixed')
      .input<{ mode: string }>()
      .addNode('m', (ctx) => ctx.input.mode)
      .build();
    engine.trigger({ on: 'go', run: wf, input: { mode: 'full' } });
    engine.trigger({ on: 'later', run: wf, input: { mode: 'debounced' }, debounce: 5_000 });
    const [run] = engine.emit('go', { ignored: true });
    expect((await run!.result).outputs).toEqual({ m: 'full' });
    engine.emit('later');
    expect(clock.pending()).toBe(1);
    await engine.close();
    expect(clock.pending()).toBe(0);
    await clock.advanceBy(10_000);
    expect(started(events).map((e) => e.workflow)).toEqual(['fixed']);
    expect(() => engine.emit('go')).toThrow(/closed/);
  });

  it('concurrency holds later events until a run of the trigger ends, then starts them in order', async () => {
    const clock = createVirtualClock();
    const engine = engines({ clock });
    const order: number[] = [];
    let running = 0;
    let peak = 0;
    const wf = workflow('job')
      .input<{ n: number }>()
      .addNode(
        'work',
        (ctx) =>
          new Promise<number>((resolve) => {
            running++;
            peak = Math.max(peak, running);
            order.push(ctx.input.n);
            clock.schedule(() => {
              running--;
              resolve(ctx.input.n);
            }, 1_000);
          }),
      )
      .build();
    engine.trigger({ on: 'job', run: wf, concurrency: 2 });
    const immediate = [1, 2, 3, 4, 5].flatMap((n) => engine.emit('job', { n }));
    expect(immediate).toHaveLength(2);
    await clock.advanceBy(0);
    expect(order).toEqual([1, 2]);
    await clock.advanceBy(1_000);
    await until(() => order.length === 4, 'two more runs');
    expect(order).toEqual([1, 2, 3, 4]);
    await clock.advanceBy(1_000);
    await until(() => order.length === 5, 'the last run');
    await clock.advanceBy(1_000);
    expect(order).toEqual([1, 2, 3, 4, 5]);
    expect(peak).toBe(2);
  });
});

describe('loop protection', () => {
  it('a ping → pong → ping chain stops at maxTriggerDepth with FL_TRIGGER_LOOP naming the cycle', async () => {
    const engine = engines({ maxTriggerDepth: 4 });
    const events = collect(engine);
    const ping = workflow('ping')
      .addNode('p', () => 1)
      .build();
    const pong = workflow('pong')
      .addNode('p', () => 2)
      .build();
    const errors: unknown[] = [];
    engine.trigger({ on: 'workflow.completed', workflow: 'ping', run: pong, onError: (e) => errors.push(e) });
    engine.trigger({ on: 'workflow.completed', workflow: 'pong', run: ping, onError: (e) => errors.push(e) });
    engine.run(ping, {});
    await until(() => errors.length === 1, 'the loop error');
    // ping (root) + 4 triggered runs: pong, ping, pong, ping — the 5th triggered run is refused.
    expect(started(events).map((e) => e.workflow)).toEqual(['ping', 'pong', 'ping', 'pong', 'ping']);
    const error = errors[0];
    expect(isFlowlaneError(error, 'FL_TRIGGER_LOOP')).toBe(true);
    expect((error as { details: unknown }).details).toEqual({
      cycle: ['pong', 'ping', 'pong'],
      event: 'workflow.completed',
      limit: 4,
    });
    expect((error as Error).message).toContain('repeating pong → ping → pong');
    // Nothing more starts afterwards.
    for (let k = 0; k < 20; k++) await new Promise((r) => setImmediate(r));
    expect(started(events)).toHaveLength(5);
  });

  it('external emits start fresh chains: repeated emits never count as a loop', async () => {
    const engine = engines({ maxTriggerDepth: 1 });
    const wf = workflow('w')
      .addNode('a', () => 1)
      .build();
    engine.trigger({ on: 'tick', run: wf });
    for (let k = 0; k < 5; k++) expect((await engine.emit('tick')[0]!.result).status).toBe('success');
  });

  it('maxTriggerDepth must be an integer ≥ 1', () => {
    expect(() => engines({ maxTriggerDepth: 0 })).toThrow(/maxTriggerDepth/);
  });
});
