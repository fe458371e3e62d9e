/* Executor */

export type { KubernetesErrorCode, KubernetesErrorDetails } from './errors.js';
/* Errors */
export { isKubernetesExecutorError, KubernetesErrorCodes, KubernetesExecutorError } from './errors.js';
export { createKubernetesExecutor } from './kubernetes-executor.js';
export type { KubernetesExecutorPluginOptions } from './kubernetes-executor-plugin.js';
/* Plugin */
export { kubernetesExecutor } from './kubernetes-executor-plugin.js';
/* Options */
export type {
  JobTarget,
  KubeClusterOptions,
  KubeConfigSource,
  KubeContextOptions,
  KubernetesExecutorOptions,
  KubeUserOptions,
  PodTarget,
  ResourceRequirements,
} from './options.js';
/* Version */
export { PKG_VERSION } from './version.js';
