/* Internal: event predicates shared by the rules. */
import type {
  FlowEvent,
  WorkflowCancelledEvent,
  WorkflowCompletedEvent,
  WorkflowFailedEvent,
  WorkflowStartedEvent,
} from '@flowlane/core';

export type RunEnd = WorkflowCompletedEvent | WorkflowFailedEvent | WorkflowCancelledEvent;

export const isRunEnd = (e: FlowEvent): e is RunEnd =>
  e.type === 'workflow.completed' || e.type === 'workflow.failed' || e.type === 'workflow.cancelled';

/** A top-level run starting (subworkflow runs are part of their parent's run). */
export const isRunStart =
  (workflow: string | undefined) =>
  (e: FlowEvent): e is WorkflowStartedEvent =>
    e.type === 'workflow.started' &&
    e.parentExecutionId === undefined &&
    (workflow === undefined || e.workflow === workflow);
