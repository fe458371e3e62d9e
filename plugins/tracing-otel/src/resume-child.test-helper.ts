/**
 * Child process of resume.test.ts: `node --import tsx resume-child.test-helper.ts <redisUrl> <executionId> <leaseMs>
 * [serve]`. With otelTracing and a Redis execution store it starts the resumable workflow (or, with `serve`, is a
 * `@flowlane/queue-bullmq` coordinator serving enqueued runs), prints `SPAN <traceId> <spanId>` when a run span starts
 * and `READY` once `hold` is running (the run is in the log; with `serve`, also `SERVING` once it takes runs). The
 * test then kills it with SIGKILL.
 */
import 'reflect-metadata';
import { createEngine } from '@flowlane/core';
import { bullmqDispatch } from '@flowlane/queue-bullmq';
import { redisStore } from '@flowlane/store-redis';
import { BasicTracerProvider, type Span, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { otelTracing } from './otel-tracing.js';
import { resumeWorkflow } from './resume-workflow.test-helper.js';

const [url, executionId, leaseMs, mode] = process.argv.slice(2) as [string, string, string, string | undefined];
process.env.FLOWLANE_TEST_HOLD = '1';
// Spans of this process are never exported (it dies): the test learns the run span's ids when it starts.
const announce: SpanProcessor = {
  onStart(span: Span) {
    if (span.name.startsWith('workflow ')) {
      const c = span.spanContext();
      process.stdout.write(`SPAN ${c.traceId} ${c.spanId}\n`);
    }
  },
  onEnd() {},
  forceFlush: () => Promise.resolve(),
  shutdown: () => Promise.resolve(),
};
const engine = createEngine({
  plugins: [
    redisStore({ url, prefix: 'resume:' }),
    otelTracing({ tracerProvider: new BasicTracerProvider({ spanProcessors: [announce] }) }),
    // Short lock and stalled interval: BullMQ's stalled check is throttled by the last checker's interval, and the
    // killed coordinator's lock must expire before the test's coordinator can take the run job over.
    ...(mode === 'serve'
      ? [
          bullmqDispatch({
            connection: url,
            queuePrefix: 'resume',
            serve: { lockDuration: 1000, stalledInterval: 300 },
          }),
        ]
      : []),
  ],
  workflows: [resumeWorkflow],
  leaseMs: Number(leaseMs),
  logger: { debug() {}, info() {}, warn() {}, error: (m, f) => console.error(m, f) },
});
engine.events$.subscribe((e) => {
  if (e.type === 'node.started' && e.nodeId === 'hold' && e.executionId === executionId)
    process.stdout.write('READY\n');
});
if (mode === 'serve') {
  await engine.ready();
  process.stdout.write('SERVING\n');
} else engine.run(resumeWorkflow, {}, { executionId });
