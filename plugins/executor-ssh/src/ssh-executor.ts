import {
  type CommandRun,
  type CopyOptions,
  type CopyResult,
  copyCancelled,
  createCommandRun,
  type ExecHandle,
  type ExecOptions,
  type Executor,
  FlowlaneError,
  type HealthStatus,
  type Logger,
} from '@flowlane/core';
import type { SFTPWrapper } from 'ssh2';
import { SshExecutorError } from './errors.js';
import { connectionTarget, positive } from './host-config.js';
import { HostPool, type SshHostStats } from './host-pool.js';
import { rejectUnknownKeys } from './option-keys.js';
import type { SshExecutorOptions, SshHostOptions } from './options.js';
import { buildRemoteCommand, PidLineParser, type RemoteCommand } from './remote-command.js';
import { copyFromRemote, copyToRemote } from './sftp-copy.js';

/** The SSH executor: core's `Executor` plus pool counters. */
export interface SshExecutor extends Executor {
  /** Pool counters by host name (connections, open channels, waiting requests, connections opened so far). */
  stats(): Readonly<Record<string, SshHostStats>>;
}

/** Extra time after the kill grace before a stopped command is settled without its channel, ms. */
const STOP_SLACK_MS = 3000;

/**
 * Creates an executor that runs commands on SSH hosts, configured by name. Each host has a pool of authenticated
 * connections (commands are channels on them), verifies host keys against known_hosts or pinned fingerprints, quotes
 * argv so arguments reach the program verbatim, kills the remote process group on timeout or abort, and copies
 * artifacts over SFTP. Connections open on first use.
 *
 * @example
 * ```ts
 * import { createSshExecutor } from '@flowlane/executor-ssh';
 *
 * const ssh = createSshExecutor({
 *   hosts: { web1: { host: 'web1.internal', username: 'deploy', privateKeyPath: '/home/ci/.ssh/id_ed25519' } },
 * });
 * const { stdout } = await ssh.exec('uname', { args: ['-a'], target: 'web1' }).result;
 * await ssh.copyIn('dist', '/srv/app/dist', { target: 'web1' });
 * await ssh.dispose();
 * ```
 */
export function createSshExecutor(options: SshExecutorOptions): SshExecutor {
  rejectUnknownKeys(options);
  const logger: Logger = options.logger ?? console;
  const grace = options.killGraceMs ?? 2000;
  const names = Object.keys(options.hosts);
  const pools = new Map<string, HostPool>();
  const hostEnv = new Map<string, SshHostOptions>();
  for (const name of names) {
    const host = options.hosts[name]!;
    pools.set(name, new HostPool(connectionTarget(name, host, options)));
    hostEnv.set(name, host);
    if (host.insecureAcceptAnyHostKey)
      logger.warn(
        `SSH host "${name}" (${host.host}): host key verification is disabled (insecureAcceptAnyHostKey); any server, including an impostor, is accepted. Use this for throwaway test hosts only.`,
        { host: name },
      );
  }
  if (options.defaultHost !== undefined && !pools.has(options.defaultHost))
    throw new SshExecutorError('FL_SSH_HOST_NOT_CONFIGURED', { host: options.defaultHost, configured: names });
  if (options.killGraceMs !== undefined) positive('killGraceMs', options.killGraceMs, undefined, true);

  const live = new Set<CommandRun>();
  let disposing: Promise<void> | undefined;

  const resolveHost = (target: string | undefined): { name: string; pool: HostPool } => {
    const name = target ?? options.defaultHost;
    if (name === undefined) throw new SshExecutorError('FL_SSH_TARGET_REQUIRED', { configured: names });
    const pool = pools.get(name);
    if (pool === undefined) throw new SshExecutorError('FL_SSH_HOST_NOT_CONFIGURED', { host: name, configured: names });
    if (disposing !== undefined) throw new SshExecutorError('FL_SSH_EXECUTOR_DISPOSED', { host: name });
    return { name, pool };
  };

  const start = async (run: CommandRun, pool: HostPool, remote: RemoteCommand, stdin: ExecOptions['stdin']) => {
    let opened: Awaited<ReturnType<HostPool['openExec']>>;
    try {
      opened = await pool.openExec(remote.script, run.stopSignal);
    } catch (error) {
      run.fail(error);
      return;
    }
    const { channel, connection } = opened;
    let pid: number | undefined;
    let exit: { exitCode: number | null; signal: string | null } | undefined;
    let lost: SshExecutorError | undefined;
    let killing = false;
    let slack: NodeJS.Timeout | undefined;
    const kill = (): void => {
      if (killing || pid === undefined) return;
      killing = true;
      void pool.kill(pid, grace).then(() => channel.close());
    };
    const parser = new PidLineParser(remote.marker, (p) => {
      pid = p;
      if (run.stopReason !== undefined) kill();
    });
    const unsubscribe = connection.onClose((l) => {
      lost = l;
    });
    channel.on('data', (chunk: Buffer) => run.output('stdout', parser.push(chunk)));
    channel.stderr.on('data', (chunk: Buffer) => run.output('stderr', chunk));
    channel.on('error', () => undefined);
    // The exit status comes with 'close' (ssh2 keeps it on the channel): a fast command's 'exit' event can fire
    // before this code runs, in the same socket read as the exec reply.
    channel.once('close', (code?: number | null, signal?: string) => {
      if (code !== undefined)
        exit =
          code === null
            ? {
                exitCode: null,
                signal: signal === undefined ? null : signal.startsWith('SIG') ? signal : `SIG${signal}`,
              }
            : { exitCode: code, signal: null };
      if (slack !== undefined) clearTimeout(slack);
      unsubscribe();
      run.output('stdout', parser.flush());
      if (exit === undefined && (lost !== undefined || connection.closed))
        run.fail(
          lost ??
            new SshExecutorError('FL_SSH_CONNECTION_LOST', {
              host: pool.name,
              address: '-',
              reason: 'the connection closed while the command ran',
            }),
        );
      else run.finish(exit ?? { exitCode: null, signal: null });
    });
    run.onStop(() => {
      kill();
      // A wedged connection must not keep a stopped command pending forever.
      slack = setTimeout(() => {
        channel.close();
        run.fail(run.stopReason);
      }, grace + STOP_SLACK_MS);
    });
    channel.end(stdin === undefined ? undefined : typeof stdin === 'string' ? stdin : Buffer.from(stdin));
  };

  /** Runs `fn` on an SFTP session of the target's pool; aborting `signal` ends the session and rejects. */
  const withSftp = async <T>(
    opts: CopyOptions,
    path: string,
    fn: (sftp: SFTPWrapper, session: AbortSignal, host: string) => Promise<T>,
  ): Promise<T> => {
    const { signal } = opts;
    if (signal?.aborted) throw copyCancelled(signal, path);
    const { name, pool } = resolveHost(opts.target);
    const { channel: sftp, release } = await pool
      .openChannel((c) => c.sftp(), signal)
      .catch((error: unknown) => {
        throw signal?.aborted ? copyCancelled(signal, path) : error;
      });
    try {
      let open = true;
      const closed = new Promise<void>((resolve) =>
        sftp.once('close', () => {
          open = false;
          resolve();
        }),
      );
      // Ending the session fails the requests in flight (and stops new ones), which ends the copy.
      const session = new AbortController();
      const end = (): void => {
        session.abort();
        if (open) sftp.end();
      };
      sftp.once('close', () => session.abort());
      signal?.addEventListener('abort', end, { once: true });
      try {
        if (signal?.aborted) throw copyCancelled(signal, path);
        return await fn(sftp, session.signal, name);
      } catch (error) {
        throw signal?.aborted ? copyCancelled(signal, path) : error;
      } finally {
        signal?.removeEventListener('abort', end);
        end();
        await closed;
      }
    } finally {
      release();
    }
  };

  const executor: SshExecutor = {
    exec(command: string, opts: ExecOptions = {}): ExecHandle {
      const label = [command, ...(opts.args ?? [])].join(' ');
      const run = createCommandRun(label, opts, options.maxOutputBytes);
      if (run.stopReason !== undefined) {
        run.fail(run.stopReason);
        return run.handle;
      }
      let host: { name: string; pool: HostPool };
      let remote: RemoteCommand;
      try {
        host = resolveHost(opts.target);
        const defaults = hostEnv.get(host.name)!;
        remote = buildRemoteCommand({
          command,
          args: opts.args,
          shell: opts.shell,
          env: { ...defaults.env, ...opts.env },
          cwd: opts.cwd ?? defaults.cwd,
        });
      } catch (error) {
        run.fail(
          error instanceof TypeError
            ? new SshExecutorError('FL_SSH_INVALID_OPTION', { option: 'exec', reason: error.message }, { cause: error })
            : error,
        );
        return run.handle;
      }
      live.add(run);
      const forget = (): void => {
        live.delete(run);
      };
      run.handle.result.then(forget, forget);
      void start(run, host.pool, remote, opts.stdin);
      return run.handle;
    },

    copyIn(localPath, remotePath, opts = {}): Promise<CopyResult> {
      return withSftp(opts, localPath, (sftp, session, host) =>
        copyToRemote(sftp, session, host, localPath, remotePath),
      );
    },

    copyOut(remotePath, localPath, opts = {}): Promise<CopyResult> {
      return withSftp(opts, remotePath, (sftp, session, host) =>
        copyFromRemote(sftp, session, host, remotePath, localPath),
      );
    },

    async healthCheck(opts = {}): Promise<HealthStatus> {
      const targets = opts.target !== undefined ? [opts.target] : options.defaultHost ? [options.defaultHost] : names;
      const checks = await Promise.all(
        targets.map(async (target) => {
          const t0 = performance.now();
          try {
            await executor.exec('true', { target, signal: opts.signal, timeout: 30_000 }).result;
            return { target, healthy: true, latencyMs: performance.now() - t0 };
          } catch (error) {
            return { target, healthy: false, message: `${target}: ${(error as Error).message}` };
          }
        }),
      );
      const failed = checks.filter((c) => !c.healthy);
      const latencies = checks.flatMap((c) => (c.latencyMs === undefined ? [] : [c.latencyMs]));
      return {
        healthy: failed.length === 0 && checks.length > 0,
        ...(failed.length > 0 ? { message: failed.map((c) => c.message).join('; ') } : {}),
        ...(checks.length === 0 ? { message: 'no SSH hosts are configured' } : {}),
        ...(latencies.length > 0 ? { latencyMs: Math.max(...latencies) } : {}),
      };
    },

    stats() {
      return Object.fromEntries([...pools].map(([name, pool]) => [name, pool.stats()]));
    },

    dispose(): Promise<void> {
      disposing ??= (async () => {
        const runs = [...live];
        for (const run of runs)
          run.stop(new FlowlaneError('FL_CANCELLED', { executionId: '-', reason: 'the SSH executor was disposed' }));
        // Stopped commands settle once their process groups are killed (each bounded by the stop slack); a command
        // still opening its channel then settles when its connection closes.
        const settled = Promise.all(runs.map((r) => r.handle.result.catch(() => undefined)));
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([settled, new Promise<void>((r) => (timer = setTimeout(r, grace + STOP_SLACK_MS)))]);
        clearTimeout(timer);
        await Promise.all([...pools.values()].map((p) => p.dispose()));
        await settled;
      })();
      return disposing;
    },
  };
  return executor;
}
