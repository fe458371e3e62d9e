import type { PullPolicy } from './errors.js';

/** How to reach the Docker daemon (passed to dockerode). Default: `DOCKER_HOST`, else `/var/run/docker.sock`. */
export interface DockerConnectionOptions {
  /** Unix socket of the daemon, e.g. `/var/run/docker.sock`. */
  readonly socketPath?: string | undefined;
  /** TCP host of the daemon (with `port` and `protocol`). */
  readonly host?: string | undefined;
  readonly port?: number | string | undefined;
  readonly protocol?: 'http' | 'https' | undefined;
  /** TLS material for `https` (PEM). */
  readonly ca?: string | Buffer | undefined;
  readonly cert?: string | Buffer | undefined;
  readonly key?: string | Buffer | undefined;
  /** Timeout of each API call, ms (not of commands). */
  readonly timeout?: number | undefined;
}

/** A bind mount, named volume or tmpfs for run-mode containers. */
export interface DockerMount {
  /** Default `'bind'`. */
  readonly type?: 'bind' | 'volume' | 'tmpfs' | undefined;
  /** Host path (bind) or volume name (volume); unused for tmpfs. */
  readonly source?: string | undefined;
  /** Path inside the container. */
  readonly target: string;
  readonly readOnly?: boolean | undefined;
}

/** Resource limits of run-mode containers. */
export interface DockerResources {
  /** Memory limit, bytes. */
  readonly memoryBytes?: number | undefined;
  /** CPU limit in cores (fractions allowed, e.g. 0.5). */
  readonly cpus?: number | undefined;
  /** Maximum number of processes. */
  readonly pidsLimit?: number | undefined;
}

/** A target that runs every command in a fresh container created from `image`. */
export interface DockerRunTarget {
  readonly mode: 'run';
  readonly image: string;
  /** Environment of every command (a command's own `env` is merged over it). */
  readonly env?: Readonly<Record<string, string>> | undefined;
  /** Working directory (a command's `cwd` wins). */
  readonly workdir?: string | undefined;
  /** `user`, `user:group`, `uid` or `uid:gid`. */
  readonly user?: string | undefined;
  readonly mounts?: readonly DockerMount[] | undefined;
  readonly resources?: DockerResources | undefined;
  /** Docker network mode (`'none'`, `'host'`, `'bridge'`, a network name). Default: the daemon's default. */
  readonly network?: string | undefined;
  /** Keep the container after the command ends (it is still removed after a timeout or abort). Default false. */
  readonly keep?: boolean | undefined;
  /** Overrides the executor's `pullPolicy` for this image. */
  readonly pullPolicy?: PullPolicy | undefined;
  /** Labels added to each container (beside `dev.flowlane.executor=docker`). */
  readonly labels?: Readonly<Record<string, string>> | undefined;
}

/** A target that runs commands with `docker exec` in an already running container. */
export interface DockerExecTarget {
  readonly mode: 'exec';
  /** Name or id of the running container. */
  readonly container: string;
  readonly env?: Readonly<Record<string, string>> | undefined;
  readonly workdir?: string | undefined;
  readonly user?: string | undefined;
  /**
   * Run each command under `/bin/sh` that records its process group, so a timeout or abort can kill it (Docker
   * has no API to stop an exec). Set false for images without `/bin/sh`: a stopped command then keeps running in
   * the container. Default true.
   */
  readonly killable?: boolean | undefined;
}

/** One configured target. */
export type DockerTarget = DockerRunTarget | DockerExecTarget;

/** Credentials for pulling from a registry (Docker's `X-Registry-Auth`). */
export interface DockerRegistryAuth {
  readonly username: string;
  readonly password: string;
  readonly serveraddress?: string | undefined;
}

/** Options of {@link createDockerExecutor} and the `dockerExecutor` plugin. */
export interface DockerExecutorOptions {
  /** How to reach the daemon. Default: `DOCKER_HOST`, else `/var/run/docker.sock`. */
  readonly connection?: DockerConnectionOptions | undefined;
  /**
   * Named targets. A node's `executor: { name: 'docker', target }` picks one; a target that is not configured
   * here is taken as the name of a running container (exec mode).
   */
  readonly targets?: Readonly<Record<string, DockerTarget>> | undefined;
  /** Target used when a command names none. */
  readonly defaultTarget?: string | undefined;
  /** When images of run targets are pulled. Default `'if-not-present'`. */
  readonly pullPolicy?: PullPolicy | undefined;
  readonly registryAuth?: DockerRegistryAuth | undefined;
  /** Default output limit (stdout + stderr) per command, bytes. Default 16 MiB. */
  readonly maxOutputBytes?: number | undefined;
}
