/* Internal: turns one engine's events into spans. */
import type { FlowEvent, SerializedError, WorkflowDescription } from '@flowlane/core';
import {
  type Attributes,
  type Context,
  context,
  type Link,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';

/**
 * Span attribute names this package sets (`flowlane.*`).
 *
 * @example
 * ```ts
 * import { SpanAttributes } from '@flowlane/tracing-otel';
 * console.log(SpanAttributes.NODE); // flowlane.node
 * ```
 */
export const Attr = {
  WORKFLOW: 'flowlane.workflow',
  EXECUTION_ID: 'flowlane.execution_id',
  PARENT_EXECUTION_ID: 'flowlane.parent_execution_id',
  NODE: 'flowlane.node',
  EXECUTOR: 'flowlane.executor',
  ATTEMPT: 'flowlane.attempt',
  WORKER: 'flowlane.worker_id',
  NODE_COUNT: 'flowlane.node_count',
  ACTOR: 'flowlane.actor',
  STATUS: 'flowlane.status',
  CACHE_HIT: 'flowlane.cache_hit',
  FALLBACK: 'flowlane.fallback_used',
  ERROR_CODE: 'flowlane.error.code',
  /** On a run span: the run continues from its execution log (`engine.resume`, `resume: 'auto'`). */
  RESUMED: 'flowlane.resumed',
  /**
   * On the link of a resumed run's span to the run span of the process that started the run (the log kept its
   * context): `'resumed_from'`.
   */
  LINK: 'flowlane.link',
  /** On a run span: what started it, for runs started by a trigger (the event name) or a schedule (`schedule`). */
  TRIGGERED_BY: 'flowlane.triggered_by',
} as const;

interface RunState {
  readonly span: Span;
  readonly executors: ReadonlyMap<string, string> | undefined;
  /** Open attempt spans by node id. */
  readonly nodes: Map<string, Span>;
}

/**
 * The executor of each node that names one, by node id, from a workflow description (`api.describeRun`): for a core
 * older than `api.runGraph`, which gives this map without describing the workflow.
 */
export function executorsOfDescription(
  description: WorkflowDescription | undefined,
): ReadonlyMap<string, string> | undefined {
  let executors: Map<string, string> | undefined;
  for (const n of description?.nodes ?? []) {
    const ex = executorOf(n.options);
    if (ex !== undefined) (executors ??= new Map()).set(n.id, ex);
  }
  return executors;
}

const executorOf = (options: Readonly<Record<string, unknown>>): string | undefined => {
  const ex = options.executor;
  if (typeof ex === 'string') return ex;
  // `executor: { name, target }`
  if (typeof ex === 'object' && ex !== null && typeof (ex as { name?: unknown }).name === 'string')
    return (ex as { name: string }).name;
  return undefined;
};

function recordError(span: Span, error: SerializedError): void {
  span.recordException({
    name: error.name ?? 'Error',
    message: error.message,
    ...(error.code === undefined ? {} : { code: error.code }),
  });
  span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
  if (error.code !== undefined) span.setAttribute(Attr.ERROR_CODE, error.code);
}

export class RunTracer {
  readonly #tracer: Tracer;
  /** The executor of run `id`'s nodes that name one other than `local`, by node id (read once, when the run starts). */
  readonly #executors: (id: string) => ReadonlyMap<string, string> | undefined;
  readonly #extra: Attributes;
  readonly #runs = new Map<string, RunState>();
  /**
   * The parent context (and links) of a top-level run about to start (set by the propagator's `runStarting`, read at
   * once).
   */
  readonly #origins = new Map<string, { readonly parent: Context; readonly links: Link[] | undefined }>();
  /** Run spans opened before their `workflow.started` (durable runs: their context goes into the log first). */
  readonly #opened = new Map<string, Span>();

  constructor(tracer: Tracer, executors: (id: string) => ReadonlyMap<string, string> | undefined, extra: Attributes) {
    this.#tracer = tracer;
    this.#executors = executors;
    this.#extra = extra;
  }

  /** The parent context of top-level run `executionId`, which emits `workflow.started` right after this call. */
  setOrigin(executionId: string, parent: Context, links?: Link[]): void {
    this.#origins.set(executionId, { parent, links });
  }

  /**
   * Opens top-level run `executionId`'s span now, at `at` (its `workflow.started` follows at once and completes it):
   * a durable run's span context is recorded in its log before the event is published.
   */
  open(executionId: string, workflow: string, at: number): Span {
    const origin = this.#origins.get(executionId);
    this.#origins.delete(executionId);
    const span = this.#tracer.startSpan(
      `workflow ${workflow}`,
      {
        kind: SpanKind.INTERNAL,
        startTime: at,
        attributes: { ...this.#extra, [Attr.WORKFLOW]: workflow, [Attr.EXECUTION_ID]: executionId },
        ...(origin?.links === undefined ? {} : { links: origin.links }),
      },
      origin?.parent ?? context.active(),
    );
    this.#opened.get(executionId)?.end(at);
    this.#opened.set(executionId, span);
    return span;
  }

  /** The open span of a node attempt (for context propagation into the node's code). */
  nodeSpan(executionId: string, nodeId: string): Span | undefined {
    return this.#runs.get(executionId)?.nodes.get(nodeId);
  }

  handle(e: FlowEvent): void {
    if (e.type === 'workflow.started') {
      this.#start(e);
      return;
    }
    const run = this.#runs.get(e.executionId);
    if (run === undefined) return;
    const t = e.timestamp;
    switch (e.type) {
      case 'node.started': {
        run.nodes.get(e.nodeId)?.end(t); // defensive: an attempt left open
        const ex = run.executors?.get(e.nodeId) ?? 'local';
        const span = this.#tracer.startSpan(
          `node ${e.nodeId}`,
          {
            kind: SpanKind.INTERNAL,
            startTime: t,
            attributes: {
              [Attr.WORKFLOW]: e.workflow,
              [Attr.EXECUTION_ID]: e.executionId,
              [Attr.NODE]: e.nodeId,
              [Attr.EXECUTOR]: ex,
              [Attr.ATTEMPT]: e.attempt,
              ...(e.workerId === undefined ? {} : { [Attr.WORKER]: e.workerId }),
            },
          },
          trace.setSpan(context.active(), run.span),
        );
        run.nodes.set(e.nodeId, span);
        return;
      }
      case 'node.retrying': {
        const span = run.nodes.get(e.nodeId);
        if (span !== undefined) {
          recordError(span, e.error);
          span.addEvent('flowlane.retry', { [Attr.ATTEMPT]: e.attempt, 'flowlane.retry.delay_ms': e.delayMs }, t);
          span.end(t);
          run.nodes.delete(e.nodeId);
        }
        run.span.addEvent(
          'flowlane.node.retrying',
          {
            [Attr.NODE]: e.nodeId,
            [Attr.ATTEMPT]: e.attempt,
            'flowlane.retry.delay_ms': e.delayMs,
            'exception.message': e.error.message,
          },
          t,
        );
        return;
      }
      case 'node.completed': {
        const span = run.nodes.get(e.nodeId);
        if (span === undefined) return;
        span.setAttribute(Attr.STATUS, 'success');
        // A node recovered by its fallback keeps the ERROR status of its own failure (see node.fell-back).
        if (e.fallbackUsed !== undefined) span.setAttribute(Attr.FALLBACK, e.fallbackUsed);
        else span.setStatus({ code: SpanStatusCode.OK });
        span.end(t);
        run.nodes.delete(e.nodeId);
        return;
      }
      case 'node.failed': {
        const span = run.nodes.get(e.nodeId);
        if (span === undefined) return;
        recordError(span, e.error);
        span.setAttribute(Attr.STATUS, 'failed');
        span.end(t);
        run.nodes.delete(e.nodeId);
        return;
      }
      case 'node.cancelled': {
        const span = run.nodes.get(e.nodeId);
        if (span === undefined) return;
        span.setAttribute(Attr.STATUS, 'cancelled');
        span.setStatus({ code: SpanStatusCode.ERROR, message: `cancelled: ${e.reason}` });
        span.end(t);
        run.nodes.delete(e.nodeId);
        return;
      }
      case 'node.timed-out':
        run.nodes
          .get(e.nodeId)
          ?.addEvent('flowlane.timeout', { 'flowlane.timeout_ms': e.timeoutMs, [Attr.ATTEMPT]: e.attempt }, t);
        return;
      case 'node.cache-hit':
        run.nodes.get(e.nodeId)?.setAttribute(Attr.CACHE_HIT, true);
        return;
      case 'node.fell-back':
        {
          const span = run.nodes.get(e.nodeId);
          if (span !== undefined) recordError(span, e.error);
        }
        (run.nodes.get(e.nodeId) ?? run.span).addEvent(
          'flowlane.fallback',
          { [Attr.NODE]: e.nodeId, 'flowlane.fallback_id': e.fallbackId, 'exception.message': e.error.message },
          t,
        );
        return;
      case 'node.skipped':
        run.span.addEvent('flowlane.node.skipped', { [Attr.NODE]: e.nodeId, 'flowlane.reason': e.reason }, t);
        return;
      case 'node.log':
        run.nodes.get(e.nodeId)?.addEvent('log', { 'log.severity': e.level, 'log.message': e.message }, t);
        return;
      case 'workflow.completed':
      case 'workflow.failed':
      case 'workflow.cancelled': {
        for (const [, span] of run.nodes) span.end(t);
        const status =
          e.type === 'workflow.completed' ? 'success' : e.type === 'workflow.failed' ? 'failed' : 'cancelled';
        run.span.setAttribute(Attr.STATUS, status);
        if (e.type === 'workflow.failed') recordError(run.span, e.error);
        else if (e.type === 'workflow.cancelled')
          run.span.setStatus({ code: SpanStatusCode.ERROR, message: `cancelled: ${e.reason}` });
        else run.span.setStatus({ code: SpanStatusCode.OK });
        run.span.end(t);
        this.#runs.delete(e.executionId);
        return;
      }
      default:
        return;
    }
  }

  #start(e: Extract<FlowEvent, { type: 'workflow.started' }>): void {
    // A top-level run: the context it was asked for in (runStarting, just before this event); with a core older than
    // `runStarting`, the context active now.
    const origin = this.#origins.get(e.executionId);
    let parent = origin?.parent ?? context.active();
    this.#origins.delete(e.executionId);
    if (e.parentExecutionId !== undefined) {
      // A subworkflow run nests under its node's attempt span (id `<parent>/<node>`), else under the parent run.
      const p = this.#runs.get(e.parentExecutionId);
      const nodeId = e.executionId.startsWith(`${e.parentExecutionId}/`)
        ? e.executionId.slice(e.parentExecutionId.length + 1)
        : undefined;
      const span = (nodeId === undefined ? undefined : p?.nodes.get(nodeId)) ?? p?.span;
      if (span !== undefined) parent = trace.setSpan(parent, span);
    }
    const executors = this.#executors(e.executionId);
    const attributes: Attributes = {
      ...this.#extra,
      [Attr.WORKFLOW]: e.workflow,
      [Attr.EXECUTION_ID]: e.executionId,
      [Attr.NODE_COUNT]: e.nodeCount,
      ...(e.actor === undefined ? {} : { [Attr.ACTOR]: e.actor }),
      ...(e.parentExecutionId === undefined ? {} : { [Attr.PARENT_EXECUTION_ID]: e.parentExecutionId }),
      ...(e.resumed === true ? { [Attr.RESUMED]: true } : {}),
      ...(e.triggeredBy === undefined ? {} : { [Attr.TRIGGERED_BY]: e.triggeredBy.event }),
    };
    let span = this.#opened.get(e.executionId);
    if (span !== undefined) {
      this.#opened.delete(e.executionId);
      span.setAttributes(attributes);
    } else
      span = this.#tracer.startSpan(
        `workflow ${e.workflow}`,
        {
          kind: SpanKind.INTERNAL,
          startTime: e.timestamp,
          attributes,
          ...(origin?.links === undefined ? {} : { links: origin.links }),
        },
        parent,
      );
    this.#runs.set(e.executionId, { span, executors, nodes: new Map() });
  }

  /** Ends every open span (engine closing). */
  endAll(): void {
    for (const run of this.#runs.values()) {
      for (const s of run.nodes.values()) s.end();
      run.span.end();
    }
    this.#runs.clear();
    this.#origins.clear();
    for (const span of this.#opened.values()) span.end();
    this.#opened.clear();
  }
}
