import type {
  NodeCancelledEvent,
  NodeCompletedEvent,
  NodeFailedEvent,
  NodeFellBackEvent,
  NodeSkippedEvent,
  NodeStartedEvent,
  TriggeredBy,
  WorkflowCancelledEvent,
  WorkflowCompletedEvent,
  WorkflowFailedEvent,
  WorkflowStartedEvent,
} from '../contracts/events.js';
import type { SerializedError } from '../errors.js';

/**
 * The events of a run's life, made in one place (one shape per type, optional fields only when set, no spreads on
 * the per-node ones). Events of steps with a file of their own (retries, timeouts, cache hits, health checks,
 * rollbacks, artifacts, logs) are made there.
 */

/** The run an event belongs to. */
export interface EventSource {
  readonly executionId: string;
  readonly workflow: string;
}

export function workflowStarted(
  r: EventSource,
  timestamp: number,
  nodeCount: number,
  actor: string | undefined,
  triggeredBy: TriggeredBy | undefined,
  resumed: boolean,
): WorkflowStartedEvent {
  const e: { -readonly [K in keyof WorkflowStartedEvent]: WorkflowStartedEvent[K] } = {
    type: 'workflow.started',
    executionId: r.executionId,
    workflow: r.workflow,
    timestamp,
    nodeCount,
  };
  if (actor !== undefined) e.actor = actor;
  if (triggeredBy !== undefined) e.triggeredBy = triggeredBy;
  if (resumed) e.resumed = true;
  return e;
}

export function nodeStarted(
  r: EventSource,
  timestamp: number,
  nodeId: string,
  attempt: number,
  workerId: string | undefined,
): NodeStartedEvent {
  return workerId === undefined
    ? { type: 'node.started', executionId: r.executionId, workflow: r.workflow, timestamp, nodeId, attempt }
    : { type: 'node.started', executionId: r.executionId, workflow: r.workflow, timestamp, nodeId, attempt, workerId };
}

/** `node.completed`; `via` when a fallback's (`fallbackUsed`) or boundary's (`handledBy`) output completed it. */
export function nodeCompleted(
  r: EventSource,
  timestamp: number,
  nodeId: string,
  attempt: number,
  durationMs: number,
  via?: { readonly kind: 'fallback' | 'boundary'; readonly id: string },
): NodeCompletedEvent {
  const e: { -readonly [K in keyof NodeCompletedEvent]: NodeCompletedEvent[K] } = {
    type: 'node.completed',
    executionId: r.executionId,
    workflow: r.workflow,
    timestamp,
    nodeId,
    attempt,
    durationMs,
  };
  if (via !== undefined) {
    if (via.kind === 'fallback') e.fallbackUsed = via.id;
    else e.handledBy = via.id;
  }
  return e;
}

export function nodeSkipped(
  r: EventSource,
  timestamp: number,
  nodeId: string,
  reason: NodeSkippedEvent['reason'],
): NodeSkippedEvent {
  return { type: 'node.skipped', executionId: r.executionId, workflow: r.workflow, timestamp, nodeId, reason };
}

export function nodeCancelled(
  r: EventSource,
  timestamp: number,
  nodeId: string,
  attempt: number,
  durationMs: number,
  reason: string,
): NodeCancelledEvent {
  return {
    type: 'node.cancelled',
    executionId: r.executionId,
    workflow: r.workflow,
    timestamp,
    nodeId,
    attempt,
    durationMs,
    reason,
  };
}

/** `node.failed`; `handledBy` when an error boundary takes the failure, `continued` for `onError: 'continue'`. */
export function nodeFailed(
  r: EventSource,
  timestamp: number,
  nodeId: string,
  attempt: number,
  durationMs: number,
  error: SerializedError,
  extra?: { readonly handledBy: string } | { readonly continued: true },
): NodeFailedEvent {
  const e: NodeFailedEvent = {
    type: 'node.failed',
    executionId: r.executionId,
    workflow: r.workflow,
    timestamp,
    nodeId,
    attempt,
    durationMs,
    error,
  };
  return extra === undefined ? e : { ...e, ...extra };
}

export function nodeFellBack(
  r: EventSource,
  timestamp: number,
  nodeId: string,
  fallbackId: string,
  error: SerializedError,
): NodeFellBackEvent {
  return {
    type: 'node.fell-back',
    executionId: r.executionId,
    workflow: r.workflow,
    timestamp,
    nodeId,
    fallbackId,
    error,
  };
}

export function workflowCompleted(r: EventSource, timestamp: number, durationMs: number): WorkflowCompletedEvent {
  return { type: 'workflow.completed', executionId: r.executionId, workflow: r.workflow, timestamp, durationMs };
}

export function workflowCancelled(
  r: EventSource,
  timestamp: number,
  durationMs: number,
  reason: string,
): WorkflowCancelledEvent {
  return {
    type: 'workflow.cancelled',
    executionId: r.executionId,
    workflow: r.workflow,
    timestamp,
    durationMs,
    reason,
  };
}

export function workflowFailed(
  r: EventSource,
  timestamp: number,
  durationMs: number,
  nodeId: string | undefined,
  error: SerializedError,
): WorkflowFailedEvent {
  return nodeId === undefined
    ? { type: 'workflow.failed', executionId: r.executionId, workflow: r.workflow, timestamp, durationMs, error }
    : {
        type: 'workflow.failed',
        executionId: r.executionId,
        workflow: r.workflow,
        timestamp,
        durationMs,
        nodeId,
        error,
      };
}
