/* Executor */
export { createDockerExecutor } from './docker-executor.js';
export type { DockerExecutorPluginOptions } from './docker-executor-plugin.js';
/* Plugin */
export { dockerExecutor } from './docker-executor-plugin.js';
export type { DockerErrorCode, DockerErrorDetails, PullPolicy } from './errors.js';
/* Errors */
export { DockerErrorCodes, DockerExecutorError, isDockerExecutorError } from './errors.js';
/* Options */
export type {
  DockerConnectionOptions,
  DockerExecTarget,
  DockerExecutorOptions,
  DockerMount,
  DockerRegistryAuth,
  DockerResources,
  DockerRunTarget,
  DockerTarget,
} from './options.js';
/* Version */
export { PKG_VERSION } from './version.js';
