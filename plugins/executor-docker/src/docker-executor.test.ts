import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ExecHandle, type ExecResult, type Executor, isFlowlaneError, type OutputChunk } from '@flowlane/core';
import { type DockerService, executorConformance, startDocker } from '@flowlane/testing';
import Docker from 'dockerode';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createDockerExecutor } from './docker-executor.js';
import { isDockerExecutorError } from './errors.js';
import type { DockerExecutorOptions } from './options.js';
import { EXECUTOR_LABEL } from './run-container.js';

let service: DockerService;
let client: Docker;
let executor: Executor;
let local: string;
const APP = 'flowlane-app';
const STOPPED = 'flowlane-stopped';
const VOLUME = 'flowlane-work';

const options = (): DockerExecutorOptions => ({
  connection: { socketPath: service.socketPath },
  pullPolicy: 'never',
  targets: {
    box: { mode: 'run', image: service.image, network: 'none' },
    configured: {
      mode: 'run',
      image: service.image,
      network: 'none',
      env: { FROM_TARGET: 'target', SHARED: 'target' },
      workdir: '/tmp',
      user: 'nobody',
    },
    work: {
      mode: 'run',
      image: service.image,
      network: 'none',
      mounts: [{ type: 'volume', source: VOLUME, target: '/work' }],
    },
    app: { mode: 'exec', container: APP },
  },
});

async function collect(handle: ExecHandle): Promise<{ chunks: OutputChunk[]; result: ExecResult }> {
  const chunks: OutputChunk[] = [];
  handle.output$.subscribe((c) => chunks.push(c));
  return { chunks, result: await handle.result };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.unreachable('expected a rejection'),
    (e: unknown) => e,
  );
}

/** Containers created by the executor (run mode), running or not. */
async function executorContainers(): Promise<Docker.ContainerInfo[]> {
  return client.listContainers({ all: true, filters: JSON.stringify({ label: [EXECUTOR_LABEL] }) });
}

/** Processes in the exec-mode container whose command line starts with `prefix`. */
async function processesIn(container: string, prefix: string): Promise<string[]> {
  const { result } = await collect(executor.exec('ps', { args: ['-o', 'pid,args'], target: container }));
  return result.stdout.split('\n').filter((l) =>
    l
      .trim()
      .replace(/^\d+\s+/, '')
      .startsWith(prefix),
  );
}

beforeAll(async () => {
  service = await startDocker();
  client = new Docker({ socketPath: service.socketPath });
  const app = await client.createContainer({
    name: APP,
    Image: service.image,
    Cmd: ['sleep', '3600'],
    HostConfig: { NetworkMode: 'none' },
  });
  await app.start();
  await client.createContainer({
    name: STOPPED,
    Image: service.image,
    Cmd: ['true'],
    HostConfig: { NetworkMode: 'none' },
  });
  executor = createDockerExecutor(options());
  local = await mkdtemp(join(tmpdir(), 'flowlane-docker-test-'));
}, 60_000);

afterAll(async () => {
  await executor?.dispose();
  await service?.dispose();
  if (local) await rm(local, { recursive: true, force: true });
}, 60_000);

afterEach(async () => {
  // No test leaves a run-mode container behind, whatever its outcome.
  expect(await executorContainers()).toEqual([]);
});

let remotes = 0;
/** The busybox test image has no `printenv` applet. */
const commands = { printEnv: (name: string) => ({ command: 'sh', args: ['-c', `printf '%s\\n' "$${name}"`] }) };
executorConformance('docker (run mode)', () => createDockerExecutor(options()), {
  target: 'work',
  commands,
  remotePath: (leaf) => `/work/conformance-${++remotes}/${leaf}`,
});
executorConformance('docker (exec mode)', () => createDockerExecutor(options()), {
  target: APP,
  commands,
  remotePath: (leaf) => `/tmp/conformance-${++remotes}/${leaf}`,
});

describe('run mode', () => {
  it('streams demultiplexed stdout and stderr and resolves with the exit code', async () => {
    const { chunks, result } = await collect(
      executor.exec('echo out; echo err >&2; echo more', { shell: true, target: 'box' }),
    );
    expect(result).toMatchObject({ exitCode: 0, stdout: 'out\nmore\n', stderr: 'err\n' });
    expect(chunks.filter((c) => c.stream === 'stderr').map((c) => c.data)).toEqual(['err\n']);
    expect(
      chunks
        .filter((c) => c.stream === 'stdout')
        .map((c) => c.data)
        .join(''),
    ).toBe('out\nmore\n');
  });

  it('passes arguments verbatim, without a shell', async () => {
    const hostile = ['$(touch /tmp/pwned)', '; rm -rf /', 'a\'b"c', '`id`', '*'];
    const { result } = await collect(executor.exec('printf', { args: ['%s\\n', ...hostile], target: 'box' }));
    expect(result.stdout).toBe(`${hostile.join('\n')}\n`);
  });

  it('applies env, workdir, user and network mode; command env wins over target env', async () => {
    const { result } = await collect(
      executor.exec('echo "$FROM_TARGET $SHARED $FROM_CMD"; pwd; id -un; ls /sys/class/net', {
        shell: true,
        target: 'configured',
        env: { SHARED: 'command', FROM_CMD: 'cmd' },
      }),
    );
    expect(result.stdout).toBe('target command cmd\n/tmp\nnobody\nlo\n');
  });

  it('feeds stdin', async () => {
    const { result } = await collect(executor.exec('cat', { stdin: 'hello\nworld', target: 'box' }));
    expect(result.stdout).toBe('hello\nworld');
  });

  it('rejects a non-zero exit with FL_EXEC_FAILED carrying the result, unless allowFailure', async () => {
    const error = await rejection(executor.exec('echo bad >&2; exit 3', { shell: true, target: 'box' }).result);
    expect(isFlowlaneError(error, 'FL_EXEC_FAILED')).toBe(true);
    expect((error as { details: unknown }).details).toMatchObject({ exitCode: 3, stderr: 'bad\n' });
    expect((error as { result: ExecResult }).result).toMatchObject({ exitCode: 3, stderr: 'bad\n' });
    const ok = await executor.exec('exit 3', { shell: true, target: 'box', allowFailure: true }).result;
    expect(ok.exitCode).toBe(3);
  });

  it('reports a missing binary as a failed command with exit code 127, like docker run', async () => {
    const error = await rejection(executor.exec('/no/such/binary', { target: 'box' }).result);
    expect(isFlowlaneError(error, 'FL_EXEC_FAILED')).toBe(true);
    expect((error as { details: unknown }).details).toMatchObject({ exitCode: 127 });
    expect((error as { details: { stderr: string } }).details.stderr).toContain('/no/such/binary');
  });

  it('keeps the container with keep, with mounts and resource limits applied', async () => {
    const hostDir = await mkdtemp(join(local, 'bind-'));
    await writeFile(join(hostDir, 'greeting'), 'from the host');
    const keeper = createDockerExecutor({
      ...options(),
      targets: {
        kept: {
          mode: 'run',
          image: service.image,
          network: 'none',
          keep: true,
          labels: { purpose: 'keep-test' },
          mounts: [
            { source: hostDir, target: '/data', readOnly: true },
            { type: 'tmpfs', target: '/scratch' },
          ],
          resources: { memoryBytes: 64 * 1024 * 1024, cpus: 0.5, pidsLimit: 64 },
        },
      },
    });
    try {
      const { result } = await collect(
        keeper.exec(
          'cat /data/greeting; touch /data/x 2>/dev/null || echo " read-only"; touch /scratch/ok && echo " tmpfs"',
          {
            shell: true,
            target: 'kept',
          },
        ),
      );
      expect(result.stdout).toBe('from the host read-only\n tmpfs\n');
      const kept = await executorContainers();
      expect(kept).toHaveLength(1);
      const info = await client.getContainer(kept[0]!.Id).inspect();
      expect(info.Config.Labels).toMatchObject({ purpose: 'keep-test', [EXECUTOR_LABEL]: 'docker' });
      expect(info.HostConfig).toMatchObject({ Memory: 64 * 1024 * 1024, NanoCpus: 500_000_000, PidsLimit: 64 });
      await client.getContainer(kept[0]!.Id).remove({ force: true });
    } finally {
      await keeper.dispose();
    }
  });

  it('removes the container after a timeout (FL_TIMEOUT)', async () => {
    const handle = executor.exec('sleep', { args: ['300'], target: 'box', timeout: 300 });
    const error = await rejection(handle.result);
    expect(isFlowlaneError(error, 'FL_TIMEOUT')).toBe(true);
  });

  it('removes the container when aborted (FL_CANCELLED), also before it started', async () => {
    const controller = new AbortController();
    const handle = executor.exec('echo started; sleep 300', { shell: true, target: 'box', signal: controller.signal });
    const started = new Promise<void>((resolve) => handle.output$.subscribe(() => resolve()));
    await started;
    controller.abort();
    expect(isFlowlaneError(await rejection(handle.result), 'FL_CANCELLED')).toBe(true);

    const early = executor.exec('sleep', { args: ['300'], target: 'box' });
    early.kill('changed my mind');
    const error = await rejection(early.result);
    expect(isFlowlaneError(error, 'FL_CANCELLED')).toBe(true);
    expect((error as Error).message).toContain('changed my mind');
  });

  it('stops a command that exceeds maxOutputBytes', async () => {
    const error = await rejection(executor.exec('yes', { target: 'box', maxOutputBytes: 64 * 1024 }).result);
    expect(isFlowlaneError(error, 'FL_EXEC_OUTPUT_LIMIT')).toBe(true);
  });
});

describe('pull policy', () => {
  it("'never' with a missing image fails with FL_DOCKER_IMAGE_NOT_FOUND", async () => {
    const ex = createDockerExecutor({
      connection: { socketPath: service.socketPath },
      targets: { missing: { mode: 'run', image: 'flowlane-test/missing:1', pullPolicy: 'never' } },
    });
    const error = await rejection(ex.exec('true', { target: 'missing' }).result);
    expect(isDockerExecutorError(error, 'FL_DOCKER_IMAGE_NOT_FOUND')).toBe(true);
    expect((error as Error).message).toContain('flowlane-test/missing:1');
    expect(await ex.healthCheck({ target: 'missing' })).toMatchObject({ healthy: false });
    await ex.dispose();
  });

  it("'if-not-present' and 'always' fail with FL_DOCKER_IMAGE_PULL_FAILED when no registry is reachable", async () => {
    const ex = createDockerExecutor({
      connection: { socketPath: service.socketPath },
      targets: {
        missing: { mode: 'run', image: 'flowlane-test/missing:1', network: 'none' },
        always: { mode: 'run', image: service.image, network: 'none', pullPolicy: 'always' },
        present: { mode: 'run', image: service.image, network: 'none' },
      },
    });
    const missing = await rejection(ex.exec('true', { target: 'missing' }).result);
    expect(isDockerExecutorError(missing, 'FL_DOCKER_IMAGE_PULL_FAILED')).toBe(true);
    expect((missing as Error).message).toContain('flowlane-test/missing:1');
    const always = await rejection(ex.exec('true', { target: 'always' }).result);
    expect(isDockerExecutorError(always, 'FL_DOCKER_IMAGE_PULL_FAILED')).toBe(true);
    // A present image is used without pulling.
    expect((await ex.exec('true', { target: 'present' }).result).exitCode).toBe(0);
    await ex.dispose();
  });
});

describe('exec mode', () => {
  it('runs in a running container with env, cwd, user and stdin', async () => {
    const { result } = await collect(
      executor.exec('echo "$GREETING"; pwd; id -un; cat', {
        shell: true,
        target: APP,
        env: { GREETING: 'hi' },
        cwd: '/etc',
        stdin: 'piped',
      }),
    );
    expect(result).toMatchObject({ exitCode: 0, stdout: 'hi\n/etc\nroot\npiped', stderr: '' });
    const nobody = createDockerExecutor({
      connection: { socketPath: service.socketPath },
      targets: { app: { mode: 'exec', container: APP, user: 'nobody', workdir: '/tmp', env: { X: '1' } } },
      defaultTarget: 'app',
    });
    expect((await nobody.exec('echo $X; id -un; pwd', { shell: true }).result).stdout).toBe('1\nnobody\n/tmp\n');
    await nobody.dispose();
  });

  it('reports exit codes and FL_EXEC_FAILED', async () => {
    const error = await rejection(executor.exec('exit 7', { shell: true, target: 'app' }).result);
    expect((error as { details: { exitCode: number } }).details.exitCode).toBe(7);
    expect((await executor.exec('false', { target: 'app', allowFailure: true }).result).exitCode).toBe(1);
  });

  it('kills the whole process group on abort and on timeout', async () => {
    const controller = new AbortController();
    const handle = executor.exec('sleep 301 & echo started; sleep 302', {
      shell: true,
      target: 'app',
      signal: controller.signal,
    });
    await new Promise<void>((resolve) => handle.output$.subscribe(() => resolve()));
    expect(await processesIn('app', 'sleep 30')).toHaveLength(2);
    controller.abort();
    expect(isFlowlaneError(await rejection(handle.result), 'FL_CANCELLED')).toBe(true);
    expect(await processesIn('app', 'sleep 30')).toEqual([]);

    const timed = executor.exec('sleep 303 & sleep 304', { shell: true, target: 'app', timeout: 300 });
    expect(isFlowlaneError(await rejection(timed.result), 'FL_TIMEOUT')).toBe(true);
    expect(await processesIn('app', 'sleep 30')).toEqual([]);
  });

  it('fails with typed errors for missing, stopped and unnamed containers', async () => {
    const missing = await rejection(executor.exec('true', { target: 'no-such-container' }).result);
    expect(isDockerExecutorError(missing, 'FL_DOCKER_CONTAINER_NOT_FOUND')).toBe(true);
    const stopped = await rejection(executor.exec('true', { target: STOPPED }).result);
    expect(isDockerExecutorError(stopped, 'FL_DOCKER_CONTAINER_NOT_RUNNING')).toBe(true);
    const none = await rejection(executor.exec('true').result);
    expect(isDockerExecutorError(none, 'FL_DOCKER_TARGET_REQUIRED')).toBe(true);
    expect((none as Error).message).toContain('box');
  });
});

describe('artifacts', () => {
  const sha = (data: string) => createHash('sha256').update(data).digest('hex');

  it('copies a file in (creating parents) and out, with size and checksum', async () => {
    const file = join(local, 'report.txt');
    await writeFile(file, 'report body');
    const into = await executor.copyIn(file, '/tmp/deep/er/report.txt', { target: 'app' });
    expect(into).toEqual({ bytes: 11, files: 1, sha256: sha('report body') });
    expect((await executor.exec('cat', { args: ['/tmp/deep/er/report.txt'], target: 'app' }).result).stdout).toBe(
      'report body',
    );
    // Existing directories keep their modes.
    expect((await executor.exec('stat', { args: ['-c', '%a', '/tmp'], target: 'app' }).result).stdout).toBe('1777\n');
    const back = join(local, 'out', 'report-copy.txt');
    expect(await executor.copyOut('/tmp/deep/er/report.txt', back, { target: 'app' })).toEqual(into);
    expect(await readFile(back, 'utf8')).toBe('report body');
  });

  it('copies directories recursively, keeping symlinks inside the tree', async () => {
    const dir = join(local, 'dist');
    await mkdir(join(dir, 'assets', 'img'), { recursive: true });
    await writeFile(join(dir, 'index.html'), '<html/>');
    await writeFile(join(dir, 'assets', 'app.js'), 'console.log(1)');
    await writeFile(join(dir, 'assets', 'img', 'logo.svg'), '<svg/>');
    await symlink('index.html', join(dir, 'home.html'));
    const into = await executor.copyIn(dir, '/srv/site', { target: 'app' });
    expect(into).toEqual({ bytes: 7 + 14 + 6, files: 3 });
    const listing = await executor.exec('find /srv/site | sort; cat /srv/site/home.html', {
      shell: true,
      target: 'app',
    }).result;
    expect(listing.stdout).toBe(
      '/srv/site\n/srv/site/assets\n/srv/site/assets/app.js\n/srv/site/assets/img\n/srv/site/assets/img/logo.svg\n/srv/site/home.html\n/srv/site/index.html\n<html/>',
    );
    const back = join(local, 'site-copy');
    expect(await executor.copyOut('/srv/site', back, { target: 'app' })).toEqual(into);
    expect(await readFile(join(back, 'assets', 'img', 'logo.svg'), 'utf8')).toBe('<svg/>');
    expect(await readlink(join(back, 'home.html'))).toBe('index.html');
  });

  it('moves artifacts through a run target’s volume between commands', async () => {
    const dir = join(local, 'src');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'input.txt'), 'abc');
    await executor.copyIn(dir, '/work/src', { target: 'work' });
    await executor.exec('wc -c < /work/src/input.txt > /work/count.txt', { shell: true, target: 'work' }).result;
    const out = join(local, 'count.txt');
    expect(await executor.copyOut('/work/count.txt', out, { target: 'work' })).toMatchObject({ files: 1 });
    expect((await readFile(out, 'utf8')).trim()).toBe('3');
  });

  it('fails with FL_DOCKER_PATH_NOT_FOUND for missing sources', async () => {
    const remote = await rejection(executor.copyOut('/no/such/path', join(local, 'x'), { target: 'app' }));
    expect(isDockerExecutorError(remote, 'FL_DOCKER_PATH_NOT_FOUND')).toBe(true);
    const here = await rejection(executor.copyIn(join(local, 'missing'), '/tmp/x', { target: 'app' }));
    expect(isDockerExecutorError(here, 'FL_DOCKER_PATH_NOT_FOUND')).toBe(true);
  });
});

describe('aborting copies', () => {
  /** Resolves once `probe` says enough data has moved (polls every 5 ms; progress-based, not a fixed delay). */
  const progressed = async (probe: () => Promise<boolean>): Promise<void> => {
    for (let i = 0; i < 2000; i++) {
      if (await probe()) return;
      await new Promise((r) => setTimeout(r, 5));
    }
    throw new Error('the copy made no progress');
  };
  /** Bytes this process has read through syscalls so far (`rchar` of /proc/self/io). */
  const bytesRead = async () => Number(/rchar: (\d+)/.exec(await readFile('/proc/self/io', 'utf8'))?.[1] ?? 0);
  const exists = async (path: string) =>
    (await executor.exec('test', { args: ['-e', path], target: 'app', allowFailure: true }).result).exitCode === 0;

  it('rejects an already-aborted copy with FL_CANCELLED and copies nothing', async () => {
    const file = join(local, 'never.txt');
    await writeFile(file, 'never');
    const into = await rejection(
      executor.copyIn(file, '/tmp/never.txt', { target: 'app', signal: AbortSignal.abort('stop') }),
    );
    expect(isFlowlaneError(into, 'FL_CANCELLED')).toBe(true);
    expect(await exists('/tmp/never.txt')).toBe(false);
    const out = await rejection(
      executor.copyOut('/etc/hostname', join(local, 'never-out'), { target: 'app', signal: AbortSignal.abort() }),
    );
    expect(isFlowlaneError(out, 'FL_CANCELLED')).toBe(true);
  });

  it('stops a large copy in and a large copy out mid-transfer, then copies normally again', async () => {
    const big = join(local, 'big.bin');
    await writeFile(big, Buffer.alloc(96 * 1024 * 1024, 7));
    const ctrl = new AbortController();
    const before = await bytesRead();
    const copying = executor.copyIn(big, '/tmp/big-in.bin', { target: 'app', signal: ctrl.signal });
    await progressed(async () => (await bytesRead()) - before > 8 * 1024 * 1024);
    ctrl.abort();
    expect(isFlowlaneError(await rejection(copying), 'FL_CANCELLED')).toBe(true);

    await executor.exec('dd if=/dev/zero of=/tmp/big-out.bin bs=1M count=96 2>/dev/null', {
      shell: true,
      target: 'app',
    }).result;
    const dest = join(local, 'big-out');
    const out = new AbortController();
    const copyingOut = executor.copyOut('/tmp/big-out.bin', dest, { target: 'app', signal: out.signal });
    await progressed(async () => ((await stat(dest).catch(() => undefined))?.size ?? 0) > 8 * 1024 * 1024);
    out.abort();
    expect(isFlowlaneError(await rejection(copyingOut), 'FL_CANCELLED')).toBe(true);
    expect((await stat(dest)).size).toBeLessThan(96 * 1024 * 1024);

    // The executor still works: nothing is stuck on the aborted requests.
    const small = join(local, 'after-abort.txt');
    await writeFile(small, 'fine');
    expect(await executor.copyIn(small, '/tmp/after-abort.txt', { target: 'app' })).toMatchObject({ bytes: 4 });
    await executor.exec('rm', { args: ['-f', '/tmp/big-in.bin', '/tmp/big-out.bin'], target: 'app' }).result;
  }, 30_000);
});

describe('health and lifecycle', () => {
  it('pings the daemon and checks targets', async () => {
    expect(await executor.healthCheck()).toMatchObject({ healthy: true });
    expect(await executor.healthCheck({ target: 'app' })).toMatchObject({ healthy: true });
    expect(await executor.healthCheck({ target: 'box' })).toMatchObject({ healthy: true });
    expect(await executor.healthCheck({ target: STOPPED })).toMatchObject({ healthy: false });
  });

  it('reports an unreachable daemon as FL_DOCKER_UNREACHABLE', async () => {
    const gone = createDockerExecutor({
      connection: { socketPath: join(local, 'no-docker.sock') },
      defaultTarget: 'anything',
    });
    const health = await gone.healthCheck();
    expect(health.healthy).toBe(false);
    expect(health.message).toContain('no-docker.sock');
    const error = await rejection(gone.exec('true').result);
    expect(isDockerExecutorError(error, 'FL_DOCKER_UNREACHABLE')).toBe(true);
    await gone.dispose();
  });

  it('dispose stops running commands and refuses new ones', async () => {
    const ex = createDockerExecutor(options());
    const inRun = ex.exec('sleep', { args: ['300'], target: 'box' });
    const inApp = ex.exec('sleep', { args: ['305'], target: 'app' });
    await new Promise((resolve) => setImmediate(resolve));
    await ex.dispose();
    expect(isFlowlaneError(await rejection(inRun.result), 'FL_CANCELLED')).toBe(true);
    expect(isFlowlaneError(await rejection(inApp.result), 'FL_CANCELLED')).toBe(true);
    expect(await processesIn('app', 'sleep 305')).toEqual([]);
    expect(isFlowlaneError(await rejection(ex.exec('true', { target: 'box' }).result), 'FL_CANCELLED')).toBe(true);
  });
});
