/* A worker process for propagation.bullmq.test.ts: BullMQ worker with otelTracing exporting OTLP/HTTP. */
import { createWorker } from '@flowlane/queue-bullmq';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { otelTracing } from './otel-tracing.js';
import { tracedWorkflow } from './traced-workflow.test-helper.js';

const [redisUrl, otlpUrl, id] = process.argv.slice(2) as [string, string, string];
const tracerProvider = new BasicTracerProvider({
  spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: otlpUrl }))],
});
const worker = await createWorker({
  connection: redisUrl,
  group: 'traced',
  id,
  workflows: [tracedWorkflow],
  plugins: [otelTracing({ tracerProvider })],
  heartbeatInterval: 200,
});
process.stdout.write('READY\n');
process.on('SIGTERM', () => {
  void worker
    .close()
    .then(() => tracerProvider.shutdown())
    .then(() => process.exit(0));
});
