/* Internal: run mode — one fresh container per command, removed afterwards. */

import type { CommandRun } from '@flowlane/core';
import type Docker from 'dockerode';
import { createDemuxer } from './demux.js';
import { reasonOf, statusOf, toDockerError } from './docker-errors-map.js';
import type { DockerConnectionOptions, DockerMount, DockerRunTarget } from './options.js';

/** Label put on every container this executor creates. */
export const EXECUTOR_LABEL = 'dev.flowlane.executor';

/** What a run-mode command needs. */
export interface RunContainerRequest {
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string | undefined;
  readonly stdin: Buffer | undefined;
}

/** Docker's create-container body for a target (shared with the archive helper containers). */
export function containerSpec(
  target: DockerRunTarget,
  argv: readonly string[],
  env: Readonly<Record<string, string>>,
  cwd: string | undefined,
  stdin: boolean,
): Docker.ContainerCreateOptions {
  const [entry, ...rest] = argv;
  const r = target.resources;
  return {
    Image: target.image,
    // The command runs exactly as given: the image's ENTRYPOINT is replaced by argv[0].
    Entrypoint: entry === undefined ? [] : [entry],
    Cmd: rest,
    Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
    ...(cwd === undefined ? {} : { WorkingDir: cwd }),
    ...(target.user === undefined ? {} : { User: target.user }),
    Labels: { ...target.labels, [EXECUTOR_LABEL]: 'docker' },
    Tty: false,
    AttachStdin: stdin,
    AttachStdout: true,
    AttachStderr: true,
    OpenStdin: stdin,
    StdinOnce: stdin,
    HostConfig: {
      ...(target.network === undefined ? {} : { NetworkMode: target.network }),
      ...(target.mounts === undefined ? {} : { Mounts: target.mounts.map(toMount) }),
      ...(r?.memoryBytes === undefined ? {} : { Memory: r.memoryBytes }),
      ...(r?.cpus === undefined ? {} : { NanoCpus: Math.round(r.cpus * 1e9) }),
      ...(r?.pidsLimit === undefined ? {} : { PidsLimit: r.pidsLimit }),
    },
  };
}

function toMount(m: DockerMount): Docker.MountSettings {
  return {
    Type: m.type ?? 'bind',
    Target: m.target,
    Source: m.source ?? '',
    ...(m.readOnly === undefined ? {} : { ReadOnly: m.readOnly }),
  };
}

/** Exit code `docker run` reports when the runtime cannot start the command, if the message says so. */
export function startFailureExitCode(message: string): number | undefined {
  if (/executable file not found|no such file or directory/i.test(message)) return 127;
  if (/permission denied|exec format error/i.test(message)) return 126;
  return undefined;
}

/** Removes a container, tolerating one that is already gone or being removed. */
export async function removeContainer(container: Docker.Container): Promise<void> {
  try {
    await container.remove({ force: true, v: false });
  } catch (error) {
    const s = statusOf(error);
    if (s !== 404 && s !== 409) throw error;
  }
}

/**
 * Creates the container, attaches to it, starts it, feeds stdin, streams demultiplexed output into `run` and
 * settles it with the exit code once the container has been removed (kept only with `keep`, never after a stop).
 */
export async function runContainer(
  docker: Docker,
  target: DockerRunTarget,
  req: RunContainerRequest,
  run: CommandRun,
  connection: DockerConnectionOptions | undefined,
  live: Set<Promise<unknown>>,
): Promise<void> {
  let container: Docker.Container;
  try {
    container = await docker.createContainer(
      containerSpec(target, req.argv, req.env, req.cwd, req.stdin !== undefined),
    );
  } catch (error) {
    run.fail(toDockerError('container create', error, connection));
    return;
  }
  let removal: Promise<void> | undefined;
  const remove = (): Promise<void> => {
    if (removal === undefined) {
      removal = removeContainer(container);
      live.add(removal);
      void removal.catch(() => undefined).finally(() => live.delete(removal!));
    }
    return removal;
  };
  run.onStop(() => void remove().catch(() => undefined));
  let exitCode: number | null = null;
  let failure: unknown;
  try {
    if (run.stopReason === undefined) {
      const stream = (await container.attach({
        stream: true,
        hijack: true,
        stdin: req.stdin !== undefined,
        stdout: true,
        stderr: true,
      })) as NodeJS.ReadWriteStream;
      const ended = new Promise<void>((resolve) => {
        stream.on('end', resolve);
        stream.on('close', resolve);
        stream.on('error', () => resolve());
      });
      stream.on(
        'data',
        createDemuxer((s, chunk) => run.output(s, chunk)),
      );
      run.onStop(() => (stream as unknown as { destroy(): void }).destroy());
      try {
        await container.start();
      } catch (error) {
        // The runtime could not start argv[0] (like `docker run`: 127 not found, 126 not executable): a failed
        // command, not an API failure.
        const code = startFailureExitCode(reasonOf(error));
        if (code === undefined) throw error;
        run.output('stderr', Buffer.from(`${reasonOf(error)}\n`));
        (stream as unknown as { destroy(): void }).destroy();
        await remove();
        return run.finish({ exitCode: code });
      }
      if (req.stdin !== undefined) stream.end(req.stdin);
      const [waited] = await Promise.all([container.wait() as Promise<{ StatusCode: number }>, ended]);
      exitCode = waited.StatusCode;
    }
  } catch (error) {
    failure = toDockerError('container run', error, connection);
  }
  try {
    if (!target.keep || run.stopReason !== undefined) await remove();
  } catch (error) {
    failure ??= toDockerError('container remove', error, connection);
  }
  if (failure !== undefined || run.stopReason !== undefined) run.fail(failure);
  else run.finish({ exitCode });
}
