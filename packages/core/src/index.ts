/* Builder */

export type { GraphSignature } from './builder/graph-hash.js';
export { diffGraphs, graphSignature } from './builder/graph-hash.js';
export type { InferOutput, StandardSchemaV1 } from './builder/standard-schema.js';
export type {
  AuditInput,
  BoundaryOptions,
  CacheOptions,
  ErrorMatcher,
  ExecFn,
  ExecutorSelector,
  HealthCheckOptions,
  NodeContext,
  NodeDescription,
  NodeFn,
  NodeKind,
  NodeOptions,
  NodeReturn,
  RetryPolicy,
  RollbackCommand,
  RollbackOptions,
  SettledItem,
  WorkflowDescription,
} from './builder/types.js';
export type {
  BranchOptions,
  FlowlaneTypeError,
  ForEachOptions,
  ParallelOptions,
  WorkflowOptions,
} from './builder/workflow-builder.js';
export { WorkflowBuilder, workflow } from './builder/workflow-builder.js';
export { composeMiddleware } from './compile/compose-middleware.js';
/* Operators (for plugin authors composing their own pipelines) */
export { delayFor, isRetryable, matchesError, withRetry } from './compile/with-retry.js';
export { withTimeout } from './compile/with-timeout.js';
export type {
  CustomEvent,
  EventBase,
  FlowEvent,
  FlowEventOf,
  FlowEventType,
  NodeCacheHitEvent,
  NodeCancelledEvent,
  NodeCompletedEvent,
  NodeFailedEvent,
  NodeFellBackEvent,
  NodeHealthCheckedEvent,
  NodeLogEvent,
  NodeRetryingEvent,
  NodeRolledBackEvent,
  NodeSkippedEvent,
  NodeStartedEvent,
  NodeStatus,
  NodeTimedOutEvent,
  ResourceExpiredEvent,
  RunStatus,
  SystemEvent,
  TriggeredBy,
  WorkerDownEvent,
  WorkerUpEvent,
  WorkflowCancelledEvent,
  WorkflowCompletedEvent,
  WorkflowFailedEvent,
  WorkflowStartedEvent,
} from './contracts/events.js';
/* Events */
export { FLOW_EVENT_TYPES, SYSTEM_EVENT_TYPES } from './contracts/events.js';
export type {
  FlowCancelOn,
  FlowConcurrencyOptions,
  FlowControlBackend,
  FlowDebounceOptions,
  FlowFairness,
  FlowInput,
  FlowKeyContext,
  FlowKeyFn,
  FlowRateLimitOptions,
  RateDecision,
  WorkflowFlowOptions,
} from './contracts/flow-control.js';
export type { NodeRecord, RedactOptions, Run, RunOptions, RunResult } from './contracts/run-types.js';
/* Built-in defaults */
export { createDefaultPermissionPolicy } from './defaults/default-permission-policy.js';
export { createEnvSecretsProvider, secretEnvName } from './defaults/env-secrets-provider.js';
export { createFifoScheduler } from './defaults/fifo-scheduler.js';
export type { LocalExecutorOptions } from './defaults/local-executor.js';
export { createLocalExecutor } from './defaults/local-executor.js';
export type { MemoryAuditSink } from './defaults/memory-audit-sink.js';
export { createMemoryAuditSink } from './defaults/memory-audit-sink.js';
export type { MemoryCacheStoreOptions } from './defaults/memory-cache-store.js';
export { createMemoryCacheStore } from './defaults/memory-cache-store.js';
export type { MemoryExecutionStoreOptions } from './defaults/memory-execution-store.js';
export { createMemoryExecutionStore } from './defaults/memory-execution-store.js';
export { createMemoryStateStore } from './defaults/memory-state-store.js';
export type { DurabilityOptions } from './engine/durability.js';
export type { EngineOptions } from './engine/engine.js';
/* Engine and runs */
export { createEngine, Engine } from './engine/engine.js';
export { createMemoryFlowControlBackend } from './engine/flow-control/memory-backend.js';
export { describeLoggedRun, recordToEvent } from './engine/logged-run.js';
export type { RemoteNodeOutcome, RemoteNodeRequest } from './engine/node-runner.js';
export { runNodeOnWorker } from './engine/node-runner.js';
export type { ReplayedNode, ReplayState } from './engine/replay.js';
export { replay } from './engine/replay.js';
export type { RunsApi } from './engine/runs-api.js';
/* Triggers and schedules */
export type { ScheduleHandle, ScheduleOptions } from './engine/schedules.js';
export type { LifecycleEventName, TriggerEvent, TriggerHandle, TriggerOptions } from './engine/triggers.js';
export type { DefinitionProblem, ErrorCode, ErrorDetails, SerializedError } from './errors.js';
/* Errors */
export {
  ErrorCodes,
  errorCodeOf,
  FlowlaneError,
  isFlowlaneError,
  serializeError,
  WorkflowDefinitionError,
} from './errors.js';
/* Executor building blocks */
export { copyCancelled } from './executor/copy-cancelled.js';
export type { CommandRun } from './executor/create-command-run.js';
export { commandLabel, createCommandRun } from './executor/create-command-run.js';
export type { NodeOutcome, RunTracker, RunTrackerHooks } from './observability/run-tracker.js';
export { createRunTracker, failedOutcome } from './observability/run-tracker.js';
export type { SeriesIndex, SeriesLimits, WorkflowEntry } from './observability/series-index.js';
/* Exporter building blocks */
export { createSeriesIndex, OVERFLOW_LABEL } from './observability/series-index.js';
export { allKeys } from './options/all-keys.js';
/* Option checks (for plugin factories: reject unknown keys with "did you mean …?") */
export type { UnknownKey } from './options/unknown-keys.js';
export { suggestKey, unknownKeyHint, unknownKeys } from './options/unknown-keys.js';
export type {
  CustomRecord,
  ExecutionFence,
  ExecutionPage,
  ExecutionQuery,
  ExecutionRecord,
  ExecutionStatus,
  ExecutionStore,
  ExecutionSummary,
  GraphNodeSignature,
  NodeCompletedRecord,
  NodeFactRecord,
  NodeFailedRecord,
  NodeRetryingRecord,
  NodeSkippedRecord,
  NodeStartedRecord,
  RecordBase,
  RecordedActor,
  RunFinishedRecord,
  RunResumedRecord,
  RunStartedRecord,
  SignalConsumedRecord,
  SignalReceivedRecord,
  StorageRecord,
  TimerStartedRecord,
} from './plugin/contracts/execution-store.js';
export type {
  EnqueuedRun,
  EnqueueOptions,
  QueuedRun,
  QueuedRunResult,
  RemoteChildRun,
  RunQueue,
} from './plugin/contracts/run-queue.js';
/* Plugins */
export { definePlugin } from './plugin/define-plugin.js';
export type { PluginError, PluginErrorClass, PluginErrorTable } from './plugin/define-plugin-errors.js';
export { definePluginErrors } from './plugin/define-plugin-errors.js';
export { Tokens } from './plugin/tokens.js';
export type {
  ActionRequest,
  Actor,
  AdmissionRequest,
  AuditRecord,
  AuditSink,
  CacheEntry,
  CacheLock,
  CacheStore,
  ContextPropagator,
  CopyOptions,
  CopyResult,
  EngineAction,
  ExecHandle,
  ExecOptions,
  ExecResult,
  ExecutionStorage,
  Executor,
  FlowlanePlugin,
  HealthStatus,
  Lease,
  Logger,
  MetricsExporter,
  Middleware,
  MiddlewareContext,
  NodeLogger,
  NodePermissions,
  OutputChunk,
  PermissionPolicy,
  PermissionVerdict,
  PluginApi,
  PluginContainer,
  PluginDisposer,
  PropagatedOutcome,
  PropagationCarrier,
  PropagationScope,
  RunEventsSummary,
  RunEventsView,
  RunGraph,
  RunNodeState,
  RunNodeSummary,
  RunOrigin,
  RunPropagationScope,
  RunWatcher,
  Scheduler,
  SecretsProvider,
  StateStore,
} from './plugin/types.js';
export { REDACTED, Redactor } from './runtime/redactor.js';
export type { VirtualClock } from './runtime/virtual-clock.js';
/* Time */
export { createVirtualClock } from './runtime/virtual-clock.js';

/* Scheduler building blocks */
export { AbortGroups } from './scheduling/abort-groups.js';
export { SharedSchedulerErrorCodes } from './scheduling/scheduler-error-codes.js';
/* Version */
export { CORE_VERSION } from './version.js';
export { Workflow } from './workflow.js';
