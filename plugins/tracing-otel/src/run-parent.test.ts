import { createEngine, createMemoryExecutionStore, createVirtualClock, type Engine, workflow } from '@flowlane/core';
import { bullmqDispatch } from '@flowlane/queue-bullmq';
import { type RedisService, startRedis } from '@flowlane/testing';
import { context, type Span, trace } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OtelTracingError } from './errors.js';
import { quiet, useContextManager } from './otel.test-helper.js';
import { otelTracing } from './otel-tracing.js';

useContextManager();

const engines: Engine[] = [];
afterEach(async () => {
  for (const e of engines.splice(0)) await e.close();
});

function traced(options: Parameters<typeof otelTracing>[0] = {}) {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const tracer = tracerProvider.getTracer('test');
  return { exporter, tracer, plugin: otelTracing({ tracerProvider, ...options }) };
}
const keep = (e: Engine): Engine => {
  engines.push(e);
  return e;
};
/** Runs `fn` with a new span of `tracer` active (the user's own span, e.g. an HTTP request's). */
function inSpan<T>(tracer: ReturnType<typeof traced>['tracer'], name: string, fn: (span: Span) => T): T {
  const span = tracer.startSpan(name);
  try {
    return context.with(trace.setSpan(context.active(), span), () => fn(span));
  } finally {
    span.end();
  }
}
const runSpan = (exporter: InMemorySpanExporter, executionId: string): ReadableSpan => {
  const found = exporter
    .getFinishedSpans()
    .find((s) => s.name.startsWith('workflow ') && s.attributes['flowlane.execution_id'] === executionId);
  if (found === undefined) throw new Error(`no run span for ${executionId}`);
  return found;
};
/** True when `span` is a child of `parent` (same trace, parent span id). */
const childOf = (span: ReadableSpan, parent: Span | ReadableSpan) =>
  span.parentSpanContext?.spanId === parent.spanContext().spanId &&
  span.spanContext().traceId === parent.spanContext().traceId;

function gate() {
  let open!: () => void;
  const p = new Promise<void>((r) => {
    open = r;
  });
  return { p, open };
}

describe('the run span is a child of the caller’s span', () => {
  it('engine.run inside a span: the run joins the caller’s trace', async () => {
    const { exporter, tracer, plugin } = traced();
    const engine = keep(createEngine({ plugins: [plugin], logger: quiet }));
    // Asked for before plugin setup finished: the context is still the caller's.
    const wf = workflow('direct')
      .addNode('a', async () => 1)
      .build();
    const request = inSpan(tracer, 'GET /deploy', (span) => ({ span, run: engine.run(wf, undefined) }));
    await request.run.result;
    const run = runSpan(exporter, request.run.executionId);
    expect(childOf(run, request.span)).toBe(true);
    // After setup too, and outside any span a run is a root.
    const second = inSpan(tracer, 'GET /again', (span) => ({ span, run: engine.run(wf, undefined) }));
    const lone = engine.run(wf, undefined);
    await Promise.all([second.run.result, lone.result]);
    expect(childOf(runSpan(exporter, second.run.executionId), second.span)).toBe(true);
    expect(runSpan(exporter, lone.executionId).parentSpanContext).toBeUndefined();
  });

  it('runs waiting behind maxConcurrentRuns: 1 each start under their own caller’s span', async () => {
    const { exporter, tracer, plugin } = traced();
    const engine = keep(createEngine({ plugins: [plugin], logger: quiet, maxConcurrentRuns: 1 }));
    await engine.ready();
    const hold = gate();
    const wf = workflow('queued')
      .input<{ n: number }>()
      .addNode('work', async (ctx) => {
        if (ctx.input.n === 1) await hold.p;
        return ctx.input.n;
      })
      .build();
    const callers = [1, 2, 3].map((n) =>
      inSpan(tracer, `request ${n}`, (span) => ({ span, run: engine.run(wf, { n }) })),
    );
    expect(engine.activeRuns).toBe(1);
    hold.open();
    await Promise.all(callers.map((c) => c.run.result));
    for (const c of callers) expect(childOf(runSpan(exporter, c.run.executionId), c.span)).toBe(true);
  });

  it('runs waiting for a flow-control concurrency slot each start under their own caller’s span', async () => {
    const { exporter, tracer, plugin } = traced();
    const engine = keep(createEngine({ plugins: [plugin], logger: quiet }));
    await engine.ready();
    const hold = gate();
    const wf = workflow('per-tenant', { concurrency: { key: (c) => c.input.tenant, limit: 1 } })
      .input<{ tenant: string; n: number }>()
      .addNode('work', async (ctx) => {
        if (ctx.input.n === 1) await hold.p;
        return ctx.input.n;
      })
      .build();
    const callers = [1, 2].map((n) =>
      inSpan(tracer, `request ${n}`, (span) => ({ span, run: engine.run(wf, { tenant: 't', n }) })),
    );
    hold.open();
    await Promise.all(callers.map((c) => c.run.result));
    for (const c of callers) expect(childOf(runSpan(exporter, c.run.executionId), c.span)).toBe(true);
  });

  it('triggered runs: under the emitter (engine.emit, ctx.emitEvent); a run’s end or a schedule starts a new trace', async () => {
    const { exporter, tracer, plugin } = traced();
    const clock = createVirtualClock();
    const engine = keep(createEngine({ plugins: [plugin], logger: quiet, clock }));
    await engine.ready();
    const onPush = workflow('on-push')
      .addNode('check', () => 'ok')
      .build();
    const onEmitted = workflow('on-emitted')
      .addNode('x', () => 'ok')
      .build();
    const afterward = workflow('afterward')
      .addNode('y', () => 'ok')
      .build();
    const emitter = workflow('emitter')
      .addNode('announce', (ctx) => {
        ctx.emitEvent('announced', {});
        return 1;
      })
      .build();
    const started: string[] = [];
    engine.events$.subscribe((e) => {
      if (e.type === 'workflow.started') started.push(e.executionId);
    });
    engine.trigger({ on: 'git.push', run: onPush });
    // Debounced: the run starts later, in a clock callback, still under the emitter's span.
    engine.trigger({ on: 'announced', run: onEmitted, debounce: 1_000 });
    engine.trigger({ on: 'workflow.completed', workflow: 'on-push', run: afterward });
    const push = inSpan(tracer, 'POST /webhook', (span) => ({ span, runs: engine.emit('git.push', {}) }));
    await push.runs[0]!.result;
    const source = inSpan(tracer, 'POST /announce', (span) => ({ span, run: engine.run(emitter, undefined) }));
    await source.run.result;
    await clock.advanceBy(1_000);
    const schedule = inSpan(tracer, 'setup', () => engine.schedule('*/5 * * * * *', onPush, undefined));
    await clock.advanceBy(5_000);
    schedule.remove();
    for (let k = 0; k < 20 && exporter.getFinishedSpans().filter((s) => s.name.startsWith('workflow ')).length < 6; k++)
      await new Promise((r) => setTimeout(r, 5));
    const spans = exporter.getFinishedSpans().filter((s) => s.name.startsWith('workflow '));
    const named = (n: string) => spans.filter((s) => s.name === `workflow ${n}`);
    expect(childOf(runSpan(exporter, push.runs[0]!.executionId), push.span)).toBe(true);
    const announce = exporter.getFinishedSpans().find((s) => s.name === 'node announce')!;
    expect(named('on-emitted')).toHaveLength(1);
    expect(childOf(named('on-emitted')[0]!, announce)).toBe(true);
    // After the emitted on-push run and after the scheduled one: each a new trace.
    expect(named('afterward')).toHaveLength(2);
    for (const s of named('afterward')) {
      expect(s.parentSpanContext).toBeUndefined();
      expect(s.attributes['flowlane.triggered_by']).toBe('workflow.completed');
    }
    const scheduled = named('on-push').filter((s) => s.attributes['flowlane.triggered_by'] === 'schedule');
    expect(scheduled).toHaveLength(1);
    expect(scheduled[0]!.parentSpanContext).toBeUndefined();
  });

  it('a subworkflow run still nests under its node’s attempt span, inside the caller’s trace', async () => {
    const { exporter, tracer, plugin } = traced();
    const engine = keep(createEngine({ plugins: [plugin], logger: quiet }));
    const child = workflow('child')
      .addNode('inner', () => 2)
      .build();
    const parent = workflow('parent')
      .addNode('first', () => 1)
      .subworkflow('sub', child, () => undefined, { dependsOn: ['first'] })
      .build();
    const request = inSpan(tracer, 'request', (span) => ({ span, run: engine.run(parent, undefined) }));
    await request.run.result;
    const top = runSpan(exporter, request.run.executionId);
    expect(childOf(top, request.span)).toBe(true);
    const sub = exporter.getFinishedSpans().find((s) => s.name === 'node sub')!;
    expect(childOf(sub, top)).toBe(true);
    expect(childOf(runSpan(exporter, `${request.run.executionId}/sub`), sub)).toBe(true);
  });

  it("parentRuns: 'none' starts every run in a new trace; bad values are typed errors", async () => {
    const { exporter, tracer, plugin } = traced({ parentRuns: 'none' });
    const engine = keep(createEngine({ plugins: [plugin], logger: quiet }));
    const wf = workflow('alone')
      .addNode('a', () => 1)
      .build();
    const request = inSpan(tracer, 'request', (span) => ({ span, run: engine.run(wf, undefined) }));
    await request.run.result;
    expect(runSpan(exporter, request.run.executionId).parentSpanContext).toBeUndefined();
    expect(() => otelTracing({ parentRuns: 'parent' as never })).toThrow(/parentRuns.*'caller' or 'none'/);
    try {
      otelTracing({ parentRun: 'none' } as never);
      expect.unreachable();
    } catch (e) {
      expect(OtelTracingError.is(e, 'FL_OTEL_INVALID_OPTION')).toBe(true);
      expect((e as OtelTracingError).details.option).toBe('parentRun');
    }
  });

  it('engine.resume: the continuation is a child of the resume caller’s span, marked resumed; attempts go on', async () => {
    const store = createMemoryExecutionStore();
    const clock = createVirtualClock();
    const build = () =>
      workflow('resumable')
        .addNode(
          'flaky',
          (ctx) => {
            if (ctx.attempt < 3) throw new Error(`attempt ${ctx.attempt} fails`);
            return 'ok';
          },
          { retry: { maxAttempts: 3, initialInterval: 10_000 } },
        )
        .build();
    const first = traced();
    const a = createEngine({ plugins: [first.plugin], logger: quiet, executions: store, clock, leaseMs: 600_000 });
    const original = inSpan(first.tracer, 'request', () => a.run(build(), undefined, { executionId: 'res-1' }));
    await clock.advanceBy(1_000); // attempt 1 failed; the retry waits
    await a.close();
    const second = traced();
    const b = keep(
      createEngine({
        plugins: [second.plugin],
        logger: quiet,
        executions: store,
        clock,
        leaseMs: 600_000,
        workflows: [build()],
      }),
    );
    await b.ready();
    const resumed = await inSpan(second.tracer, 'POST /runs/res-1/resume', async (span) => ({
      span,
      run: await b.resume('res-1'),
    }));
    expect(original.executionId).toBe('res-1');
    await clock.advanceBy(100_000);
    expect((await resumed.run.result).status).toBe('success');
    const run = runSpan(second.exporter, 'res-1');
    expect(childOf(run, resumed.span)).toBe(true);
    expect(run.attributes['flowlane.resumed']).toBe(true);
    // Attempt numbers continue from the log: attempt 2 fails (its retry event says 2), attempt 3 succeeds.
    const nodes = second.exporter.getFinishedSpans().filter((s) => s.name === 'node flaky');
    expect(nodes.map((s) => s.attributes['flowlane.attempt'])).toEqual([2, 3]);
    expect(nodes[0]!.events.find((e) => e.name === 'flowlane.retry')?.attributes?.['flowlane.attempt']).toBe(2);
  });
});

describe('engine.enqueue → a served run (real Redis, queue-bullmq)', () => {
  let redis: RedisService;
  beforeAll(async () => {
    redis = await startRedis();
  }, 30_000);
  afterAll(async () => {
    await redis?.stop();
  });

  it('the serving coordinator’s run span is a child of the enqueuer’s span', async () => {
    const report = workflow('report', { version: '1' })
      .input<{ day: string }>()
      .addNode('rows', (ctx) => `rows of ${ctx.input.day}`)
      .build();
    const coordinator = traced();
    keep(
      createEngine({
        plugins: [bullmqDispatch({ connection: redis.url, groups: [], serve: {} }), coordinator.plugin],
        workflows: [report],
        logger: quiet,
      }),
    );
    const client = traced();
    const producer = keep(
      createEngine({ plugins: [bullmqDispatch({ connection: redis.url, groups: [] }), client.plugin], logger: quiet }),
    );
    await Promise.all(engines.map((e) => e.ready()));
    const request = await inSpan(client.tracer, 'POST /reports', async (span) => ({
      span,
      queued: await producer.enqueue(report, { day: '2026-12-07' }),
    }));
    const result = await request.queued.result();
    expect(result.status).toBe('success');
    const served = runSpan(coordinator.exporter, request.queued.executionId);
    expect(childOf(served, request.span)).toBe(true);
    expect(served.parentSpanContext?.isRemote).toBe(true);
    // Enqueued outside any span: a new trace on the coordinator.
    const lone = await producer.enqueue(report, { day: '2026-12-08' });
    await lone.result();
    expect(runSpan(coordinator.exporter, lone.executionId).parentSpanContext).toBeUndefined();
    // A client with propagate: false sends no context: a new trace on the coordinator.
    const closed = traced({ propagate: false });
    const quietClient = keep(
      createEngine({ plugins: [bullmqDispatch({ connection: redis.url, groups: [] }), closed.plugin], logger: quiet }),
    );
    const silent = await inSpan(closed.tracer, 'POST /reports', () =>
      quietClient.enqueue(report, { day: '2026-12-09' }),
    );
    await silent.result();
    expect(runSpan(coordinator.exporter, silent.executionId).parentSpanContext).toBeUndefined();
  }, 30_000);

  it('a subworkflow run on another coordinator (runOn) is a child of its node’s attempt span there', async () => {
    const child = workflow('regional', { version: '1' })
      .addNode('deploy', () => 'eu-ok')
      .build();
    const parent = workflow('global', { version: '1' })
      .subworkflow('eu', child, () => undefined, { runOn: 'eu' })
      .build();
    const eu = traced();
    keep(
      createEngine({
        plugins: [
          bullmqDispatch({ connection: redis.url, groups: [], serve: { enqueued: false, groups: ['eu'] } }),
          eu.plugin,
        ],
        workflows: [child],
        logger: quiet,
      }),
    );
    const top = traced();
    const engine = keep(
      createEngine({ plugins: [bullmqDispatch({ connection: redis.url, groups: ['eu'] }), top.plugin], logger: quiet }),
    );
    await Promise.all(engines.map((e) => e.ready()));
    const request = inSpan(top.tracer, 'POST /release', (span) => ({ span, run: engine.run(parent, undefined) }));
    expect((await request.run.result).status).toBe('success');
    expect(childOf(runSpan(top.exporter, request.run.executionId), request.span)).toBe(true);
    const node = top.exporter.getFinishedSpans().find((s) => s.name === 'node eu')!;
    const remote = runSpan(eu.exporter, `${request.run.executionId}/eu`);
    expect(childOf(remote, node)).toBe(true);
  }, 30_000);
});
