/**
 * Child process of resume.test.ts: `node --import tsx resume-child.test-helper.ts <redisUrl> <executionId> <leaseMs>`.
 * Starts the resumable workflow on a Redis execution store with otelTracing, prints `SPAN <traceId> <spanId>` when the
 * run span starts and `READY` once `hold` is running (the run is in the log); the test then kills it with SIGKILL.
 */
import 'reflect-metadata';
import { createEngine } from '@flowlane/core';
import { redisStore } from '@flowlane/store-redis';
import { BasicTracerProvider, type Span, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { otelTracing } from './otel-tracing.js';
import { resumeWorkflow } from './resume-workflow.test-helper.js';

const [url, executionId, leaseMs] = process.argv.slice(2) as [string, string, string];
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
  ],
  workflows: [resumeWorkflow],
  leaseMs: Number(leaseMs),
  logger: { debug() {}, info() {}, warn() {}, error: (m, f) => console.error(m, f) },
});
const run = engine.run(resumeWorkflow, {}, { executionId });
run.events$.subscribe((e) => {
  if (e.type === 'node.started' && e.nodeId === 'hold') process.stdout.write('READY\n');
});
