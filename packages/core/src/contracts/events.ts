import type { SerializedError } from '../errors.js';

/** Fields every event carries. */
export interface EventBase {
  readonly executionId: string;
  readonly workflow: string;
  /** Clock time (ms since epoch with the default clock). */
  readonly timestamp: number;
  /** Set on events of a subworkflow run, re-published on its parent's stream. */
  readonly parentExecutionId?: string | undefined;
}

/** Final status of a run. */
export type RunStatus = 'success' | 'failed' | 'cancelled';
/** Final status of a node. */
export type NodeStatus = 'success' | 'failed' | 'skipped' | 'timeout' | 'cancelled';

/** What started a run: a trigger (an event, or the end of another run) or a schedule. */
export interface TriggeredBy {
  /** The event name: a custom event, `workflow.completed`, `workflow.failed`, or `schedule`. */
  readonly event: string;
  /** The run that emitted the event or finished (absent for `engine.emit` and schedules). */
  readonly executionId?: string | undefined;
  /** Schedules: the schedule's id. */
  readonly schedule?: string | undefined;
  /** Schedules: the occurrence this run is for (clock time, ms). */
  readonly scheduledAt?: number | undefined;
}
export interface WorkflowStartedEvent extends EventBase {
  readonly type: 'workflow.started';
  readonly nodeCount: number;
  readonly actor?: string | undefined;
  /** Set on runs started by a trigger or a schedule. */
  readonly triggeredBy?: TriggeredBy | undefined;
  /** True when the run continues from its execution log (`engine.resume`, `resume: 'auto'`): it started before. */
  readonly resumed?: true | undefined;
}
export interface WorkflowCompletedEvent extends EventBase {
  readonly type: 'workflow.completed';
  readonly durationMs: number;
}
export interface WorkflowFailedEvent extends EventBase {
  readonly type: 'workflow.failed';
  readonly durationMs: number;
  readonly nodeId?: string | undefined;
  readonly error: SerializedError;
}
export interface WorkflowCancelledEvent extends EventBase {
  readonly type: 'workflow.cancelled';
  readonly durationMs: number;
  readonly reason: string;
}
export interface NodeStartedEvent extends EventBase {
  readonly type: 'node.started';
  readonly nodeId: string;
  readonly attempt: number;
  readonly workerId?: string | undefined;
}
export interface NodeCompletedEvent extends EventBase {
  readonly type: 'node.completed';
  readonly nodeId: string;
  readonly attempt: number;
  readonly durationMs: number;
  readonly fallbackUsed?: string | undefined;
  readonly handledBy?: string | undefined;
}
export interface NodeFailedEvent extends EventBase {
  readonly type: 'node.failed';
  readonly nodeId: string;
  readonly attempt: number;
  readonly durationMs: number;
  readonly error: SerializedError;
  /** The error boundary that will handle this failure, if any. */
  readonly handledBy?: string | undefined;
  /** True when `onError: 'continue'` lets the run go on. */
  readonly continued?: boolean | undefined;
}
/** A node that was running when its run failed or was cancelled (its `ctx.signal` was aborted). */
export interface NodeCancelledEvent extends EventBase {
  readonly type: 'node.cancelled';
  readonly nodeId: string;
  readonly attempt: number;
  readonly durationMs: number;
  readonly reason: string;
}
export interface NodeRetryingEvent extends EventBase {
  readonly type: 'node.retrying';
  readonly nodeId: string;
  /** The attempt that failed. */
  readonly attempt: number;
  readonly delayMs: number;
  readonly error: SerializedError;
}
export interface NodeSkippedEvent extends EventBase {
  readonly type: 'node.skipped';
  readonly nodeId: string;
  readonly reason: 'condition' | 'dependency-skipped' | 'branch';
}
export interface NodeTimedOutEvent extends EventBase {
  readonly type: 'node.timed-out';
  readonly nodeId: string;
  readonly attempt: number;
  readonly timeoutMs: number;
}
export interface NodeFellBackEvent extends EventBase {
  readonly type: 'node.fell-back';
  readonly nodeId: string;
  readonly fallbackId: string;
  readonly error: SerializedError;
}
export interface NodeCacheHitEvent extends EventBase {
  readonly type: 'node.cache-hit';
  readonly nodeId: string;
  /** True when this run joined an execution already in flight for the same key. */
  readonly shared: boolean;
}
export interface NodeLogEvent extends EventBase {
  readonly type: 'node.log';
  readonly nodeId: string;
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly message: string;
  readonly fields?: Readonly<Record<string, unknown>> | undefined;
}
/** A completed node was rolled back because its run failed; `error` when the rollback itself failed. */
export interface NodeRolledBackEvent extends EventBase {
  readonly type: 'node.rolled-back';
  readonly nodeId: string;
  readonly durationMs?: number | undefined;
  readonly error?: SerializedError | undefined;
}
/** One attempt of a node's `healthCheck` finished (passed, or failed with `error`). */
export interface NodeHealthCheckedEvent extends EventBase {
  readonly type: 'node.health-checked';
  readonly nodeId: string;
  /** 1-based attempt of the health check. */
  readonly attempt: number;
  /** The `retries` of the health check: attempts allowed in all. */
  readonly maxAttempts: number;
  readonly passed: boolean;
  readonly durationMs: number;
  readonly error?: SerializedError | undefined;
}
/** An artifact was copied from a node's executor into the run's staging area. */
export interface ArtifactCollectedEvent extends EventBase {
  readonly type: 'artifact.collected';
  readonly nodeId: string;
  readonly name: string;
  readonly from: string;
  readonly bytes: number;
  readonly files: number;
  readonly sha256?: string | undefined;
}
/** An artifact was copied from the run's staging area to a node's executor. */
export interface ArtifactDeliveredEvent extends EventBase {
  readonly type: 'artifact.delivered';
  readonly nodeId: string;
  readonly name: string;
  readonly to: string;
  readonly bytes: number;
  readonly files: number;
}
/** A user event from `ctx.emitEvent(name, payload)`. */
export interface CustomEvent<P = unknown> extends EventBase {
  readonly type: 'custom';
  readonly name: string;
  readonly nodeId?: string | undefined;
  readonly payload: P;
}

/** Every event a run emits: one discriminated union on `type`. */
export type FlowEvent =
  | WorkflowStartedEvent
  | WorkflowCompletedEvent
  | WorkflowFailedEvent
  | WorkflowCancelledEvent
  | NodeStartedEvent
  | NodeCompletedEvent
  | NodeFailedEvent
  | NodeCancelledEvent
  | NodeRetryingEvent
  | NodeSkippedEvent
  | NodeTimedOutEvent
  | NodeFellBackEvent
  | NodeCacheHitEvent
  | NodeLogEvent
  | NodeRolledBackEvent
  | NodeHealthCheckedEvent
  | ArtifactCollectedEvent
  | ArtifactDeliveredEvent
  | CustomEvent;

/**
 * A worker left its scheduler's rotation (failed health check, or `markDown`). Published by schedulers on
 * `Scheduler.events$`, and by the engine on `engine.systemEvents$` (with `scheduler` set).
 */
export interface WorkerDownEvent {
  readonly type: 'worker.down';
  readonly workerId: string;
  readonly reason: string;
  /** Clock time. */
  readonly timestamp: number;
  /** Name of the scheduler that owns the worker (set by the engine when it republishes the event). */
  readonly scheduler?: string | undefined;
}

/** A worker rejoined its scheduler's rotation. */
export interface WorkerUpEvent {
  readonly type: 'worker.up';
  readonly workerId: string;
  /** Clock time. */
  readonly timestamp: number;
  /** Name of the scheduler that owns the worker (set by the engine when it republishes the event). */
  readonly scheduler?: string | undefined;
}

/** Resource pools reclaimed the resources of a node that held them longer than the pools' `leaseExpiry`. */
export interface ResourceExpiredEvent {
  readonly type: 'resource.expired';
  readonly executionId: string;
  readonly nodeId: string;
  /** Amounts reclaimed, per resource, in natural units. */
  readonly amounts: Readonly<Record<string, number>>;
  readonly heldMs: number;
  /** Clock time. */
  readonly timestamp: number;
  /** Name of the scheduler that owns the pools (set by the engine when it republishes the event). */
  readonly scheduler?: string | undefined;
}

/**
 * Events about the engine's environment rather than one run step, published by the installed scheduler
 * (`Scheduler.events$`): worker health and resource-pool expiry. On `engine.systemEvents$`,
 * `PluginApi.systemEvents$` and `MetricsExporter.handleSystem`.
 */
export type SystemEvent = WorkerDownEvent | WorkerUpEvent | ResourceExpiredEvent;

/** Every system event type. */
export const SYSTEM_EVENT_TYPES: readonly SystemEvent['type'][] = ['worker.down', 'worker.up', 'resource.expired'];

/** The `type` of any {@link FlowEvent}. */
export type FlowEventType = FlowEvent['type'];

/** The event of a given type. */
export type FlowEventOf<T extends FlowEventType> = Extract<FlowEvent, { type: T }>;

/** Every event type, for iteration and validation. */
export const FLOW_EVENT_TYPES: readonly FlowEventType[] = [
  'workflow.started',
  'workflow.completed',
  'workflow.failed',
  'workflow.cancelled',
  'node.started',
  'node.completed',
  'node.failed',
  'node.cancelled',
  'node.retrying',
  'node.skipped',
  'node.timed-out',
  'node.fell-back',
  'node.cache-hit',
  'node.log',
  'node.rolled-back',
  'node.health-checked',
  'artifact.collected',
  'artifact.delivered',
  'custom',
];
