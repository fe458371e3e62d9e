/* Plugin */

/* Errors */
export type { KubernetesSecretsErrorCode } from './errors.js';
export { KubernetesSecretsError, KubernetesSecretsErrorCodes } from './errors.js';
export type { KubeConfigSource, KubernetesSecretsOptions, SecretRef } from './kubernetes-secrets-plugin.js';
export { kubernetesSecrets } from './kubernetes-secrets-plugin.js';
export { CORE_RANGE, PKG_VERSION } from './version.js';
