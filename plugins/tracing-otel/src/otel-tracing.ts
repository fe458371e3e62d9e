import { allKeys, definePlugin, type FlowlanePlugin, unknownKeyHint, unknownKeys } from '@flowlane/core';
import { type Attributes, context, type TracerProvider, trace } from '@opentelemetry/api';
import { OtelTracingError } from './errors.js';
import { TracePropagator } from './propagator.js';
import { executorsOfDescription, RunTracer } from './run-tracer.js';
import { CORE_RANGE, PKG_VERSION } from './version.js';

/** Options of {@link otelTracing}. */
export interface OtelTracingOptions {
  /** Where spans go. Default: the global provider (`trace.getTracerProvider()`, set by your SDK). */
  readonly tracerProvider?: TracerProvider | undefined;
  /** Make each node attempt's span the active context while the node runs (needs a context manager). Default true. */
  readonly propagateContext?: boolean | undefined;
  /**
   * Send each node attempt's trace context out of the process: `TRACEPARENT` (and `TRACESTATE`, or the fields of the
   * propagator your SDK registered, upper-cased) in the environment of commands run with `ctx.exec` on any executor,
   * and the context in the job data of nodes dispatched to remote workers. A worker with `otelTracing()` installed
   * records its own span of the attempt as a child of it; and the caller's context with a run put on the run queue by
   * `engine.enqueue()` (see `parentRuns`). Default true; `false` sends nothing (a worker still honours the context it
   * receives).
   */
  readonly propagate?: boolean | undefined;
  /** Attributes added to every run span (e.g. `{ 'deployment.environment': 'prod' }`). Default none. */
  readonly attributes?: Attributes | undefined;
  /**
   * What a top-level run's span is a child of. `'caller'` (default): the span active where the run was asked for —
   * in `engine.run()` (even when the run waits for `maxConcurrentRuns` or flow control), `engine.resume()`,
   * `engine.emit()` / `ctx.emitEvent()` for triggered runs, and `engine.enqueue()` for the run a coordinator serves
   * (the context travels in the queued job unless `propagate: false`); a run nobody asked for (a schedule, a trigger on
   * another run's end, `resume: 'auto'`) starts a new trace. `'none'`: every top-level run starts a new trace.
   * Subworkflow runs always nest under their node's span.
   */
  readonly parentRuns?: 'caller' | 'none' | undefined;
}

const OPTION_KEYS = allKeys<OtelTracingOptions>()([
  'tracerProvider',
  'propagateContext',
  'propagate',
  'attributes',
  'parentRuns',
]);

/**
 * OpenTelemetry traces for Flowlane runs: a span per run (`workflow <name>`) and a child span per node attempt
 * (`node <id>`, attributes `flowlane.workflow`, `flowlane.node`, `flowlane.executor`, `flowlane.attempt`), failed
 * attempts with an exception event and ERROR status, retries as `flowlane.retry` events. A run's span is a child of
 * the span active where the run was asked for (`engine.run`, `engine.enqueue`, …; option `parentRuns`). Each attempt's
 * trace context
 * reaches the commands it runs (`TRACEPARENT`, any executor) and remote workers (`@flowlane/queue-bullmq`; a worker
 * with this plugin records a `worker node <id>` child span). Uses `@opentelemetry/api`: bring your own SDK and
 * exporter.
 *
 * @example
 * ```ts
 * import { createEngine, workflow } from '@flowlane/core';
 * import { otelTracing } from '@flowlane/tracing-otel';
 * import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
 *
 * const exporter = new InMemorySpanExporter();
 * const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
 * const engine = createEngine({ plugins: [otelTracing({ tracerProvider })] });
 * await engine.execute(workflow('hello').addNode('a', () => 1).build(), undefined);
 * console.log(exporter.getFinishedSpans().map((s) => s.name).join(', ')); // node a, workflow hello
 * await engine.close();
 * ```
 */
export function otelTracing(options: OtelTracingOptions = {}): FlowlanePlugin {
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    throw new OtelTracingError('FL_OTEL_INVALID_OPTION', { option: 'options', reason: 'expected an object' });
  const [extra] = unknownKeys(options, OPTION_KEYS);
  if (extra !== undefined)
    throw new OtelTracingError('FL_OTEL_INVALID_OPTION', {
      option: extra.key,
      reason: `unknown option; ${unknownKeyHint(extra, OPTION_KEYS)}`,
    });
  if (options.tracerProvider !== undefined && typeof options.tracerProvider?.getTracer !== 'function')
    throw new OtelTracingError('FL_OTEL_INVALID_OPTION', {
      option: 'tracerProvider',
      reason: 'expected an OpenTelemetry TracerProvider',
    });
  if (options.propagateContext !== undefined && typeof options.propagateContext !== 'boolean')
    throw new OtelTracingError('FL_OTEL_INVALID_OPTION', { option: 'propagateContext', reason: 'expected a boolean' });
  if (options.propagate !== undefined && typeof options.propagate !== 'boolean')
    throw new OtelTracingError('FL_OTEL_INVALID_OPTION', {
      option: 'propagate',
      reason: `expected a boolean, got ${options.propagate === null ? 'null' : typeof options.propagate}`,
    });
  if (options.parentRuns !== undefined && options.parentRuns !== 'caller' && options.parentRuns !== 'none')
    throw new OtelTracingError('FL_OTEL_INVALID_OPTION', {
      option: 'parentRuns',
      reason: `expected 'caller' or 'none', got ${typeof options.parentRuns === 'string' ? JSON.stringify(options.parentRuns) : String(options.parentRuns)}`,
    });
  if (options.attributes !== undefined) checkAttributes(options.attributes);
  return definePlugin({
    name: '@flowlane/tracing-otel',
    version: PKG_VERSION,
    flowlane: CORE_RANGE,
    setup(api) {
      const provider = options.tracerProvider ?? trace.getTracerProvider();
      const tracer = provider.getTracer('@flowlane/tracing-otel', PKG_VERSION);
      // Each run's node executors (span attribute `flowlane.executor`) without describing its workflow: a description
      // kept for the workflow's lifetime is ≈ 0.5 KB of objects per node that every major GC traces. A core older
      // than api.runGraph: from the description.
      const executors =
        (api as Partial<typeof api>).runGraph === undefined
          ? (id: string) => executorsOfDescription(api.describeRun(id))
          : (id: string) => api.runGraph(id)?.executors();
      const runs = new RunTracer(tracer, executors, options.attributes ?? {});
      api.metrics.addExporter({ name: '@flowlane/tracing-otel', handle: (e) => runs.handle(e) });
      const propagator = new TracePropagator(tracer, runs, options.propagate !== false, options.parentRuns !== 'none');
      // A core older than api.propagation: spans only.
      (api as Partial<typeof api>).propagation?.add(propagator);
      if (options.propagateContext !== false)
        api.middleware.use((ctx, next) => {
          const span = runs.nodeSpan(ctx.executionId, ctx.nodeId);
          return span === undefined ? next() : context.with(trace.setSpan(context.active(), span), next);
        });
      return () => {
        propagator.endAll();
        runs.endAll();
      };
    },
  });
}

/**
 * `FL_OTEL_INVALID_OPTION` unless `attributes` is a plain object whose values are OpenTelemetry attribute values: a
 * string, a number, a boolean, or an array of one of those types (`null`/`undefined` items allowed, as in OTel).
 */
function checkAttributes(attributes: unknown): void {
  const bad = (option: string, reason: string) => new OtelTracingError('FL_OTEL_INVALID_OPTION', { option, reason });
  if (typeof attributes !== 'object' || attributes === null || Array.isArray(attributes))
    throw bad('attributes', `expected an object of attribute values, got ${describe(attributes)}`);
  const scalar = (v: unknown) => typeof v === 'string' || typeof v === 'boolean' || typeof v === 'number';
  for (const [key, v] of Object.entries(attributes)) {
    const option = `attributes.${key}`;
    if (v === undefined || scalar(v)) continue;
    if (Array.isArray(v)) {
      const items = (v as unknown[]).filter((x) => x !== null && x !== undefined);
      if (items.every(scalar) && new Set(items.map((x) => typeof x)).size <= 1) continue;
      throw bad(option, 'expected an array whose items are all strings, all numbers or all booleans');
    }
    throw bad(option, `expected a string, number, boolean or an array of one of those, got ${describe(v)}`);
  }
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : typeof v;
}
