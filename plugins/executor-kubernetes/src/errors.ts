import { definePluginErrors, type PluginError } from '@flowlane/core';

/**
 * The Kubernetes executor's own error codes (prefix `FL_K8S_`), beside core's `FL_EXEC_FAILED`, `FL_TIMEOUT`,
 * `FL_CANCELLED` and `FL_EXEC_OUTPUT_LIMIT`. Codes are stable: never renamed, never reused. The README lists each
 * with its meaning and fix; a test keeps the two in sync.
 */
export const KubernetesErrorCodes = {
  FL_K8S_CONFIG_INVALID: (p: { reason: string }) =>
    `The kubeconfig could not be loaded: ${p.reason}. Fix the kubeConfig option (file path, YAML or explicit options).`,
  FL_K8S_INVALID_OPTION: (p: { target?: string | undefined; option: string; reason: string }) =>
    `Kubernetes executor${p.target === undefined ? '' : ` target "${p.target}"`}: invalid ${p.option}: ${p.reason}.`,
  FL_K8S_UNREACHABLE: (p: { server: string; reason: string }) =>
    `The Kubernetes API server ${p.server} is unreachable: ${p.reason}. Check the cluster address and network.`,
  FL_K8S_TLS_FAILED: (p: { server: string; reason: string }) =>
    `The Kubernetes API server ${p.server} failed TLS verification: ${p.reason}. Put the cluster's CA in the kubeconfig (certificate-authority or certificate-authority-data) and check that the server address matches its certificate.`,
  FL_K8S_UNAUTHORIZED: (p: { server: string }) =>
    `The Kubernetes API server ${p.server} rejected the credentials (401). Refresh the token or client certificate in the kubeconfig.`,
  FL_K8S_FORBIDDEN: (p: { operation: string; reason: string }) =>
    `Kubernetes refused "${p.operation}" (403): ${p.reason}. Grant the service account the RBAC permission (e.g. pods/exec create).`,
  FL_K8S_POD_NOT_FOUND: (p: { namespace: string; pod: string }) =>
    `Pod "${p.pod}" was not found in namespace "${p.namespace}". Fix the target or the namespace.`,
  FL_K8S_POD_NOT_RUNNING: (p: { namespace: string; pod: string; phase: string }) =>
    `Pod "${p.namespace}/${p.pod}" is ${p.phase}, not Running. Wait for it to start or pick another pod.`,
  FL_K8S_CONTAINER_NOT_FOUND: (p: {
    namespace: string;
    pod: string;
    container: string;
    available: readonly string[];
  }) =>
    `Pod "${p.namespace}/${p.pod}" has no container "${p.container}" (it has: ${p.available.join(', ')}). Fix the target's container.`,
  FL_K8S_NO_READY_POD: (p: { namespace: string; labelSelector: string }) =>
    `No running, ready pod in namespace "${p.namespace}" matches "${p.labelSelector}". Check the selector and the pods' readiness.`,
  FL_K8S_TARGET_REQUIRED: (p: { targets: readonly string[] }) =>
    `No Kubernetes target was given. Use executor: { name: 'kubernetes', target } with a configured target (${p.targets.join(', ') || 'none configured'}) or "[namespace/]pod[:container]", or set defaultTarget.`,
  FL_K8S_PATH_NOT_FOUND: (p: { side: 'local' | 'pod'; path: string }) =>
    p.side === 'local'
      ? `Local path "${p.path}" does not exist. Fix the source path of copyIn.`
      : `Path "${p.path}" does not exist in the pod. Fix the source path of copyOut.`,
  FL_K8S_COPY_FAILED: (p: { path: string; exitCode: number | null; stderr: string }) =>
    `Copying "${p.path}" failed (tar exited with ${p.exitCode ?? 'no code'})${p.stderr ? `: ${p.stderr.slice(0, 500)}` : ''}. The container needs /bin/sh and tar.`,
  FL_K8S_STREAM_CLOSED: (p: { namespace: string; pod: string }) =>
    `The exec stream to pod "${p.namespace}/${p.pod}" closed before the command reported its exit status. The connection to the API server was lost.`,
  FL_K8S_JOB_START_FAILED: (p: { namespace: string; job: string; pod: string; reason: string; message: string }) =>
    `Job "${p.namespace}/${p.job}" could not start its container (${p.reason}${p.message ? `: ${p.message}` : ''}). Check the image name and tag, imagePullSecrets and the pod's events.`,
  FL_K8S_JOB_LOST: (p: { namespace: string; job: string; reason: string }) =>
    `Job "${p.namespace}/${p.job}" ended without an exit code from its container: ${p.reason}. Check the Job's events (eviction, deadline, deletion by someone else).`,
  FL_K8S_JOB_UNSUPPORTED: (p: { target: string; feature: string }) =>
    `Target "${p.target}" runs commands as Kubernetes Jobs, which do not support ${p.feature}. Use a pod target (exec) for it${p.feature === 'stdin' ? ', or pass the data through env or args' : ', or put the files in the image or a volume'}.`,
  FL_K8S_API_ERROR: (p: { operation: string; status: number | null; reason: string }) =>
    `Kubernetes API call "${p.operation}" failed${p.status === null ? '' : ` (HTTP ${p.status})`}: ${p.reason}.`,
} as const;

/** Every `FL_K8S_` code. */
export type KubernetesErrorCode = keyof typeof KubernetesErrorCodes;
/** Typed details of a Kubernetes error with code `C`. */
export type KubernetesErrorDetails<C extends KubernetesErrorCode> = Parameters<(typeof KubernetesErrorCodes)[C]>[0];

/**
 * An error raised by the Kubernetes executor: a stable `code` from {@link KubernetesErrorCodes} and typed
 * `details`. Carries core's error brand, so `isFlowlaneError(err)` is true and events serialise code and details.
 *
 * @example
 * ```ts
 * import type { Executor } from '@flowlane/core';
 * import { isKubernetesExecutorError } from '@flowlane/executor-kubernetes';
 *
 * declare const k8s: Executor; // createKubernetesExecutor(…)
 * try { await k8s.exec('true', { target: 'web-0' }).result; }
 * catch (e) { if (isKubernetesExecutorError(e, 'FL_K8S_POD_NOT_FOUND')) console.log(e.details.pod); }
 * ```
 */
export const KubernetesExecutorError = definePluginErrors('KubernetesExecutorError', KubernetesErrorCodes);
/** A {@link KubernetesExecutorError} with code `C` (typed details). */
export type KubernetesExecutorError<C extends KubernetesErrorCode = KubernetesErrorCode> = PluginError<
  typeof KubernetesErrorCodes,
  C
>;

/**
 * True for a {@link KubernetesExecutorError} (optionally with code `code`), also one from another copy of this
 * package.
 *
 * @example
 * ```ts
 * import { isKubernetesExecutorError } from '@flowlane/executor-kubernetes';
 *
 * declare const err: unknown; // caught from a command on the kubernetes executor
 * declare function refreshToken(): void;
 * if (isKubernetesExecutorError(err, 'FL_K8S_UNAUTHORIZED')) refreshToken();
 * ```
 */
export function isKubernetesExecutorError<C extends KubernetesErrorCode = KubernetesErrorCode>(
  value: unknown,
  code?: C,
): value is KubernetesExecutorError<C> {
  return KubernetesExecutorError.is(value, code);
}
