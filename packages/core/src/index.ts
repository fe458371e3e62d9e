/* Builder */
export { WorkflowBuilder, workflow } from './builder/workflow-builder.js';
export type {
  BranchOptions,
  FlowlaneTypeError,
  ForEachOptions,
  ParallelOptions,
  WorkflowOptions,
} from './builder/workflow-builder.js';
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
  RollbackOptions,
  SettledItem,
  WorkflowDescription,
} from './builder/types.js';
export type { InferOutput, StandardSchemaV1 } from './builder/standard-schema.js';
export { Workflow } from './workflow.js';

/* Engine and runs */
export { Engine, createEngine } from './engine/engine.js';
export type { EngineOptions } from './engine/engine.js';
export type { NodeRecord, Run, RunOptions, RunResult } from './engine/run-types.js';

/* Events */
export { FLOW_EVENT_TYPES } from './engine/events.js';
export type {
  CustomEvent,
  EventBase,
  FlowEvent,
  FlowEventOf,
  FlowEventType,
  NodeCacheHitEvent,
  NodeCompletedEvent,
  NodeFailedEvent,
  NodeFellBackEvent,
  NodeLogEvent,
  NodeRetryingEvent,
  NodeRolledBackEvent,
  NodeSkippedEvent,
  NodeStartedEvent,
  NodeStatus,
  NodeTimedOutEvent,
  RunStatus,
  WorkflowCancelledEvent,
  WorkflowCompletedEvent,
  WorkflowFailedEvent,
  WorkflowStartedEvent,
} from './engine/events.js';

/* Errors */
export { ErrorCodes, FlowlaneError, WorkflowDefinitionError, errorCodeOf, isFlowlaneError, serializeError } from './errors.js';
export type { DefinitionProblem, ErrorCode, ErrorDetails, SerializedError } from './errors.js';

/* Plugins */
export { definePlugin } from './plugin/define-plugin.js';
export { Tokens } from './plugin/tokens.js';
export type {
  Actor,
  AdmissionRequest,
  AuditRecord,
  AuditSink,
  CacheEntry,
  CacheStore,
  CopyResult,
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
  PluginApi,
  PluginContainer,
  PluginDisposer,
  Scheduler,
  SecretsProvider,
  StateStore,
} from './plugin/types.js';

/* Built-in defaults */
export { createDefaultPermissionPolicy } from './defaults/default-permission-policy.js';
export { createEnvSecretsProvider, secretEnvName } from './defaults/env-secrets-provider.js';
export { createFifoScheduler } from './defaults/fifo-scheduler.js';
export { createLocalExecutor } from './defaults/local-executor.js';
export type { LocalExecutorOptions } from './defaults/local-executor.js';
export { createMemoryAuditSink } from './defaults/memory-audit-sink.js';
export type { MemoryAuditSink } from './defaults/memory-audit-sink.js';
export { createMemoryCacheStore } from './defaults/memory-cache-store.js';
export type { MemoryCacheStoreOptions } from './defaults/memory-cache-store.js';
export { createMemoryStateStore } from './defaults/memory-state-store.js';

/* Operators (for plugin authors composing their own pipelines) */
export { delayFor, isRetryable, matchesError, withRetry } from './compile/with-retry.js';
export { withTimeout } from './compile/with-timeout.js';
export { composeMiddleware } from './compile/compose-middleware.js';
export { REDACTED, Redactor } from './runtime/redactor.js';

/* Version */
export { CORE_VERSION } from './version.js';
