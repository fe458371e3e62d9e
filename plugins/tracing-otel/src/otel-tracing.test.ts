import { createEngine, type Engine, workflow } from '@flowlane/core';
import { startHttpReceiver } from '@flowlane/testing';
import { SpanStatusCode, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { BasicTracerProvider, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { OtelTracingError } from './errors.js';
import { inMemory, quiet, useContextManager } from './otel.test-helper.js';
import { otelTracing } from './otel-tracing.js';
import { executorsOfDescription } from './run-tracer.js';

useContextManager();

let engine: Engine | undefined;
afterEach(async () => {
  await engine?.close();
  engine = undefined;
});

const parentId = (s: ReadableSpan) => s.parentSpanContext?.spanId;

describe('otelTracing with the SDK in-memory exporter', () => {
  it('makes a span per run and one per node attempt, with retries, errors, fallbacks and attributes', async () => {
    const { exporter, tracerProvider } = inMemory();
    engine = createEngine({
      plugins: [otelTracing({ tracerProvider, attributes: { 'deployment.environment': 'test' } })],
      logger: quiet,
    });
    let calls = 0;
    let seenActive: string | undefined;
    const wf = workflow('deploy')
      .addNode('build', (ctx) => {
        seenActive = trace.getActiveSpan()?.spanContext().spanId;
        ctx.log.info('building');
        return 'img';
      })
      .addNode(
        'flaky',
        () => {
          if (++calls < 3) throw new Error(`attempt ${calls} failed`);
          return 'ok';
        },
        { dependsOn: ['build'], retry: { maxAttempts: 3, initialInterval: 1 }, executor: 'local' },
      )
      .addNode(
        'risky',
        () => {
          throw new Error('primary down');
        },
        { dependsOn: ['build'], fallback: 'backup' },
      )
      .addNode('backup', () => 'b')
      .build();
    const result = await engine.run(wf, undefined, { executionId: 'dep-1', actor: { id: 'alice' } }).result;
    expect(result.status).toBe('success');
    const spans = exporter.getFinishedSpans();
    const run = spans.find((s) => s.name === 'workflow deploy')!;
    expect(run.attributes).toMatchObject({
      'flowlane.workflow': 'deploy',
      'flowlane.execution_id': 'dep-1',
      'flowlane.actor': 'alice',
      'flowlane.status': 'success',
      'deployment.environment': 'test',
    });
    expect(run.status.code).toBe(SpanStatusCode.OK);
    expect(parentId(run)).toBeUndefined();
    const nodes = spans.filter((s) => s.name.startsWith('node '));
    for (const s of nodes) {
      expect(parentId(s)).toBe(run.spanContext().spanId);
      expect(s.spanContext().traceId).toBe(run.spanContext().traceId);
    }
    const flaky = nodes
      .filter((s) => s.name === 'node flaky')
      .sort((a, b) => Number(a.attributes['flowlane.attempt']) - Number(b.attributes['flowlane.attempt']));
    expect(flaky.map((s) => [s.attributes['flowlane.attempt'], s.status.code])).toEqual([
      [1, SpanStatusCode.ERROR],
      [2, SpanStatusCode.ERROR],
      [3, SpanStatusCode.OK],
    ]);
    expect(flaky[0]?.events.map((e) => e.name)).toEqual(['exception', 'flowlane.retry']);
    expect(flaky[0]?.events[0]?.attributes?.['exception.message']).toBe('attempt 1 failed');
    expect(flaky[0]?.attributes).toMatchObject({
      'flowlane.node': 'flaky',
      'flowlane.executor': 'local',
      'flowlane.workflow': 'deploy',
    });
    expect(run.events.filter((e) => e.name === 'flowlane.node.retrying')).toHaveLength(2);
    const risky = nodes.find((s) => s.name === 'node risky')!;
    expect(risky.status).toEqual({ code: SpanStatusCode.ERROR, message: 'primary down' });
    expect(risky.events.map((e) => e.name)).toContain('flowlane.fallback');
    expect(nodes.find((s) => s.name === 'node backup')?.status.code).toBe(SpanStatusCode.OK);
    const build = nodes.find((s) => s.name === 'node build')!;
    expect(build.events.map((e) => [e.name, e.attributes?.['log.message']])).toEqual([['log', 'building']]);
    // The attempt's span was the active context inside the node function.
    expect(seenActive).toBe(build.spanContext().spanId);
  });

  it("reads each run's node executors without describing its workflow (api.runGraph); from a description on an older core", async () => {
    const { exporter, tracerProvider } = inMemory();
    engine = createEngine({ plugins: [otelTracing({ tracerProvider })], logger: quiet });
    const wf = workflow('no-describe')
      .addNode('a', () => 1)
      .chain('b', () => 2, { executor: 'local' })
      .build();
    const toJSON = vi.spyOn(Object.getPrototypeOf(wf) as { toJSON(): unknown }, 'toJSON');
    try {
      expect((await engine.run(wf, {}).result).status).toBe('success');
      expect(toJSON).not.toHaveBeenCalled();
    } finally {
      toJSON.mockRestore();
    }
    const nodes = exporter.getFinishedSpans().filter((x) => x.name.startsWith('node '));
    expect(nodes.map((x) => x.attributes['flowlane.executor'])).toEqual(['local', 'local']);
    // The fallback for a core without api.runGraph: the same map from the run's description.
    const map = executorsOfDescription({
      name: 'w',
      nodes: [
        { id: 'a', kind: 'task', dependsOn: [], options: {} },
        { id: 'b', kind: 'task', dependsOn: [], options: { executor: 'ssh' } },
        { id: 'c', kind: 'task', dependsOn: [], options: { executor: { name: 'docker', target: 'box' } } },
      ],
      edges: [],
      groups: [],
    } as never);
    expect([...(map ?? [])]).toEqual([
      ['b', 'ssh'],
      ['c', 'docker'],
    ]);
  });

  it('marks a failed run and its failing node with ERROR status and the error code', async () => {
    const { exporter, tracerProvider } = inMemory();
    engine = createEngine({ plugins: [otelTracing({ tracerProvider })], logger: quiet });
    const wf = workflow('broken')
      .addNode('x', () => {
        throw new Error('boom');
      })
      .build();
    expect((await engine.run(wf, undefined).result).status).toBe('failed');
    const spans = exporter.getFinishedSpans();
    const run = spans.find((s) => s.name === 'workflow broken')!;
    expect(run.status.code).toBe(SpanStatusCode.ERROR);
    expect(run.attributes['flowlane.status']).toBe('failed');
    expect(run.attributes['flowlane.error.code']).toBe('FL_NODE_FAILED');
    expect(spans.find((s) => s.name === 'node x')?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'boom' });
  });

  it('nests a subworkflow run under its node span', async () => {
    const { exporter, tracerProvider } = inMemory();
    engine = createEngine({ plugins: [otelTracing({ tracerProvider })], logger: quiet });
    const child = workflow('child')
      .addNode('inner', () => 1)
      .build();
    const parent = workflow('parent')
      .subworkflow('sub', child, () => undefined)
      .build();
    expect((await engine.run(parent, undefined).result).status).toBe('success');
    const spans = exporter.getFinishedSpans();
    const sub = spans.find((s) => s.name === 'node sub')!;
    const childRun = spans.find((s) => s.name === 'workflow child')!;
    expect(parentId(childRun)).toBe(sub.spanContext().spanId);
    expect(parentId(spans.find((s) => s.name === 'node inner')!)).toBe(childRun.spanContext().spanId);
  });

  it('rejects unknown options with a typed error', () => {
    expect(() => otelTracing({ tracerProvidr: 1 } as never)).toThrow(OtelTracingError);
    expect(() => otelTracing({ tracerProvidr: 1 } as never)).toThrow(/unknown option; did you mean "tracerProvider"\?/);
    expect(() => otelTracing({ tracerProvider: {} as never })).toThrow(/expected an OpenTelemetry TracerProvider/);
    expect(() => otelTracing([1] as never)).toThrow(/expected an object/);
  });

  it('rejects attributes that are not OpenTelemetry attribute values (FL_OTEL_INVALID_OPTION naming the key)', () => {
    const err = (attributes: unknown) => {
      try {
        otelTracing({ attributes: attributes as never });
      } catch (e) {
        return e as OtelTracingError;
      }
      return undefined;
    };
    for (const bad of [5, 'prod', [1], null]) {
      const e = err(bad);
      expect(OtelTracingError.is(e, 'FL_OTEL_INVALID_OPTION')).toBe(true);
      expect(e?.details).toMatchObject({ option: 'attributes' });
    }
    const nested = err({ 'deployment.environment': 'prod', team: { name: 'infra' } });
    expect(OtelTracingError.is(nested, 'FL_OTEL_INVALID_OPTION')).toBe(true);
    expect(nested?.details).toMatchObject({ option: 'attributes.team' });
    expect(nested?.message).toContain('got an object');
    expect(err({ mixed: ['a', 1] })?.details).toMatchObject({ option: 'attributes.mixed' });
    expect(err({ deep: [{ a: 1 }] })?.details).toMatchObject({ option: 'attributes.deep' });
    // Every OTel attribute value is accepted.
    expect(
      err({ s: 'x', n: 1.5, b: false, ss: ['a', 'b'], ns: [1, null, 2], bs: [true], empty: [], u: undefined }),
    ).toBeUndefined();
  });
});

describe('otelTracing with the OTLP/HTTP exporter against a real receiver', () => {
  it('exports the run as OTLP JSON to /v1/traces', async () => {
    await using receiver = await startHttpReceiver();
    const exporter = new OTLPTraceExporter({ url: `${receiver.url}/v1/traces` });
    const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    engine = createEngine({ plugins: [otelTracing({ tracerProvider })], logger: quiet });
    await engine.execute(
      workflow('etl')
        .addNode('extract', () => 1)
        .chain('load', () => 2)
        .build(),
      undefined,
    );
    await tracerProvider.forceFlush();
    const requests = await receiver.waitFor((r) => r.length >= 3);
    await tracerProvider.shutdown();
    for (const r of requests) {
      expect(r.method).toBe('POST');
      expect(r.url).toBe('/v1/traces');
      expect(r.headers['content-type']).toMatch(/application\/(json|x-protobuf)/);
    }
    expect(requests[0]?.headers['content-type']).toBe('application/json');
    type Otlp = {
      resourceSpans: {
        scopeSpans: {
          scope: { name: string };
          spans: { name: string; traceId: string; parentSpanId?: string; attributes: { key: string }[] }[];
        }[];
      }[];
    };
    const spans = requests.flatMap((r) =>
      (JSON.parse(r.text) as Otlp).resourceSpans.flatMap((rs) =>
        rs.scopeSpans.flatMap((ss) => ss.spans.map((s) => ({ ...s, scope: ss.scope.name }))),
      ),
    );
    expect(spans.map((s) => s.name).sort()).toEqual(['node extract', 'node load', 'workflow etl']);
    expect(new Set(spans.map((s) => s.traceId)).size).toBe(1);
    expect(spans.every((s) => s.scope === '@flowlane/tracing-otel')).toBe(true);
    expect(spans.find((s) => s.name === 'node load')?.attributes.map((a) => a.key)).toEqual(
      expect.arrayContaining(['flowlane.workflow', 'flowlane.node', 'flowlane.executor', 'flowlane.attempt']),
    );
  });
});
