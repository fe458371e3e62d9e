/** A cluster entry of an explicit kubeconfig. */
export interface KubeClusterOptions {
  readonly name: string;
  /** API server URL, e.g. `https://10.0.0.1:6443`. */
  readonly server: string;
  /** Base64 PEM of the cluster CA. */
  readonly caData?: string | undefined;
  /** Skip TLS verification (also needed for plain `http://` servers). Default false. */
  readonly skipTLSVerify?: boolean | undefined;
}

/** A user entry of an explicit kubeconfig. */
export interface KubeUserOptions {
  readonly name: string;
  readonly token?: string | undefined;
  /** Base64 PEM client certificate and key. */
  readonly certData?: string | undefined;
  readonly keyData?: string | undefined;
}

/** A context entry of an explicit kubeconfig. */
export interface KubeContextOptions {
  readonly name: string;
  readonly cluster: string;
  readonly user: string;
  readonly namespace?: string | undefined;
}

/** Where the kubeconfig comes from. */
export type KubeConfigSource =
  /** `KUBECONFIG`, `~/.kube/config`, or in-cluster — like kubectl. */
  | { readonly from: 'default' }
  /** The pod's service account (`/var/run/secrets/kubernetes.io/serviceaccount`). */
  | { readonly from: 'in-cluster' }
  | { readonly from: 'file'; readonly path: string; readonly context?: string | undefined }
  | { readonly from: 'yaml'; readonly yaml: string; readonly context?: string | undefined }
  | {
      readonly from: 'options';
      readonly clusters: readonly KubeClusterOptions[];
      readonly users: readonly KubeUserOptions[];
      readonly contexts: readonly KubeContextOptions[];
      readonly currentContext: string;
    };

/** A named target: one pod (by name) or a ready pod picked by label selector, and a container. */
export interface PodTarget {
  /** `'pod'` (the default): commands are exec'd into an existing pod. */
  readonly kind?: 'pod' | undefined;
  /** Default: the executor's `namespace`. */
  readonly namespace?: string | undefined;
  /** The pod's name (give this or `labelSelector`). */
  readonly pod?: string | undefined;
  /** Pick a running, ready pod matching this selector (first by name), e.g. `app=web,tier!=canary`. */
  readonly labelSelector?: string | undefined;
  /** Default: the pod's `kubectl.kubernetes.io/default-container` annotation, else its first container. */
  readonly container?: string | undefined;
}

/** CPU/memory requests and limits of a Job's container, as Kubernetes quantities (`'500m'`, `'256Mi'`). */
export interface ResourceRequirements {
  readonly requests?: Readonly<Record<string, string>> | undefined;
  readonly limits?: Readonly<Record<string, string>> | undefined;
}

/**
 * A named target that runs each command as a `batch/v1` Job from `image` (`backoffLimit: 0`, `restartPolicy:
 * Never`): the command becomes the container's `command`, its log is streamed, its exit code is read from the
 * container's `state.terminated.exitCode`, and the Job is deleted (`propagationPolicy: Background`) when the
 * command ends unless `keep`, and always on timeout or abort. No stdin and no artifacts (the pod is gone afterwards).
 */
export interface JobTarget {
  readonly kind: 'job';
  /** The container image, e.g. `node:20-alpine`. */
  readonly image: string;
  /** Default: the executor's `namespace`. */
  readonly namespace?: string | undefined;
  /** Default: Kubernetes' default (`Always` for `:latest`, else `IfNotPresent`). */
  readonly imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never' | undefined;
  /** Environment of every command (a command's own `env` wins). */
  readonly env?: Readonly<Record<string, string>> | undefined;
  /** Working directory (a command's `cwd` wins). Default: the image's. */
  readonly workingDir?: string | undefined;
  readonly resources?: ResourceRequirements | undefined;
  /** Default: the namespace's `default` service account. */
  readonly serviceAccountName?: string | undefined;
  /** Labels of the Job and its pod (beside `app.kubernetes.io/managed-by: flowlane`). */
  readonly labels?: Readonly<Record<string, string>> | undefined;
  /** Annotations of the pod (e.g. to opt out of sidecar injection). */
  readonly annotations?: Readonly<Record<string, string>> | undefined;
  /** Job name prefix; a random suffix is appended. Default `'flowlane'`. */
  readonly namePrefix?: string | undefined;
  /** Keep the Job (and its pod and log) after the command ends; a timeout or abort still deletes it. Default false. */
  readonly keep?: boolean | undefined;
  /**
   * Let Kubernetes delete the finished Job after this many seconds — the backstop should the executor not get to
   * delete it. Default 300, or none with `keep`.
   */
  readonly ttlSecondsAfterFinished?: number | undefined;
  /** Let Kubernetes stop the Job after this many seconds even if the executor is gone. Default none. */
  readonly activeDeadlineSeconds?: number | undefined;
  /**
   * `'combined'` (default): the container log is one stream, reported as stdout. `'split'`: follow stdout and stderr
   * separately with the log API's `stream` parameter — needs an API server with the `PodLogsQuerySplitStreams`
   * feature gate (Kubernetes ≥ 1.32); without it both streams carry the whole log.
   */
  readonly logStreams?: 'combined' | 'split' | undefined;
}

/** Options of {@link createKubernetesExecutor} and the `kubernetesExecutor` plugin. */
export interface KubernetesExecutorOptions {
  /** Default `{ from: 'default' }`. */
  readonly kubeConfig?: KubeConfigSource | undefined;
  /** Namespace of targets that name none. Default: the kubeconfig context's namespace, else `default`. */
  readonly namespace?: string | undefined;
  /** Named targets (pods to exec into, or Jobs to run); a target not configured here is read as `[namespace/]pod[:container]`. */
  readonly targets?: Readonly<Record<string, PodTarget | JobTarget>> | undefined;
  /** Target used when a command names none. */
  readonly defaultTarget?: string | undefined;
  /**
   * Run each command under `/bin/sh`, which records its process group so a timeout or abort can kill it: closing
   * an exec stream does not reliably stop the process on every kubelet/runtime. Set false for images without
   * `/bin/sh` (a stop then only closes the stream). Default true.
   */
  readonly killable?: boolean | undefined;
  /** Default output limit (stdout + stderr) per command, bytes. Default 16 MiB. */
  readonly maxOutputBytes?: number | undefined;
  /**
   * @deprecated Ignored: a Job's pod is watched (list + watch from its `resourceVersion`), not polled. Kept so
   * existing configurations still compile; it will be removed in the next major version.
   */
  readonly pollIntervalMs?: number | undefined;
}
