import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine, type Engine, type Logger, workflow } from '@flowlane/core';
import { kubernetesExecutor } from '@flowlane/executor-kubernetes';
import { type FakeKubeApi, startFakeKubeApi } from '@flowlane/testing';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { otelTracing } from './otel-tracing.js';

// No kube-apiserver can run here: @flowlane/testing's fake speaks the real REST + exec WebSocket protocol and runs
// the exec'd command as a real process on this host (whose own environment has no TRACEPARENT).
const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
let api: FakeKubeApi;
let dir: string;
let engine: Engine | undefined;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flowlane-otel-k8s-'));
  api = await startFakeKubeApi({ cwd: dir, pods: [{ name: 'web-0', labels: { app: 'web' } }] });
});
afterEach(async () => {
  await engine?.close();
  engine = undefined;
});
afterAll(async () => {
  await api?.dispose();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('trace context in a pod exec (executor-kubernetes against the protocol-level fake API)', () => {
  it('the command run in the pod sees TRACEPARENT of its node attempt span', async () => {
    expect(process.env.TRACEPARENT).toBeUndefined();
    const exporter = new InMemorySpanExporter();
    const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    engine = createEngine({
      plugins: [
        kubernetesExecutor({
          kubeConfig: { from: 'yaml', yaml: api.kubeconfig },
          targets: { web: { labelSelector: 'app=web' } },
        }),
        otelTracing({ tracerProvider }),
      ],
      logger: quiet,
    });
    const wf = workflow('in-pod')
      .addNode('deploy', async (ctx) => (await ctx.exec('printf %s "$TRACEPARENT"', { shell: true })).stdout, {
        executor: { name: 'kubernetes', target: 'web' },
      })
      .build();
    const result = await engine.run(wf, undefined).result;
    expect(result.status).toBe('success');
    const node = exporter.getFinishedSpans().find((s) => s.name === 'node deploy')!;
    const c = node.spanContext();
    expect(result.outputs.deploy).toBe(`00-${c.traceId}-${c.spanId}-01`);
    expect(api.execLog.map((e) => e.pod)).toEqual(['web-0']);
  });
});
