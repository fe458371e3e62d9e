/* Internal: exec mode — `docker exec` into a running container, killable through a recorded process group. */
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { CommandRun } from '@flowlane/core';
import type Docker from 'dockerode';
import { createDemuxer } from './demux.js';
import { statusOf, toDockerError } from './docker-errors-map.js';
import { DockerExecutorError } from './errors.js';
import type { DockerConnectionOptions, DockerExecTarget } from './options.js';

/** Records the shell's pid (a process-group leader under `docker exec`), runs the command, cleans up. */
const WRAPPER = 'f=$1; shift; { echo $$ >"$f"; } 2>/dev/null; "$@"; s=$?; rm -f "$f"; exit $s';
/** Kills the recorded process group (and the pid itself, should it not lead a group). */
const KILLER = 'p=$(cat "$0" 2>/dev/null) || exit 0; kill -9 -"$p" 2>/dev/null; kill -9 "$p" 2>/dev/null; rm -f "$0"';

/** What an exec-mode command needs. */
export interface ExecContainerRequest {
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string | undefined;
  readonly stdin: Buffer | undefined;
}

/** Inspects a container; `FL_DOCKER_CONTAINER_NOT_FOUND` for a 404. */
export async function inspectContainer(
  docker: Docker,
  name: string,
  connection: DockerConnectionOptions | undefined,
): Promise<Docker.ContainerInspectInfo> {
  try {
    return await docker.getContainer(name).inspect();
  } catch (error) {
    if (statusOf(error) === 404)
      throw new DockerExecutorError('FL_DOCKER_CONTAINER_NOT_FOUND', { container: name }, { cause: error });
    throw toDockerError('container inspect', error, connection);
  }
}

/** Runs an exec and waits for its end (used for the killer; output discarded). */
async function runQuietly(container: Docker.Container, cmd: string[]): Promise<void> {
  const exec = await container.exec({ Cmd: cmd, User: '0', AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  await new Promise<void>((resolve) => {
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', () => resolve());
    stream.resume();
  });
}

/** Waits until Docker reports the exec finished, then returns its exit code. */
async function exitCodeOf(exec: Docker.Exec): Promise<number | null> {
  for (let attempt = 0; ; attempt++) {
    const info = await exec.inspect();
    if (!info.Running || attempt >= 50) return info.Running ? null : info.ExitCode;
    await delay(Math.min(5 * 2 ** attempt, 200));
  }
}

/** Runs one command with `docker exec`, streaming output into `run`; a stop kills its process group. */
export async function execInContainer(
  docker: Docker,
  target: DockerExecTarget,
  req: ExecContainerRequest,
  run: CommandRun,
  connection: DockerConnectionOptions | undefined,
): Promise<void> {
  try {
    const info = await inspectContainer(docker, target.container, connection);
    if (!info.State.Running)
      throw new DockerExecutorError('FL_DOCKER_CONTAINER_NOT_RUNNING', {
        container: target.container,
        state: info.State.Status,
      });
    if (run.stopReason !== undefined) return run.fail(run.stopReason);
    const container = docker.getContainer(info.Id);
    const killable = target.killable ?? true;
    const pidFile = `/tmp/.flowlane-exec-${randomUUID()}.pid`;
    const exec = await container.exec({
      Cmd: killable ? ['/bin/sh', '-c', WRAPPER, 'sh', pidFile, ...req.argv] : [...req.argv],
      Env: Object.entries(req.env).map(([k, v]) => `${k}=${v}`),
      ...(req.cwd === undefined ? {} : { WorkingDir: req.cwd }),
      ...(target.user === undefined ? {} : { User: target.user }),
      AttachStdin: req.stdin !== undefined,
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
    });
    if (run.stopReason !== undefined) return run.fail(run.stopReason);
    const stream = await exec.start({ hijack: true, stdin: req.stdin !== undefined });
    const ended = new Promise<void>((resolve) => {
      stream.on('end', resolve);
      stream.on('close', resolve);
      stream.on('error', () => resolve());
    });
    stream.on(
      'data',
      createDemuxer((s, chunk) => run.output(s, chunk)),
    );
    let killed: Promise<void> | undefined;
    run.onStop(() => {
      killed ??= (async () => {
        if (killable) {
          for (let attempt = 0; attempt < 20 && (await exec.inspect()).Running; attempt++) {
            if (attempt > 0) await delay(Math.min(10 * 2 ** attempt, 250));
            await runQuietly(container, ['/bin/sh', '-c', KILLER, pidFile]);
          }
        }
        (stream as unknown as { destroy(): void }).destroy();
      })().catch(() => (stream as unknown as { destroy(): void }).destroy());
    });
    if (req.stdin !== undefined) stream.end(req.stdin);
    await ended;
    await killed;
    if (run.stopReason !== undefined) return run.fail(run.stopReason);
    run.finish({ exitCode: await exitCodeOf(exec) });
  } catch (error) {
    run.fail(toDockerError('container exec', error, connection));
  }
}
