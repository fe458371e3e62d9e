import { definePluginErrors, type PluginError } from '@flowlane/core';

/**
 * The Kubernetes secrets provider's error codes (prefix `FL_K8S_SECRETS_`). Messages never contain secret data.
 *
 * @example
 * ```ts
 * import { KubernetesSecretsErrorCodes } from '@flowlane/secrets-kubernetes';
 * console.log(Object.keys(KubernetesSecretsErrorCodes).length); // 4
 * ```
 */
export const KubernetesSecretsErrorCodes = {
  FL_K8S_SECRETS_INVALID_OPTION: (p: { option: string; reason: string }) =>
    `Invalid kubernetesSecrets() option "${p.option}": ${p.reason}.`,
  FL_K8S_SECRETS_CONFIG_INVALID: (p: { reason: string }) =>
    `The kubeconfig cannot be used: ${p.reason}. Check the kubeConfig option.`,
  FL_K8S_SECRETS_READ_FAILED: (p: { namespace: string; name: string; status: number | undefined; reason: string }) =>
    `Reading Secret ${p.namespace}/${p.name} failed${p.status === undefined ? '' : ` (HTTP ${p.status})`}: ${p.reason}. Check the service account may get and watch secrets in "${p.namespace}".`,
  FL_K8S_SECRETS_NAMESPACE_NOT_ALLOWED: (p: { namespace: string; allowed: readonly string[] }) =>
    `Secrets of namespace "${p.namespace}" are not served (allowed: ${p.allowed.join(', ')}). Add it to allowedNamespaces.`,
} as const;

/** Every `FL_K8S_SECRETS_` code. */
export type KubernetesSecretsErrorCode = keyof typeof KubernetesSecretsErrorCodes;

/**
 * An error of the Kubernetes secrets provider, recognised by `isFlowlaneError`.
 *
 * @example
 * ```ts
 * import { KubernetesSecretsError, kubernetesSecrets } from '@flowlane/secrets-kubernetes';
 * try {
 *   kubernetesSecrets({ namespce: 'prod' } as never);
 * } catch (e) {
 *   if (KubernetesSecretsError.is(e, 'FL_K8S_SECRETS_INVALID_OPTION')) console.log(e.details.option); // namespce
 * }
 * ```
 */
export const KubernetesSecretsError = definePluginErrors('KubernetesSecretsError', KubernetesSecretsErrorCodes);
/** A {@link KubernetesSecretsError} with code `C`. */
export type KubernetesSecretsError<C extends KubernetesSecretsErrorCode = KubernetesSecretsErrorCode> = PluginError<
  typeof KubernetesSecretsErrorCodes,
  C
>;
