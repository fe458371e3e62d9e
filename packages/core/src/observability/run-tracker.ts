import type { FlowEvent, NodeFailedEvent, NodeStatus, RunStatus } from '../contracts/events.js';
import type { SeriesIndex, WorkflowEntry } from './series-index.js';

/** The final status of a node as metrics report it: `skipped` nodes have their own hook. */
export type NodeOutcome = Exclude<NodeStatus, 'skipped'>;

/**
 * The outcome of a `node.failed` event: `timeout` for `FL_TIMEOUT`, `cancelled` for `FL_CANCELLED`, else `failed`.
 *
 * @example
 * ```ts
 * import { failedOutcome } from '@flowlane/core';
 * failedOutcome({ error: { code: 'FL_TIMEOUT' } } as never); // 'timeout'
 * ```
 */
export function failedOutcome(e: Pick<NodeFailedEvent, 'error'>): NodeOutcome {
  const code = e.error.code;
  return code === 'FL_TIMEOUT' ? 'timeout' : code === 'FL_CANCELLED' ? 'cancelled' : 'failed';
}

/**
 * What a metrics exporter does with each fact {@link createRunTracker} derives from the event stream. `W` and `N` are
 * the exporter's workflow and node slots from its {@link SeriesIndex}. Every hook is synchronous and called on the
 * engine's hot path: update counters, don't format or send.
 */
export interface RunTrackerHooks<W, N> {
  /** A run of the workflow started (one more run in flight). */
  runStarted(workflow: W): void;
  /**
   * A run ended with `status` after `durationMs`. `nodesInFlight` nodes of it were still counted as running (a failed
   * or cancelled run's nodes end without an event of their own): take them off the workflow's in-flight count. Zero
   * and no `runStarted` before when the tracker never saw the run start (it started before the exporter was added).
   */
  runEnded(workflow: W, status: RunStatus, durationMs: number, nodesInFlight: number, tracked: boolean): void;
  /** A node attempt of a tracked run started (one more node in flight). */
  attemptStarted(workflow: W): void;
  /** A node attempt of a tracked run ended (completed, failed or retried): one less node in flight. */
  attemptEnded(workflow: W): void;
  /**
   * A node finished with its final status. Its failure handled by a boundary (`node.completed` with `handledBy`)
   * counts once, as the `node.failed` before it.
   */
  nodeEnded(node: N, status: NodeOutcome, durationMs: number): void;
  /** A node was skipped. */
  nodeSkipped(node: N): void;
  /** A node attempt failed and will be retried. */
  nodeRetried(node: N): void;
  /** A node's output came from the cache. */
  cacheHit(node: N): void;
}

/** Returned by {@link createRunTracker}. */
export interface RunTracker {
  /** Feed one event (exporters call it from `MetricsExporter.handle`). Synchronous; other event types are ignored. */
  handle(e: FlowEvent): void;
  /** Runs started and not yet ended. */
  readonly active: number;
}

interface RunState<W, N> {
  readonly workflow: WorkflowEntry<W, N>;
  nodesInFlight: number;
}

/**
 * For exporter authors: the event handling every metrics exporter needs — which run an event belongs to, nodes in
 * flight per run (so a failed or cancelled run's unfinished nodes are taken off the gauge), the final status of a node
 * (`node.failed` → `failed` / `timeout` / `cancelled`; a boundary-handled failure counted once), slots looked up in a
 * bounded {@link SeriesIndex} — turned into a few hooks. `@flowlane/metrics-prometheus` and
 * `@flowlane/metrics-datadog` are built on it; the hooks only update the exporter's own counters.
 *
 * @example
 * ```ts
 * import { createRunTracker, createSeriesIndex } from '@flowlane/core';
 * const counts = new Map<string, number>();
 * const index = createSeriesIndex({ maxWorkflows: 50, maxNodeIds: 100 }, (wf) => wf, (wf, node) => `${wf}/${node}`);
 * const tracker = createRunTracker(index, {
 *   runStarted() {}, attemptStarted() {}, attemptEnded() {}, nodeSkipped() {}, nodeRetried() {}, cacheHit() {},
 *   runEnded: (wf, status) => counts.set(`${wf} ${status}`, (counts.get(`${wf} ${status}`) ?? 0) + 1),
 *   nodeEnded: (node, status) => counts.set(`${node} ${status}`, (counts.get(`${node} ${status}`) ?? 0) + 1),
 * });
 * // engine.events$.subscribe((e) => tracker.handle(e)), or from a MetricsExporter's handle(e)
 * ```
 */
export function createRunTracker<W, N>(index: SeriesIndex<W, N>, hooks: RunTrackerHooks<W, N>): RunTracker {
  const active = new Map<string, RunState<W, N>>();
  const workflowOf = (executionId: string, workflow: string): WorkflowEntry<W, N> =>
    active.get(executionId)?.workflow ?? index.workflow(workflow);
  /** One node attempt of a run ended: one less node in flight. Returns the run's workflow entry. */
  const attemptEnded = (executionId: string, workflow: string): WorkflowEntry<W, N> => {
    const run = active.get(executionId);
    if (run === undefined) return index.workflow(workflow);
    if (run.nodesInFlight > 0) {
      run.nodesInFlight--;
      hooks.attemptEnded(run.workflow.slot);
    }
    return run.workflow;
  };
  const runEnded = (executionId: string, workflow: string, status: RunStatus, durationMs: number): void => {
    const run = active.get(executionId);
    if (run === undefined) {
      hooks.runEnded(index.workflow(workflow).slot, status, durationMs, 0, false);
      return;
    }
    active.delete(executionId);
    hooks.runEnded(run.workflow.slot, status, durationMs, run.nodesInFlight, true);
  };
  return {
    get active() {
      return active.size;
    },
    handle(e: FlowEvent): void {
      switch (e.type) {
        case 'node.started': {
          const run = active.get(e.executionId);
          if (run !== undefined) {
            run.nodesInFlight++;
            hooks.attemptStarted(run.workflow.slot);
          }
          return;
        }
        case 'node.completed':
          // With `handledBy`, the node's failure was already counted (and its attempt ended) by its `node.failed`;
          // the boundary that handled it counts as a node of its own.
          if (e.handledBy === undefined)
            hooks.nodeEnded(index.node(attemptEnded(e.executionId, e.workflow), e.nodeId), 'success', e.durationMs);
          return;
        case 'node.failed':
          hooks.nodeEnded(
            index.node(attemptEnded(e.executionId, e.workflow), e.nodeId),
            failedOutcome(e),
            e.durationMs,
          );
          return;
        case 'node.retrying':
          hooks.nodeRetried(index.node(attemptEnded(e.executionId, e.workflow), e.nodeId));
          return;
        case 'node.skipped':
          hooks.nodeSkipped(index.node(workflowOf(e.executionId, e.workflow), e.nodeId));
          return;
        case 'node.cache-hit':
          hooks.cacheHit(index.node(workflowOf(e.executionId, e.workflow), e.nodeId));
          return;
        case 'workflow.started': {
          const workflow = index.workflow(e.workflow);
          active.set(e.executionId, { workflow, nodesInFlight: 0 });
          hooks.runStarted(workflow.slot);
          return;
        }
        case 'workflow.completed':
          runEnded(e.executionId, e.workflow, 'success', e.durationMs);
          return;
        case 'workflow.failed':
          runEnded(e.executionId, e.workflow, 'failed', e.durationMs);
          return;
        case 'workflow.cancelled':
          runEnded(e.executionId, e.workflow, 'cancelled', e.durationMs);
          return;
        default:
          return;
      }
    },
  };
}
