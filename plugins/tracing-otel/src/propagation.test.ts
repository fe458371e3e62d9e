import { createEngine, type Engine, secretEnvName, workflow } from '@flowlane/core';
import { sshExecutor } from '@flowlane/executor-ssh';
import { type SshdService, startSshd } from '@flowlane/testing';
import { createTraceState, type SpanContext, TraceFlags, trace } from '@opentelemetry/api';
import {
  AlwaysOffSampler,
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  type Sampler,
  SamplingDecision,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OtelTracingError } from './errors.js';
import { inMemory, quiet, useContextManager } from './otel.test-helper.js';
import { otelTracing } from './otel-tracing.js';

useContextManager();

let engine: Engine | undefined;
afterEach(async () => {
  await engine?.close();
  engine = undefined;
});

const spanNamed = (spans: readonly ReadableSpan[], name: string): ReadableSpan => {
  const found = spans.filter((s) => s.name === name);
  expect(found).toHaveLength(1);
  return found[0]!;
};
/** The W3C `traceparent` of a span context, built here from its parts (not by the code under test). */
const traceparentOf = (c: SpanContext) =>
  `00-${c.traceId}-${c.spanId}-${(c.traceFlags & TraceFlags.SAMPLED) === 1 ? '01' : '00'}`;

/** The environment the command printed (the run must have succeeded). */
function envOf(result: {
  status: string;
  outputs: { dump?: Record<string, string> | undefined };
}): Record<string, string> {
  expect(result.status).toBe('success');
  expect(result.outputs.dump).toBeTypeOf('object');
  return result.outputs.dump!;
}

/** Samples every span and gives it `traceState` (the SDK then carries it to every child span). */
const tracestateSampler = (traceState: string): Sampler => ({
  shouldSample: () => ({ decision: SamplingDecision.RECORD_AND_SAMPLED, traceState: createTraceState(traceState) }),
  toString: () => 'TracestateSampler',
});

/** A node that runs the real `node` binary (argv, no shell) and returns its environment. */
const envNode = (env?: Record<string, string>) =>
  workflow('env-dump')
    .addNode('dump', async (ctx) => {
      const { stdout } = await ctx.exec(process.execPath, {
        args: ['-e', 'process.stdout.write(JSON.stringify(process.env))'],
        ...(env === undefined ? {} : { env }),
      });
      return JSON.parse(stdout) as Record<string, string>;
    })
    .build();

describe('trace context in the environment of commands (local executor, real child processes)', () => {
  it('a command sees TRACEPARENT of its node attempt span (trace id, span id, sampled), and no other new variable', async () => {
    const secret = secretEnvName('TRACE_PROP_TEST');
    process.env[secret] = 'never-in-a-child';
    try {
      const { exporter, tracerProvider } = inMemory();
      engine = createEngine({ plugins: [otelTracing({ tracerProvider })], logger: quiet });
      const result = await engine.run(envNode(), undefined).result;
      expect(result.status).toBe('success');
      const childEnv = envOf(result);
      const node = spanNamed(exporter.getFinishedSpans(), 'node dump');
      const run = spanNamed(exporter.getFinishedSpans(), 'workflow env-dump');
      expect(node.spanContext().traceFlags).toBe(TraceFlags.SAMPLED);
      expect(childEnv.TRACEPARENT).toBe(traceparentOf(node.spanContext()));
      expect(childEnv.TRACEPARENT).toMatch(new RegExp(`^00-${run.spanContext().traceId}-[0-9a-f]{16}-01$`));
      expect(childEnv.TRACESTATE).toBeUndefined(); // none in this trace
      // Core's rule holds: the environment minus FLOWLANE_SECRET_*, plus only the trace context.
      const expected = Object.keys(process.env).filter((k) => !k.startsWith('FLOWLANE_SECRET_'));
      expect(Object.keys(childEnv).sort()).toEqual([...expected, 'TRACEPARENT'].sort());
      expect(childEnv[secret]).toBeUndefined();
    } finally {
      delete process.env[secret];
    }
  });

  it('carries TRACESTATE when the trace has one (here set by the sampler, as consistent-probability samplers do)', async () => {
    const exporter = new InMemorySpanExporter();
    const tracerProvider = new BasicTracerProvider({
      sampler: tracestateSampler('ot=th:0,vendor=abc'),
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    engine = createEngine({ plugins: [otelTracing({ tracerProvider })], logger: quiet });
    const result = await engine.run(envNode(), undefined).result;
    const node = spanNamed(exporter.getFinishedSpans(), 'node dump');
    expect(node.spanContext().traceState?.serialize()).toBe('ot=th:0,vendor=abc');
    expect(envOf(result).TRACEPARENT).toBe(traceparentOf(node.spanContext()));
    expect(envOf(result).TRACESTATE).toBe('ot=th:0,vendor=abc');
  });

  it('an unsampled trace gives a traceparent with flags 00 (the attempt span is then not recording)', async () => {
    const tracerProvider = new BasicTracerProvider({ sampler: new AlwaysOffSampler() });
    engine = createEngine({ plugins: [otelTracing({ tracerProvider })], logger: quiet });
    let active: SpanContext | undefined;
    const wf = workflow('unsampled')
      .addNode('dump', async (ctx) => {
        active = trace.getActiveSpan()?.spanContext(); // the attempt span (propagateContext)
        return (await ctx.exec('/bin/sh', { args: ['-c', 'printf %s "$TRACEPARENT"'] })).stdout;
      })
      .build();
    const result = await engine.run(wf, undefined).result;
    expect(active).toBeDefined();
    expect(active!.traceFlags).toBe(TraceFlags.NONE);
    expect(result.status).toBe('success');
    expect(result.outputs.dump).toBe(traceparentOf(active!));
    expect(result.outputs.dump).toMatch(/-00$/);
  });

  it("the node's own TRACEPARENT wins (and no TRACESTATE of another trace is mixed in)", async () => {
    const tracerProvider = new BasicTracerProvider({ sampler: tracestateSampler('vendor=abc') });
    engine = createEngine({ plugins: [otelTracing({ tracerProvider })], logger: quiet });
    const mine = '00-11111111111111111111111111111111-2222222222222222-01';
    const [own, injected] = await Promise.all([
      engine.run(envNode({ TRACEPARENT: mine, OTHER: 'kept' }), undefined).result,
      engine.run(envNode(), undefined).result,
    ]);
    expect(envOf(injected).TRACESTATE).toBe('vendor=abc'); // what would have been added
    expect(envOf(own).TRACEPARENT).toBe(mine);
    expect(envOf(own).TRACESTATE).toBeUndefined();
    expect(envOf(own).OTHER).toBe('kept');
  });

  it('each retry attempt passes its own span', async () => {
    const { exporter, tracerProvider } = inMemory();
    engine = createEngine({ plugins: [otelTracing({ tracerProvider })], logger: quiet });
    const seen: string[] = [];
    const wf = workflow('retried')
      .addNode(
        'flaky',
        async (ctx) => {
          seen.push((await ctx.exec('/bin/sh', { args: ['-c', 'printf %s "$TRACEPARENT"'] })).stdout);
          if (ctx.attempt < 2) throw new Error('first attempt fails');
          return 'ok';
        },
        { retry: { maxAttempts: 2, initialInterval: 1 } },
      )
      .build();
    expect((await engine.run(wf, undefined).result).status).toBe('success');
    const attempts = exporter
      .getFinishedSpans()
      .filter((s) => s.name === 'node flaky')
      .sort((a, b) => Number(a.attributes['flowlane.attempt']) - Number(b.attributes['flowlane.attempt']));
    expect(attempts).toHaveLength(2);
    expect(seen).toEqual(attempts.map((s) => traceparentOf(s.spanContext())));
    expect(seen[0]).not.toBe(seen[1]);
  });

  it('propagate: false sends nothing (spans are still recorded)', async () => {
    const { exporter, tracerProvider } = inMemory();
    engine = createEngine({ plugins: [otelTracing({ tracerProvider, propagate: false })], logger: quiet });
    const result = await engine.run(envNode(), undefined).result;
    expect(spanNamed(exporter.getFinishedSpans(), 'node dump').spanContext().traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(envOf(result).TRACEPARENT).toBeUndefined();
    expect(Object.keys(envOf(result)).sort()).toEqual(
      Object.keys(process.env)
        .filter((k) => !k.startsWith('FLOWLANE_SECRET_'))
        .sort(),
    );
  });

  it('validates propagate', () => {
    expect(() => otelTracing({ propagate: 'no' as never })).toThrow(
      expect.objectContaining({
        code: 'FL_OTEL_INVALID_OPTION',
        details: { option: 'propagate', reason: 'expected a boolean, got string' },
      }),
    );
    try {
      otelTracing({ propagte: false } as never);
      expect.unreachable('an unknown option is rejected');
    } catch (e) {
      expect(OtelTracingError.is(e, 'FL_OTEL_INVALID_OPTION')).toBe(true);
      expect((e as Error).message).toContain('did you mean "propagate"');
    }
  });
});

describe('trace context over SSH (executor-ssh against a real sshd)', () => {
  let sshd: SshdService;
  beforeAll(async () => {
    sshd = await startSshd();
  }, 30_000);
  afterAll(async () => {
    await sshd?.dispose();
  }, 30_000);

  it('the remote command sees TRACEPARENT of its node attempt span', async () => {
    const { exporter, tracerProvider } = inMemory();
    engine = createEngine({
      plugins: [
        sshExecutor({
          hosts: {
            web1: {
              host: sshd.host,
              port: sshd.port,
              username: sshd.username,
              privateKey: sshd.privateKey,
              knownHosts: sshd.knownHostsPath,
            },
          },
        }),
        otelTracing({ tracerProvider }),
      ],
      logger: quiet,
    });
    const wf = workflow('remote-shell')
      .addNode(
        'deploy',
        async (ctx) => (await ctx.exec('printf "%s|%s" "$TRACEPARENT" "$SSH_CONNECTION"', { shell: true })).stdout,
        { executor: { name: 'ssh', target: 'web1' } },
      )
      .build();
    const result = await engine.run(wf, undefined).result;
    expect(result.status).toBe('success');
    const [traceparent, sshConnection] = String(result.outputs.deploy).split('|');
    expect(sshConnection).toMatch(/^127\.0\.0\.1 \d+ 127\.0\.0\.1 \d+$/); // it really ran in an SSH session
    const node = spanNamed(exporter.getFinishedSpans(), 'node deploy');
    expect(node.attributes['flowlane.executor']).toBe('ssh');
    expect(traceparent).toBe(traceparentOf(node.spanContext()));
  });
});
