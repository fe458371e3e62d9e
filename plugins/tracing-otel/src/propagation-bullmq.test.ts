import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createEngine, type Engine, type Logger } from '@flowlane/core';
import { bullmqDispatch } from '@flowlane/queue-bullmq';
import { type HttpReceiver, type RedisService, startHttpReceiver, startRedis } from '@flowlane/testing';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { otelTracing } from './otel-tracing.js';
import { tracedWorkflow } from './traced-workflow.test-helper.js';

const child = fileURLToPath(new URL('./bullmq-worker-child.test-helper.ts', import.meta.url));
const tsx = createRequire(import.meta.url).resolve('tsx');
const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

interface OtlpSpan {
  readonly name: string;
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly kind: number;
  readonly attributes: { key: string; value: { stringValue?: string; intValue?: string | number } }[];
}
/** The spans of every OTLP/JSON request the receiver got. */
const otlpSpans = (receiver: HttpReceiver): OtlpSpan[] =>
  receiver.requests.flatMap((r) =>
    (JSON.parse(r.text) as { resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[] }).resourceSpans.flatMap((rs) =>
      rs.scopeSpans.flatMap((ss) => ss.spans),
    ),
  );
const attr = (s: OtlpSpan, key: string) => {
  const v = s.attributes.find((a) => a.key === key)?.value;
  return v?.stringValue ?? (v?.intValue === undefined ? undefined : Number(v.intValue));
};

let redis: RedisService;
let receiver: HttpReceiver;
let worker: { proc: ChildProcess; exited: Promise<void> };
let engine: Engine | undefined;

beforeAll(async () => {
  redis = await startRedis();
  receiver = await startHttpReceiver();
  const proc = spawn(
    process.execPath,
    ['--import', tsx, child, redis.url, `${receiver.url}/v1/traces`, 'traced-worker-1'],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' } },
  );
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<void>((resolve) => proc.on('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: proc.stdout! }).on('line', (line) => line === 'READY' && resolve());
    void exited.then(() => reject(new Error(`worker exited before READY:\n${stderr}`)));
  });
  worker = { proc, exited };
}, 30_000);
afterEach(async () => {
  await engine?.close();
  engine = undefined;
});
afterAll(async () => {
  worker?.proc.kill('SIGTERM');
  await worker?.exited;
  await receiver?.dispose();
  await redis?.dispose();
}, 30_000);

function coordinator(propagate?: boolean) {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  // Dispatch listed first: the carrier comes from the attempt's span, whatever the middleware order.
  engine = createEngine({
    plugins: [
      bullmqDispatch({ connection: redis.url, groups: ['traced'] }),
      otelTracing({ tracerProvider, ...(propagate === undefined ? {} : { propagate }) }),
    ],
    logger: quiet,
  });
  return exporter;
}

describe('trace context across a BullMQ worker process (real Redis, real worker process, OTLP receiver)', () => {
  it("the worker's span of the attempt is a child of the coordinator's node span; its commands join the trace", async () => {
    const exporter = coordinator();
    const result = await engine!.run(tracedWorkflow, undefined, { executionId: 'traced-1' }).result;
    expect(result.status).toBe('success');
    const node = exporter.getFinishedSpans().find((s) => s.name === 'node remote')!;
    const prepare = exporter.getFinishedSpans().find((s) => s.name === 'node prepare')!;
    expect(node).toBeDefined();
    await receiver.waitFor(() => otlpSpans(receiver).some((s) => attr(s, 'flowlane.execution_id') === 'traced-1'));
    const remote = otlpSpans(receiver).filter((s) => attr(s, 'flowlane.execution_id') === 'traced-1');
    expect(remote.map((s) => s.name)).toEqual(['worker node remote']);
    const [w] = remote as [OtlpSpan];
    expect(w.traceId).toBe(node.spanContext().traceId);
    expect(w.parentSpanId).toBe(node.spanContext().spanId);
    expect(w.parentSpanId).not.toBe(prepare.spanContext().spanId);
    expect(w.kind).toBe(5); // SPAN_KIND_CONSUMER
    expect(attr(w, 'flowlane.worker_id')).toBe('traced-worker-1');
    expect(attr(w, 'flowlane.attempt')).toBe(1);
    // The command on the worker got the worker's span: one trace from coordinator to the worker's child process.
    expect(result.outputs.remote).toBe(`00-${w.traceId}-${w.spanId}-01`);
  });

  it('propagate: false on the coordinator sends no context: the worker starts its own trace', async () => {
    const exporter = coordinator(false);
    const result = await engine!.run(tracedWorkflow, undefined, { executionId: 'traced-2' }).result;
    expect(result.status).toBe('success');
    const node = exporter.getFinishedSpans().find((s) => s.name === 'node remote')!;
    await receiver.waitFor(() => otlpSpans(receiver).some((s) => attr(s, 'flowlane.execution_id') === 'traced-2'));
    const [w] = otlpSpans(receiver).filter((s) => attr(s, 'flowlane.execution_id') === 'traced-2') as [OtlpSpan];
    expect(w.traceId).not.toBe(node.spanContext().traceId);
    expect(w.parentSpanId ?? '').toBe('');
    // The worker's own otelTracing still propagates to its commands (its option, not the coordinator's).
    expect(result.outputs.remote).toBe(`00-${w.traceId}-${w.spanId}-01`);
  });
});
