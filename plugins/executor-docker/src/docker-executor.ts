import {
  type CopyOptions,
  type CopyResult,
  commandLabel,
  copyCancelled,
  createCommandRun,
  type ExecHandle,
  type ExecOptions,
  type Executor,
  FlowlaneError,
  type HealthStatus,
} from '@flowlane/core';
import Docker from 'dockerode';
import { copyIntoContainer, copyOutOfContainer } from './archive-copy.js';
import { reasonOf, toDockerError } from './docker-errors-map.js';
import { DockerExecutorError } from './errors.js';
import { execInContainer, inspectContainer } from './exec-container.js';
import { ImagePolicy } from './image-policy.js';
import { rejectUnknownKeys } from './option-keys.js';
import type { DockerExecTarget, DockerExecutorOptions, DockerRunTarget, DockerTarget } from './options.js';
import { containerSpec, removeContainer, runContainer } from './run-container.js';

/**
 * An {@link Executor} that runs commands in Docker containers, in one of two modes per target:
 * - **run**: each command gets a fresh container from the target's image (env, workdir, user, mounts, resource
 *   limits, network mode), removed when the command ends unless `keep`; a timeout or abort removes it at once.
 * - **exec**: each command is `docker exec`'d into a running container; a timeout or abort kills its processes.
 *
 * Output is streamed demultiplexed (stdout/stderr), failures follow core's rules (`FL_EXEC_FAILED` unless
 * `allowFailure`, `FL_TIMEOUT`, `FL_CANCELLED`, `FL_EXEC_OUTPUT_LIMIT`); Docker problems are `FL_DOCKER_*` errors.
 * Artifacts move with Docker's archive API. A command's `target` picks a configured target or, failing that,
 * names a running container.
 *
 * @example
 * ```ts
 * import { createDockerExecutor } from '@flowlane/executor-docker';
 *
 * const docker = createDockerExecutor({
 *   connection: { socketPath: '/var/run/docker.sock' },
 *   targets: { alpine: { mode: 'run', image: 'alpine:3.20', network: 'none' } },
 * });
 * const { stdout } = await docker.exec('echo', { args: ['hello'], target: 'alpine' }).result;
 * await docker.dispose();
 * ```
 */
export function createDockerExecutor(options: DockerExecutorOptions = {}): Executor {
  rejectUnknownKeys(options);
  const connection = options.connection;
  const docker = new Docker(connection === undefined ? undefined : { ...connection });
  const images = new ImagePolicy(docker, options.registryAuth, connection);
  const running = new Set<ExecHandle>();
  /** Removals of run-mode containers still in flight (awaited by dispose). */
  const removals = new Set<Promise<unknown>>();
  let disposed: Promise<void> | undefined;

  const resolveTarget = (target: string | undefined): { name: string; spec: DockerTarget } => {
    const name = target ?? options.defaultTarget;
    if (name === undefined)
      throw new DockerExecutorError('FL_DOCKER_TARGET_REQUIRED', { targets: Object.keys(options.targets ?? {}) });
    const spec = options.targets?.[name] ?? ({ mode: 'exec', container: name } satisfies DockerExecTarget);
    return { name, spec };
  };

  /** A container to move archives with: the exec target's container, or a created (never started) helper. */
  const withArchiveContainer = async <T>(
    target: string | undefined,
    fn: (container: Docker.Container, label: string) => Promise<T>,
  ): Promise<T> => {
    const { spec } = resolveTarget(target);
    if (spec.mode === 'exec') {
      const info = await inspectContainer(docker, spec.container, connection);
      return fn(docker.getContainer(info.Id), spec.container);
    }
    await images.ensure(spec.image, spec.pullPolicy ?? options.pullPolicy ?? 'if-not-present');
    let helper: Docker.Container;
    try {
      helper = await docker.createContainer(containerSpec(spec, ['true'], spec.env ?? {}, spec.workdir, false));
    } catch (error) {
      throw toDockerError('container create', error, connection);
    }
    try {
      return await fn(helper, helper.id.slice(0, 12));
    } finally {
      await removeContainer(helper).catch(() => undefined);
    }
  };

  return {
    exec(command: string, opts: ExecOptions = {}): ExecHandle {
      const label = commandLabel(command, opts.args);
      const run = createCommandRun(label, opts, options.maxOutputBytes);
      if (disposed !== undefined) {
        run.fail(new FlowlaneError('FL_CANCELLED', { executionId: '-', reason: 'the Docker executor was disposed' }));
        return run.handle;
      }
      running.add(run.handle);
      run.handle.result.then(
        () => running.delete(run.handle),
        () => running.delete(run.handle),
      );
      const argv = opts.shell
        ? ['/bin/sh', '-c', command, 'sh', ...(opts.args ?? [])]
        : [command, ...(opts.args ?? [])];
      const stdin = opts.stdin === undefined ? undefined : Buffer.from(opts.stdin);
      const start = async (): Promise<void> => {
        const { spec } = resolveTarget(opts.target);
        const env = { ...spec.env, ...opts.env };
        const cwd = opts.cwd ?? spec.workdir;
        if (spec.mode === 'exec') return execInContainer(docker, spec, { argv, env, cwd, stdin }, run, connection);
        await images.ensure(spec.image, spec.pullPolicy ?? options.pullPolicy ?? 'if-not-present');
        if (run.stopReason !== undefined) return run.fail(run.stopReason);
        return runContainer(
          docker,
          spec satisfies DockerRunTarget,
          { argv, env, cwd, stdin },
          run,
          connection,
          removals,
        );
      };
      start().catch((error: unknown) => run.fail(error));
      return run.handle;
    },

    async copyIn(localPath: string, remotePath: string, opts: CopyOptions = {}): Promise<CopyResult> {
      if (opts.signal?.aborted) throw copyCancelled(opts.signal, localPath);
      return withArchiveContainer(opts.target, (c) =>
        copyIntoContainer(c, localPath, remotePath, connection, opts.signal),
      );
    },

    async copyOut(remotePath: string, localPath: string, opts: CopyOptions = {}): Promise<CopyResult> {
      if (opts.signal?.aborted) throw copyCancelled(opts.signal, remotePath);
      return withArchiveContainer(opts.target, (c, name) =>
        copyOutOfContainer(c, name, remotePath, localPath, connection, opts.signal),
      );
    },

    async healthCheck(
      opts: { target?: string | undefined; signal?: AbortSignal | undefined } = {},
    ): Promise<HealthStatus> {
      const started = performance.now();
      try {
        opts.signal?.throwIfAborted();
        await docker.ping();
        if (opts.target !== undefined || options.defaultTarget !== undefined) {
          const { spec } = resolveTarget(opts.target);
          if (spec.mode === 'exec') {
            const info = await inspectContainer(docker, spec.container, connection);
            if (!info.State.Running)
              return { healthy: false, message: `container "${spec.container}" is ${info.State.Status}` };
          } else {
            const policy = spec.pullPolicy ?? options.pullPolicy ?? 'if-not-present';
            if (policy === 'never' && !(await images.has(spec.image)))
              return { healthy: false, message: `image "${spec.image}" is not present (pullPolicy "never")` };
          }
        }
        return { healthy: true, latencyMs: performance.now() - started };
      } catch (error) {
        return { healthy: false, message: toDockerError('ping', error, connection).message || reasonOf(error) };
      }
    },

    dispose(): Promise<void> {
      disposed ??= (async () => {
        const handles = [...running];
        for (const h of handles) h.kill('the Docker executor was disposed');
        await Promise.all(handles.map((h) => h.result.catch(() => undefined)));
        await Promise.all([...removals].map((r) => r.catch(() => undefined)));
      })();
      return disposed;
    },
  };
}
