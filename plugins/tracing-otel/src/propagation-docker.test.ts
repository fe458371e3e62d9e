import { createEngine, type Engine, type Logger, workflow } from '@flowlane/core';
import { dockerExecutor } from '@flowlane/executor-docker';
import { type DockerService, startDocker } from '@flowlane/testing';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { otelTracing } from './otel-tracing.js';

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
let docker: DockerService;
let engine: Engine | undefined;
beforeAll(async () => {
  docker = await startDocker();
}, 60_000);
afterEach(async () => {
  await engine?.close();
  engine = undefined;
});
afterAll(async () => {
  await docker?.dispose();
}, 60_000);

describe('trace context in a container (executor-docker against a real dockerd)', () => {
  it('a command in a fresh container sees TRACEPARENT of its node attempt span, next to the target env', async () => {
    const exporter = new InMemorySpanExporter();
    const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    engine = createEngine({
      plugins: [
        dockerExecutor({
          connection: { socketPath: docker.socketPath },
          pullPolicy: 'never',
          targets: { box: { mode: 'run', image: docker.image, network: 'none', env: { SUITE: 'unit' } } },
        }),
        otelTracing({ tracerProvider }),
      ],
      logger: quiet,
    });
    const wf = workflow('containerised')
      .addNode(
        'test',
        async (ctx) => (await ctx.exec('printf "%s|%s" "$TRACEPARENT" "$SUITE"', { shell: true })).stdout,
        { executor: { name: 'docker', target: 'box' } },
      )
      .build();
    const result = await engine.run(wf, undefined).result;
    expect(result.status).toBe('success');
    const node = exporter.getFinishedSpans().find((s) => s.name === 'node test')!;
    const c = node.spanContext();
    expect(node.attributes['flowlane.executor']).toBe('docker');
    expect(result.outputs.test).toBe(`00-${c.traceId}-${c.spanId}-01|unit`);
  });
});
