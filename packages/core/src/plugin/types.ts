/*
 * The plugin API's contracts, one file per extension point under plugin/contracts/ (executors, scheduling,
 * middleware, security, observability, stores, plugins). This file gathers them for the package's index.
 */
import type { WorkflowDescription } from '../contracts/descriptions.js';
import type { SerializedError } from '../errors.js';

export type {
  CopyOptions,
  CopyResult,
  ExecHandle,
  ExecOptions,
  ExecResult,
  Executor,
  HealthStatus,
  OutputChunk,
} from './contracts/executor.js';
export type {
  Middleware,
  MiddlewareContext,
} from './contracts/middleware.js';
export type {
  Logger,
  MetricsExporter,
  NodeLogger,
} from './contracts/observability.js';
export type {
  FlowlanePlugin,
  PluginApi,
  PluginContainer,
  PluginDisposer,
} from './contracts/plugin.js';
export type {
  ContextPropagator,
  PropagatedOutcome,
  PropagationCarrier,
  PropagationScope,
  RunOrigin,
  RunPropagationScope,
} from './contracts/propagation.js';
export type {
  RunEventsSummary,
  RunEventsView,
  RunNodeState,
  RunNodeSummary,
  RunWatcher,
} from './contracts/run-events.js';
export type { RunGraph } from './contracts/run-graph.js';
export type {
  AdmissionRequest,
  Lease,
  Scheduler,
} from './contracts/scheduler.js';
export type {
  ActionRequest,
  Actor,
  AuditRecord,
  AuditSink,
  EngineAction,
  NodePermissions,
  PermissionPolicy,
  PermissionVerdict,
  SecretsProvider,
} from './contracts/security.js';
export type {
  CacheEntry,
  CacheLock,
  CacheStore,
  ExecutionStorage,
  StateStore,
} from './contracts/stores.js';
export type { SerializedError, WorkflowDescription };
