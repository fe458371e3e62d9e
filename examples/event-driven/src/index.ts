export type { Approval } from './orchestration.js';
export { installTriggers } from './orchestration.js';
export type { ChecksInput, Push } from './workflows.js';
export { buildArtifact, checks, deploy, deployProduction, deployStaging, notifyFailure } from './workflows.js';
