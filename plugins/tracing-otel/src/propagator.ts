/* Internal: the plugin's core context propagator (commands' TRACEPARENT, remote workers' parent span). */
import type {
  ContextPropagator,
  PropagatedOutcome,
  PropagationCarrier,
  PropagationScope,
  RunOrigin,
  RunPropagationScope,
} from '@flowlane/core';
import {
  type Context,
  context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  isSpanContextValid,
  type Link,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapGetter,
  type TextMapSetter,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { Attr, type RunTracer } from './run-tracer.js';

/** What this module needs of a propagator (the global `propagation` API or a `TextMapPropagator`). */
interface Propagator {
  inject<C>(ctx: Context, carrier: C, setter?: TextMapSetter<C>): void;
  extract<C>(ctx: Context, carrier: C, getter?: TextMapGetter<C>): Context;
}

const w3c = new W3CTraceContextPropagator();

/**
 * The propagator the user's SDK registered globally (`propagation.setGlobalPropagator`, done by `NodeSDK` and
 * `provider.register()`), or W3C trace context when none is registered (the global no-op has no fields).
 */
export function activePropagator(): Propagator {
  return propagation.fields().length > 0 ? propagation : w3c;
}

/** A carrier field as an environment variable name (OpenTelemetry's env carrier: upper case, `_` for the rest). */
export const envName = (field: string): string => field.toUpperCase().replace(/[^A-Z0-9_]/g, '_');

/**
 * A run continued from its log: a link to the run span of the process that started it (the context its log kept).
 * Not a parent: that span never ended (its process died, or it ended long ago) and does not enclose the resumed run —
 * OpenTelemetry links a following operation to the one it continues (see the README, "Resumed runs").
 */
function resumedFrom(origin: RunOrigin): Link[] | undefined {
  if (origin.started === undefined) return undefined;
  const sc = trace.getSpanContext(activePropagator().extract(ROOT_CONTEXT, origin.started, defaultTextMapGetter));
  return sc === undefined || !isSpanContextValid(sc)
    ? undefined
    : [{ context: sc, attributes: { [Attr.LINK]: 'resumed_from' } }];
}

const keyOf = (s: PropagationScope) => `${s.executionId}\u0000${s.nodeId}\u0000${s.attempt}`;

export class TracePropagator implements ContextPropagator {
  readonly name = '@flowlane/tracing-otel';
  readonly #tracer: Tracer;
  readonly #runs: RunTracer;
  readonly #outbound: boolean;
  readonly #parentRuns: boolean;
  /** Open spans of remote attempts this process runs as a worker. */
  readonly #remote = new Map<string, Span>();

  /**
   * `outbound: false` (option `propagate: false`): no carrier, no env, no context with enqueued runs; incoming
   * carriers are still honoured. `parentRuns: false` (option `parentRuns: 'none'`): every top-level run is a new trace.
   */
  constructor(tracer: Tracer, runs: RunTracer, outbound: boolean, parentRuns: boolean) {
    this.#tracer = tracer;
    this.#runs = runs;
    this.#outbound = outbound;
    this.#parentRuns = parentRuns;
  }

  /** `engine.run` / `engine.resume` / a trigger's event: the caller's context (its active span). */
  captureRun(): unknown {
    return this.#parentRuns ? context.active() : undefined;
  }

  /** `engine.enqueue`: the caller's trace context as carrier fields, sent with the queued run. */
  runCarrier(): PropagationCarrier | undefined {
    if (!this.#parentRuns || !this.#outbound) return undefined;
    const out: Record<string, string> = {};
    activePropagator().inject(context.active(), out, defaultTextMapSetter);
    return Object.keys(out).length === 0 ? undefined : out;
  }

  /**
   * A top-level run starts: its span's parent is the context it was asked for in, or the enqueuer's (a served run),
   * else none (a schedule, a trigger on a run's end, `resume: 'auto'`, `parentRuns: 'none'`) — never whatever context
   * happens to be active when a waiting run is admitted.
   */
  runStarting(run: RunPropagationScope, origin: RunOrigin): void {
    let parent: Context = ROOT_CONTEXT;
    if (this.#parentRuns) {
      if (origin.captured !== undefined) parent = origin.captured as Context;
      else if (origin.carrier !== undefined)
        parent = activePropagator().extract(ROOT_CONTEXT, origin.carrier, defaultTextMapGetter);
    }
    this.#runs.setOrigin(run.executionId, parent, resumedFrom(origin));
  }

  /**
   * A durable run starts: its run span, opened now, is the context recorded in its log (a run resumed later, here or
   * in another process after a crash, links to it). Nothing with `propagate: false`.
   */
  runContext(run: RunPropagationScope, at: number): PropagationCarrier | undefined {
    if (!this.#outbound) return undefined;
    const span = this.#runs.open(run.executionId, run.workflow, at);
    const out: Record<string, string> = {};
    activePropagator().inject(trace.setSpan(ROOT_CONTEXT, span), out, defaultTextMapSetter);
    return Object.keys(out).length === 0 ? undefined : out;
  }

  #fields(scope: PropagationScope): Record<string, string> | undefined {
    if (!this.#outbound) return undefined;
    const span = this.#runs.nodeSpan(scope.executionId, scope.nodeId) ?? this.#remote.get(keyOf(scope));
    if (span === undefined) return undefined;
    const out: Record<string, string> = {};
    activePropagator().inject(trace.setSpan(context.active(), span), out, defaultTextMapSetter);
    return Object.keys(out).length === 0 ? undefined : out;
  }

  carrier(scope: PropagationScope): PropagationCarrier | undefined {
    return this.#fields(scope);
  }

  env(scope: PropagationScope): Readonly<Record<string, string>> | undefined {
    const fields = this.#fields(scope);
    if (fields === undefined) return undefined;
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(fields)) env[envName(k)] = v;
    return env;
  }

  async runRemote(
    scope: PropagationScope,
    carrier: PropagationCarrier,
    run: () => Promise<PropagatedOutcome>,
  ): Promise<PropagatedOutcome> {
    const parent = activePropagator().extract(context.active(), carrier, defaultTextMapGetter);
    const span = this.#tracer.startSpan(
      `worker node ${scope.nodeId}`,
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          [Attr.WORKFLOW]: scope.workflow,
          [Attr.EXECUTION_ID]: scope.executionId,
          [Attr.NODE]: scope.nodeId,
          [Attr.ATTEMPT]: scope.attempt,
          ...(scope.workerId === undefined ? {} : { [Attr.WORKER]: scope.workerId }),
        },
      },
      parent,
    );
    const key = keyOf(scope);
    this.#remote.set(key, span);
    try {
      const out = await context.with(trace.setSpan(parent, span), run);
      if (out.ok) {
        span.setAttribute(Attr.STATUS, 'success');
        span.setStatus({ code: SpanStatusCode.OK });
      } else {
        span.recordException({ name: out.error.name ?? 'Error', message: out.error.message });
        span.setAttribute(Attr.STATUS, 'failed');
        if (out.error.code !== undefined) span.setAttribute(Attr.ERROR_CODE, out.error.code);
        span.setStatus({ code: SpanStatusCode.ERROR, message: out.error.message });
      }
      return out;
    } finally {
      this.#remote.delete(key);
      span.end();
    }
  }

  /** Ends the spans of remote attempts still running (engine closing). */
  endAll(): void {
    for (const span of this.#remote.values()) span.end();
    this.#remote.clear();
  }
}
