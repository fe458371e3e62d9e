/** A pod the fake API server knows about. Commands exec'd "into" it run on this machine. */
export interface FakePod {
  /** Default `'default'`. */
  readonly namespace?: string | undefined;
  readonly name: string;
  /** Container names. Default `['main']`. */
  readonly containers?: readonly string[] | undefined;
  readonly labels?: Readonly<Record<string, string>> | undefined;
  /** Default `'Running'`. */
  readonly phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed' | undefined;
  /** The `Ready` condition. Default true. */
  readonly ready?: boolean | undefined;
}

/** One exec request served by the fake. */
export interface FakeExecRecord {
  readonly namespace: string;
  readonly pod: string;
  readonly container: string;
  readonly argv: readonly string[];
}

/** One Job created through the fake (kept after the Job is deleted). */
export interface FakeJobRecord {
  readonly namespace: string;
  readonly name: string;
  /** The Job as the client posted it (with `metadata.name` filled in when it used `generateName`). */
  readonly manifest: Readonly<Record<string, unknown>>;
}

/** A Job that exists now, and what its pod is doing. */
export interface FakeJob {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  /** The Job's pod, unless it was deleted. */
  readonly pod: string | undefined;
  /** The pid of the pod's command while it runs. */
  readonly pid: number | undefined;
  readonly state: 'pending' | 'running' | 'succeeded' | 'failed';
  /** The container's exit code once it terminated. */
  readonly exitCode: number | undefined;
}

/** A pod that exists now: one given in the options or `addPod`, or a Job's pod. */
export interface FakePodState {
  readonly namespace: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly phase: 'Pending' | 'Running' | 'Succeeded' | 'Failed';
  readonly containers: readonly string[];
  /** The owning Job (none for standalone pods, or once orphaned). */
  readonly job: string | undefined;
  /** The pid of a Job pod's command while it runs. */
  readonly pid: number | undefined;
}

/** How the fake runs Jobs. */
export interface FakeJobOptions {
  /** Time a Job's pod stays `Pending` (`ContainerCreating`) before its command starts, ms. Default 0. */
  readonly startDelayMs?: number | undefined;
  /** Images whose pull fails: the pod stays `Pending` with the container waiting in `ErrImagePull`. Default none. */
  readonly unpullableImages?: readonly string[] | undefined;
}

/** One request to the fake API server. */
export interface FakeRequestRecord {
  readonly method: string;
  /** E.g. `/api/v1/namespaces/default/pods`. */
  readonly path: string;
  /** The query string without `?`, e.g. `labelSelector=job-name%3Dbuild-x7k2p&watch=true`. */
  readonly query: string;
}

/** Options of {@link startFakeKubeApi}. */
export interface FakeKubeApiOptions {
  /** Bearer token clients must send. Default: random. */
  readonly token?: string | undefined;
  readonly pods?: readonly FakePod[] | undefined;
  /** Secrets served from the start. */
  readonly secrets?: readonly FakeSecret[] | undefined;
  /** Working directory of exec'd commands and of Job containers without `workingDir`. Default: this process's cwd. */
  readonly cwd?: string | undefined;
  readonly jobs?: FakeJobOptions | undefined;
  /**
   * How many pod changes are kept for watches that resume from a `resourceVersion`; a watch from an older version
   * gets an `ERROR` event with a 410 `Expired` Status, as from a real API server. Default 1000.
   */
  readonly watchHistory?: number | undefined;
  /**
   * End every watch after at most this many seconds, whatever its `timeoutSeconds` (a real API server ends watches
   * after its request timeout): to test that a client lists and watches again. Default: no limit.
   */
  readonly maxWatchSeconds?: number | undefined;
  /**
   * Serve HTTPS with a certificate for `127.0.0.1` from a throwaway CA (needs the `openssl` CLI). `false` serves
   * plain HTTP and the kubeconfig sets `insecure-skip-tls-verify`. Default true.
   */
  readonly tls?: boolean | undefined;
}

/** A Secret to serve (values in plain text; the API serves them base64-encoded in `data`). */
export interface FakeSecret {
  /** Default `default`. */
  readonly namespace?: string | undefined;
  readonly name: string;
  readonly data: Readonly<Record<string, string>>;
  readonly labels?: Readonly<Record<string, string>> | undefined;
}

/** A Secret as the fake holds it now (values decoded). */
export interface FakeSecretState {
  readonly namespace: string;
  readonly name: string;
  readonly data: Readonly<Record<string, string>>;
  readonly resourceVersion: string;
}

/** A running fake Kubernetes API server. */
export interface FakeKubeApi {
  /** `https://127.0.0.1:<port>` (`http://` with `tls: false`). */
  readonly server: string;
  /** PEM of the CA that signed the server's certificate (trust it to call the server directly); none with `tls: false`. */
  readonly ca: string | undefined;
  readonly token: string;
  /**
   * A kubeconfig (YAML) for this server: cluster `fake` (its CA as `certificate-authority-data`, or
   * `insecure-skip-tls-verify` with `tls: false`), bearer token, namespace `default`.
   */
  readonly kubeconfig: string;
  /** The same kubeconfig as a file (mode 0600) in a private temporary directory, removed on dispose. */
  readonly kubeconfigPath: string;
  /** Commands running now (pid → argv), started by exec requests and Job pods. */
  readonly processes: ReadonlyMap<number, readonly string[]>;
  /**
   * The most recent 10,000 HTTP requests (REST calls, watches, logs and exec upgrades), in order: what a client
   * asked of the API, e.g. to check it watches rather than polls.
   */
  readonly requestLog: readonly FakeRequestRecord[];
  /** Every exec request served, in order. */
  readonly execLog: readonly FakeExecRecord[];
  /** Every Job created, in order, with its manifest. */
  readonly jobLog: readonly FakeJobRecord[];
  /** Pods that exist now (a snapshot on each read). */
  readonly pods: readonly FakePodState[];
  /** Jobs that exist now (a snapshot on each read). */
  readonly jobs: readonly FakeJob[];
  addPod(pod: FakePod): void;
  /** Secrets that exist now (a snapshot on each read, values decoded). */
  readonly secrets: readonly FakeSecretState[];
  /** Create or replace a Secret (watches see `ADDED` / `MODIFIED`). */
  setSecret(secret: FakeSecret): void;
  /** Delete a Secret (watches see `DELETED`); false when there was none. */
  deleteSecret(namespace: string, name: string): boolean;
  /** Deletes a pod (a Job pod's command is killed); its followed logs end. */
  removePod(namespace: string, name: string): void;
  /** Kills every running command, closes every connection and the server, removes the kubeconfig file. Idempotent. */
  dispose(): Promise<void>;
  /** Same as `dispose()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}
