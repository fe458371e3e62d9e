import type { Logger } from '@flowlane/core';

/** Connection-pool settings; set them for every host on the executor and override them per host. */
export interface SshPoolOptions {
  /** Most authenticated connections kept open to one host. Default 2. */
  readonly maxConnections?: number | undefined;
  /**
   * Most channels (commands, SFTP sessions) open at once on one connection; keep it below the server's
   * `MaxSessions` (OpenSSH default 10: one more channel is used to stop commands). Default 8.
   */
  readonly maxChannelsPerConnection?: number | undefined;
  /** Close a connection after it has had no open channel for this long, ms. Default 30 000. */
  readonly idleTimeoutMs?: number | undefined;
  /** Time allowed for TCP connect, SSH handshake and login, ms. Default 20 000. */
  readonly connectTimeoutMs?: number | undefined;
  /** Interval of SSH keepalive probes that detect dead connections, ms (0 disables them). Default 15 000. */
  readonly keepaliveIntervalMs?: number | undefined;
  /** Unanswered keepalive probes before the connection counts as lost. Default 3. */
  readonly keepaliveCountMax?: number | undefined;
}

/** How the executor reaches and trusts one host. */
export interface SshHostOptions extends SshPoolOptions {
  /** Host name or IP address. */
  readonly host: string;
  /** Default 22. */
  readonly port?: number | undefined;
  /** Login user. Default: the local user (`os.userInfo().username`). */
  readonly username?: string | undefined;
  /** Private key (OpenSSH or PEM text). */
  readonly privateKey?: string | Buffer | undefined;
  /** File to read the private key from (when `privateKey` is not given). */
  readonly privateKeyPath?: string | undefined;
  /** Passphrase of an encrypted private key. */
  readonly passphrase?: string | undefined;
  /** ssh-agent socket path, or `true` for `$SSH_AUTH_SOCK`. */
  readonly agent?: string | true | undefined;
  /**
   * known_hosts files to verify the host key against (`~` is the home directory). Plain, hashed (`|1|…`),
   * wildcard, negated and `[host]:port` entries and `@revoked` markers are understood. Default: the executor's
   * `knownHosts`, else `~/.ssh/known_hosts` and `/etc/ssh/ssh_known_hosts`.
   */
  readonly knownHosts?: string | readonly string[] | undefined;
  /**
   * Pinned host key fingerprints as `ssh-keygen -l` prints them (`SHA256:…`). When given, the key must match one of
   * them and known_hosts files are not read.
   */
  readonly hostKeyFingerprints?: readonly string[] | undefined;
  /** Accept any host key without verification — for throwaway test hosts only; logged as a warning. Default false. */
  readonly insecureAcceptAnyHostKey?: boolean | undefined;
  /** Environment variables set for every command on this host (a command's `env` wins). */
  readonly env?: Readonly<Record<string, string>> | undefined;
  /** Working directory of commands that give none. Default: the login directory. */
  readonly cwd?: string | undefined;
}

/** Options of {@link createSshExecutor}. */
export interface SshExecutorOptions extends SshPoolOptions {
  /** The hosts commands may run on, by the name nodes use as `target`. */
  readonly hosts: Readonly<Record<string, SshHostOptions>>;
  /** Host used when a command names no target. Default: none (the target is required). */
  readonly defaultHost?: string | undefined;
  /** known_hosts files for hosts that set none. Default `~/.ssh/known_hosts` and `/etc/ssh/ssh_known_hosts`. */
  readonly knownHosts?: string | readonly string[] | undefined;
  /** Time between SIGTERM and SIGKILL when a command is stopped, ms. Default 2000. */
  readonly killGraceMs?: number | undefined;
  /** Output limit (stdout + stderr) of a command, bytes; a command's `maxOutputBytes` wins. Default 16 MiB. */
  readonly maxOutputBytes?: number | undefined;
  /** Receives warnings (insecure host-key mode) and debug lines. Default: `console`. */
  readonly logger?: Logger | undefined;
}

/** The pool settings of one host after defaults were applied. */
export interface ResolvedPoolSettings {
  readonly maxConnections: number;
  readonly maxChannelsPerConnection: number;
  readonly idleTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly keepaliveIntervalMs: number;
  readonly keepaliveCountMax: number;
}

/** Applies defaults: the host's setting, else the executor's, else the built-in default. */
export function resolvePoolSettings(host: SshPoolOptions, executor: SshPoolOptions): ResolvedPoolSettings {
  return {
    maxConnections: host.maxConnections ?? executor.maxConnections ?? 2,
    maxChannelsPerConnection: host.maxChannelsPerConnection ?? executor.maxChannelsPerConnection ?? 8,
    idleTimeoutMs: host.idleTimeoutMs ?? executor.idleTimeoutMs ?? 30_000,
    connectTimeoutMs: host.connectTimeoutMs ?? executor.connectTimeoutMs ?? 20_000,
    keepaliveIntervalMs: host.keepaliveIntervalMs ?? executor.keepaliveIntervalMs ?? 15_000,
    keepaliveCountMax: host.keepaliveCountMax ?? executor.keepaliveCountMax ?? 3,
  };
}
