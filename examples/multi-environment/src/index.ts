/* Environments on this machine */
export type { Environments, Leftovers } from './environments.js';
export { startEnvironments } from './environments.js';
/* Output */
export { executorLabels, formatEvent } from './format-event.js';
/* Pipeline */
export type { PipelineSettings, ReleaseInput, ReleaseOutputs, ReleasePipeline } from './pipeline.js';
export { createReleasePipeline } from './pipeline.js';
