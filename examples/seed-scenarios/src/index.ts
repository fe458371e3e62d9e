// Everything the scenarios export, for reuse in other examples and tests. Seed 003 (igon7): caching, error-boundary,
// events, fallback-cascade, parallel-100, retry-strategies, shared-state, signals. Seed 002 (workflow-automate):
// deployment-pipeline, etl-pipeline. The demo: release-workflow, run-demo (its live view and summary come from
// @flowlane/cli).
export type { CachedWorkflowOptions } from './caching.js';
export { createCachedWorkflow, hash } from './caching.js';
export type { DeploymentInput, DeploymentPipelineOptions } from './deployment-pipeline.js';
export { createDeploymentPipeline, describeStep } from './deployment-pipeline.js';
export type { BoundaryWorkflowOptions, Failure } from './error-boundary.js';
export { createBoundaryWorkflow, NetworkError, ValidationError } from './error-boundary.js';
export type { EtlInput, EtlPipelineOptions } from './etl-pipeline.js';
export { createEtlPipeline } from './etl-pipeline.js';
export type { DataProcessed } from './events.js';
export { createListenerWorkflow, emitterWorkflow } from './events.js';
export type { RateSource, Rates } from './fallback-cascade.js';
export { cascadeWorkflow, fallbackWorkflow } from './fallback-cascade.js';
export type { ParallelWorkflowOptions } from './parallel-100.js';
export { createParallelWorkflow, maxRunningAtOnce } from './parallel-100.js';
export type { PushedImage, ReleaseInput, ReleaseWorkflowOptions } from './release-workflow.js';
export { createReleaseWorkflow } from './release-workflow.js';
export { customRetry, exponentialRetry, linearRetry, retryWorkflow, UpstreamError } from './retry-strategies.js';
export type { DemoOptions } from './run-demo.js';
export { DEMO_RELEASES, isInteractive, runDemo } from './run-demo.js';
export type { Scenario, ScenarioOptions } from './scenario.js';
export { SCENARIOS } from './scenarios.js';
export { sharedStateWorkflow } from './shared-state.js';
export { signalWorkflow } from './signals.js';
export type { Failures, StepInput } from './simulated-step.js';
export { StepError, simulatedStep, simulateWork } from './simulated-step.js';
export type { Sleep } from './sleep.js';
export { clockSleep, instantSleep, realSleep } from './sleep.js';
