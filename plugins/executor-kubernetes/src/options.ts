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
  /** Default: the executor's `namespace`. */
  readonly namespace?: string | undefined;
  /** The pod's name (give this or `labelSelector`). */
  readonly pod?: string | undefined;
  /** Pick a running, ready pod matching this selector (first by name), e.g. `app=web,tier!=canary`. */
  readonly labelSelector?: string | undefined;
  /** Default: the pod's `kubectl.kubernetes.io/default-container` annotation, else its first container. */
  readonly container?: string | undefined;
}

/** Options of {@link createKubernetesExecutor} and the `kubernetesExecutor` plugin. */
export interface KubernetesExecutorOptions {
  /** Default `{ from: 'default' }`. */
  readonly kubeConfig?: KubeConfigSource | undefined;
  /** Namespace of targets that name none. Default: the kubeconfig context's namespace, else `default`. */
  readonly namespace?: string | undefined;
  /** Named targets; a target not configured here is read as `[namespace/]pod[:container]`. */
  readonly targets?: Readonly<Record<string, PodTarget>> | undefined;
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
}
