import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ExecHandle, type ExecResult, type Executor, isFlowlaneError, type OutputChunk } from '@flowlane/core';
import { executorConformance, type FakeKubeApi, startFakeKubeApi } from '@flowlane/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { isKubernetesExecutorError } from './errors.js';
import { createKubernetesExecutor } from './kubernetes-executor.js';

let api: FakeKubeApi;
let executor: Executor;
let dir: string;

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

/** True while `pid` exists and is not a zombie. */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

const kubeConfig = () => ({ from: 'yaml' as const, yaml: api.kubeconfig });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flowlane-k8s-test-'));
  api = await startFakeKubeApi({
    cwd: dir,
    pods: [
      { name: 'web-0', labels: { app: 'web' } },
      { name: 'web-1', labels: { app: 'web' }, ready: false },
      { name: 'multi', containers: ['app', 'sidecar'] },
      { name: 'starting', phase: 'Pending' },
      { namespace: 'jobs', name: 'worker', labels: { app: 'worker' } },
    ],
  });
  executor = createKubernetesExecutor({ kubeConfig: kubeConfig(), targets: { web: { labelSelector: 'app=web' } } });
});

afterAll(async () => {
  await executor?.dispose();
  await api?.dispose();
  if (dir) await rm(dir, { recursive: true, force: true });
});

executorConformance('kubernetes (fake API server)', () => createKubernetesExecutor({ kubeConfig: kubeConfig() }), {
  target: 'web-0',
});
executorConformance(
  'kubernetes (killable: false)',
  () => createKubernetesExecutor({ kubeConfig: kubeConfig(), killable: false }),
  { target: 'web-0' },
);

describe('exec', () => {
  it('streams stdout and stderr and resolves with the exit code', async () => {
    const { chunks, result } = await collect(
      executor.exec('echo out; echo err >&2; echo more', { shell: true, target: 'web-0' }),
    );
    expect(result).toMatchObject({ exitCode: 0, stdout: 'out\nmore\n', stderr: 'err\n' });
    expect(chunks.filter((c) => c.stream === 'stderr').map((c) => c.data)).toEqual(['err\n']);
  });

  it('passes arguments verbatim, without a shell', async () => {
    const hostile = ['$(touch pwned)', '; rm -rf /', 'a\'b"c', '`id`', '*', '--help'];
    const { result } = await collect(executor.exec('printf', { args: ['%s\\n', ...hostile], target: 'web-0' }));
    expect(result.stdout).toBe(`${hostile.join('\n')}\n`);
  });

  it('applies env and cwd and feeds stdin (v5 stdin close)', async () => {
    await mkdir(join(dir, 'work'), { recursive: true });
    const { result } = await collect(
      executor.exec('echo "$GREETING"; pwd; cat', {
        shell: true,
        target: 'web-0',
        env: { GREETING: 'hi there' },
        cwd: join(dir, 'work'),
        stdin: 'piped\ninput',
      }),
    );
    expect(result.stdout).toBe(`hi there\n${join(dir, 'work')}\npiped\ninput`);
  });

  it('reads the exit code from the status frame', async () => {
    const error = await rejection(executor.exec('echo bad >&2; exit 3', { shell: true, target: 'web-0' }).result);
    expect(isFlowlaneError(error, 'FL_EXEC_FAILED')).toBe(true);
    expect((error as { details: unknown }).details).toMatchObject({ exitCode: 3, stderr: 'bad\n' });
    expect((error as { result: ExecResult }).result.exitCode).toBe(3);
    const ok = await executor.exec('exit 5', { shell: true, target: 'web-0', allowFailure: true }).result;
    expect(ok.exitCode).toBe(5);
  });

  it('reports a missing command as FL_EXEC_FAILED, with or without the kill wrapper', async () => {
    const wrapped = await rejection(executor.exec('flowlane-no-such-command', { target: 'web-0' }).result);
    expect((wrapped as { details: { exitCode: number } }).details.exitCode).toBe(127);
    const bare = createKubernetesExecutor({ kubeConfig: kubeConfig(), killable: false });
    const error = await rejection(bare.exec('flowlane-no-such-command', { target: 'web-0' }).result);
    expect(isFlowlaneError(error, 'FL_EXEC_FAILED')).toBe(true);
    expect((error as { details: { exitCode: null; stderr: string } }).details).toMatchObject({ exitCode: null });
    expect((error as { details: { stderr: string } }).details.stderr).toContain('ENOENT');
    await bare.dispose();
  });

  it('resolves pods by name, namespace/pod:container and label selector', async () => {
    const seen = () => api.execLog.at(-1);
    await executor.exec('true', { target: 'web' }).result;
    expect(seen()).toMatchObject({ namespace: 'default', pod: 'web-0', container: 'main' });
    await executor.exec('true', { target: 'multi' }).result;
    expect(seen()).toMatchObject({ pod: 'multi', container: 'app' });
    await executor.exec('true', { target: 'default/multi:sidecar' }).result;
    expect(seen()).toMatchObject({ pod: 'multi', container: 'sidecar' });
    await executor.exec('true', { target: 'jobs/worker' }).result;
    expect(seen()).toMatchObject({ namespace: 'jobs', pod: 'worker' });
    const inJobs = createKubernetesExecutor({ kubeConfig: kubeConfig(), namespace: 'jobs', defaultTarget: 'worker' });
    await inJobs.exec('true').result;
    expect(seen()).toMatchObject({ namespace: 'jobs', pod: 'worker' });
    await inJobs.dispose();
  });

  it('fails with typed errors for missing pods, containers, selectors and targets', async () => {
    const code = async (target: string | undefined) => {
      const e = await rejection(executor.exec('true', target === undefined ? {} : { target }).result);
      return isKubernetesExecutorError(e) ? e.code : e;
    };
    expect(await code('nope')).toBe('FL_K8S_POD_NOT_FOUND');
    expect(await code('jobs/web-0')).toBe('FL_K8S_POD_NOT_FOUND');
    expect(await code('multi:db')).toBe('FL_K8S_CONTAINER_NOT_FOUND');
    expect(await code('starting')).toBe('FL_K8S_POD_NOT_RUNNING');
    expect(await code(undefined)).toBe('FL_K8S_TARGET_REQUIRED');
    const selector = createKubernetesExecutor({
      kubeConfig: kubeConfig(),
      targets: { none: { labelSelector: 'app=web,tier=gold' } },
    });
    const e = await rejection(selector.exec('true', { target: 'none' }).result);
    expect(isKubernetesExecutorError(e, 'FL_K8S_NO_READY_POD')).toBe(true);
    await selector.dispose();
  });

  it('kills the process group when aborted or timed out', async () => {
    const controller = new AbortController();
    const handle = executor.exec('sleep 301 & echo $!; sleep 302', {
      shell: true,
      target: 'web-0',
      signal: controller.signal,
    });
    const pid = await new Promise<number>((resolve) => handle.output$.subscribe((c) => resolve(Number(c.data.trim()))));
    expect(alive(pid)).toBe(true);
    controller.abort();
    expect(isFlowlaneError(await rejection(handle.result), 'FL_CANCELLED')).toBe(true);
    await vi.waitFor(() => expect(alive(pid)).toBe(false), { timeout: 5000 });

    // The timeout must leave the command time to print its pid on a loaded machine (300 ms did not, once, under a
    // load of 37: the pid never came and the test hung until its own timeout).
    const timed = executor.exec('sleep 303 & echo $!; sleep 304', { shell: true, target: 'web-0', timeout: 2_000 });
    const pid2 = await Promise.race([
      new Promise<number>((resolve) => timed.output$.subscribe((c) => resolve(Number(c.data.trim())))),
      timed.result.then(
        () => Number.NaN,
        () => Number.NaN,
      ),
    ]);
    expect(pid2, 'the command printed its pid before the timeout').not.toBeNaN();
    expect(isFlowlaneError(await rejection(timed.result), 'FL_TIMEOUT')).toBe(true);
    await vi.waitFor(() => expect(alive(pid2)).toBe(false), { timeout: 5000 });
    await vi.waitFor(() => expect(api.processes.size).toBe(0), { timeout: 5000 });
  });

  it('stops a command that exceeds maxOutputBytes', async () => {
    const error = await rejection(executor.exec('yes', { target: 'web-0', maxOutputBytes: 64 * 1024 }).result);
    expect(isFlowlaneError(error, 'FL_EXEC_OUTPUT_LIMIT')).toBe(true);
    await vi.waitFor(() => expect(api.processes.size).toBe(0), { timeout: 5000 });
  });
});

describe('artifacts (tar over exec)', () => {
  const sha = (data: string) => createHash('sha256').update(data).digest('hex');

  it('copies a file in (creating parents) and out, with size and checksum', async () => {
    const file = join(dir, 'report.txt');
    await writeFile(file, 'report body');
    const remote = join(dir, 'pod-fs', 'deep', 'report.txt');
    expect(await executor.copyIn(file, remote, { target: 'web-0' })).toEqual({
      bytes: 11,
      files: 1,
      sha256: sha('report body'),
    });
    expect(await readFile(remote, 'utf8')).toBe('report body');
    const back = join(dir, 'back', 'report.txt');
    expect(await executor.copyOut(remote, back, { target: 'web-0' })).toEqual({
      bytes: 11,
      files: 1,
      sha256: sha('report body'),
    });
    expect(await readFile(back, 'utf8')).toBe('report body');
  });

  it('copies directories recursively with symlinks', async () => {
    const src = join(dir, 'dist');
    await mkdir(join(src, 'assets'), { recursive: true });
    await writeFile(join(src, 'index.html'), '<html/>');
    await writeFile(join(src, 'assets', 'app.js'), 'console.log(1)');
    await symlink('index.html', join(src, 'home.html'));
    const remote = join(dir, 'pod-fs', 'site');
    expect(await executor.copyIn(src, remote, { target: 'web' })).toEqual({ bytes: 21, files: 2 });
    expect(await readlink(join(remote, 'home.html'))).toBe('index.html');
    const back = join(dir, 'site-copy');
    expect(await executor.copyOut(remote, back, { target: 'web' })).toEqual({ bytes: 21, files: 2 });
    expect(await readFile(join(back, 'assets', 'app.js'), 'utf8')).toBe('console.log(1)');
    expect(await readlink(join(back, 'home.html'))).toBe('index.html');
  });

  it('fails with FL_K8S_PATH_NOT_FOUND for missing sources', async () => {
    const remote = await rejection(executor.copyOut(join(dir, 'nothing-here'), join(dir, 'x'), { target: 'web-0' }));
    expect(isKubernetesExecutorError(remote, 'FL_K8S_PATH_NOT_FOUND')).toBe(true);
    const local = await rejection(executor.copyIn(join(dir, 'missing'), join(dir, 'y'), { target: 'web-0' }));
    expect(isKubernetesExecutorError(local, 'FL_K8S_PATH_NOT_FOUND')).toBe(true);
  });

  it('reports a local write failure of copyOut and stops tar', async () => {
    const blocker = join(dir, 'blocker');
    await writeFile(blocker, 'a file, not a directory');
    const error = await rejection(executor.copyOut(join(dir, 'dist'), join(blocker, 'dist'), { target: 'web-0' }));
    expect((error as NodeJS.ErrnoException).code).toBe('ENOTDIR');
    await vi.waitFor(() => expect(api.processes.size).toBe(0), { timeout: 5000 });
  });
});

describe('aborting copies', () => {
  /** Waits until `size()` passes `bytes` (polls every 5 ms: progress-based, not a fixed delay). */
  const grown = async (size: () => Promise<number>, bytes: number): Promise<void> => {
    for (let i = 0; i < 2000; i++) {
      if ((await size()) > bytes) return;
      await new Promise((r) => setTimeout(r, 5));
    }
    throw new Error('the copy made no progress');
  };
  const sizeOf = (path: string) => async () => (await stat(path).catch(() => undefined))?.size ?? 0;

  it('rejects an already-aborted copy with FL_CANCELLED before any exec', async () => {
    const execs = api.execLog.length;
    const into = await rejection(
      executor.copyIn(join(dir, 'report.txt'), join(dir, 'pod-fs', 'never'), {
        target: 'web-0',
        signal: AbortSignal.abort(),
      }),
    );
    expect(isFlowlaneError(into, 'FL_CANCELLED')).toBe(true);
    const out = await rejection(
      executor.copyOut(join(dir, 'report.txt'), join(dir, 'never'), { target: 'web-0', signal: AbortSignal.abort() }),
    );
    expect(isFlowlaneError(out, 'FL_CANCELLED')).toBe(true);
    expect(api.execLog.length).toBe(execs);
  });

  it('stops a large copy in and out mid-transfer: the exec is hung up, tar ends, the next copy works', async () => {
    const big = join(dir, 'big.bin');
    await writeFile(big, Buffer.alloc(64 * 1024 * 1024, 5));
    const remote = join(dir, 'pod-fs', 'big-in.bin');
    const ctrl = new AbortController();
    const copying = executor.copyIn(big, remote, { target: 'web-0', signal: ctrl.signal });
    await grown(sizeOf(remote), 4 * 1024 * 1024);
    ctrl.abort();
    expect(isFlowlaneError(await rejection(copying), 'FL_CANCELLED')).toBe(true);
    await vi.waitFor(() => expect(api.processes.size).toBe(0), { timeout: 5000 });
    expect(await sizeOf(remote)()).toBeLessThan(64 * 1024 * 1024);

    const back = join(dir, 'big-out.bin');
    const out = new AbortController();
    const copyingOut = executor.copyOut(big, back, { target: 'web-0', signal: out.signal });
    await grown(sizeOf(back), 4 * 1024 * 1024);
    out.abort();
    expect(isFlowlaneError(await rejection(copyingOut), 'FL_CANCELLED')).toBe(true);
    await vi.waitFor(() => expect(api.processes.size).toBe(0), { timeout: 5000 });

    await writeFile(join(dir, 'after.txt'), 'fine');
    expect(
      await executor.copyIn(join(dir, 'after.txt'), join(dir, 'pod-fs', 'after.txt'), { target: 'web-0' }),
    ).toMatchObject({
      bytes: 4,
    });
  }, 30_000);
});

describe('health, auth and lifecycle', () => {
  it('checks the API server and targets', async () => {
    expect(await executor.healthCheck()).toMatchObject({ healthy: true });
    expect(await executor.healthCheck({ target: 'web' })).toMatchObject({ healthy: true });
    const pending = await executor.healthCheck({ target: 'starting' });
    expect(pending).toMatchObject({ healthy: false });
    expect(pending.message).toContain('Pending');
  });

  it('maps 401 to FL_K8S_UNAUTHORIZED on REST and exec', async () => {
    const wrong = createKubernetesExecutor({
      kubeConfig: { from: 'yaml', yaml: api.kubeconfig.replace(`token: ${api.token}`, 'token: wrong') },
      targets: { web: { labelSelector: 'app=web' } },
    });
    expect(
      isKubernetesExecutorError(await rejection(wrong.exec('true', { target: 'web-0' }).result), 'FL_K8S_UNAUTHORIZED'),
    ).toBe(true);
    expect(
      isKubernetesExecutorError(await rejection(wrong.exec('true', { target: 'web' }).result), 'FL_K8S_UNAUTHORIZED'),
    ).toBe(true);
    const health = await wrong.healthCheck();
    expect(health.healthy).toBe(false);
    expect(health.message).toContain('401');
    await wrong.dispose();
  });

  it('verifies the server certificate: without the cluster CA, or with another CA, FL_K8S_TLS_FAILED', async () => {
    const other = await startFakeKubeApi();
    const foreignCa = other.kubeconfig.match(/certificate-authority-data: (\S+)/)![1]!;
    await other.dispose();
    const withoutCa = api.kubeconfig.replace(/^ {4}certificate-authority-data: .*\n/m, '');
    const withForeignCa = api.kubeconfig.replace(/(certificate-authority-data: )\S+/, `$1${foreignCa}`);
    for (const yaml of [withoutCa, withForeignCa]) {
      expect(yaml).not.toBe(api.kubeconfig);
      const untrusting = createKubernetesExecutor({
        kubeConfig: { from: 'yaml', yaml },
        targets: { web: { labelSelector: 'app=web' } },
      });
      for (const target of ['web-0', 'web']) {
        const e = await rejection(untrusting.exec('true', { target }).result);
        expect(isKubernetesExecutorError(e, 'FL_K8S_TLS_FAILED')).toBe(true);
        expect((e as Error).message).toContain(api.server);
        expect((e as Error).message).not.toContain(api.token);
      }
      const health = await untrusting.healthCheck();
      expect(health.healthy).toBe(false);
      expect(health.message).toContain('TLS');
      await untrusting.dispose();
    }
  });

  it('never quotes a malformed kubeconfig in FL_K8S_CONFIG_INVALID (the lines around a YAML error hold tokens)', async () => {
    const token = 'tok-5e3c2a9f-never-print-me';
    const yaml = api.kubeconfig.replace(`token: ${api.token}`, `token: ${token}\n     broken: indent`);
    const path = join(dir, 'broken-kubeconfig');
    await writeFile(path, yaml);
    for (const kubeConfig of [{ from: 'yaml', yaml } as const, { from: 'file', path } as const]) {
      const e = (() => {
        try {
          createKubernetesExecutor({ kubeConfig });
        } catch (error) {
          return error;
        }
        return undefined;
      })();
      expect(isKubernetesExecutorError(e, 'FL_K8S_CONFIG_INVALID')).toBe(true);
      const { message, details, cause } = e as Error & { details: { reason: string } };
      expect(details.reason).toMatch(/^invalid YAML: .+ at line \d+, column \d+$/);
      expect(message).toContain(details.reason);
      expect(cause).toBeUndefined();
      expect(JSON.stringify({ message, details, stack: (e as Error).stack })).not.toContain(token);
    }
  });

  it('maps a closed port to FL_K8S_UNREACHABLE and a bad kubeconfig to FL_K8S_CONFIG_INVALID', async () => {
    const other = await startFakeKubeApi();
    const yaml = other.kubeconfig;
    await other.dispose();
    const gone = createKubernetesExecutor({ kubeConfig: { from: 'yaml', yaml }, defaultTarget: 'web-0' });
    expect(isKubernetesExecutorError(await rejection(gone.exec('true').result), 'FL_K8S_UNREACHABLE')).toBe(true);
    expect((await gone.healthCheck()).healthy).toBe(false);
    await gone.dispose();
    expect(() => createKubernetesExecutor({ kubeConfig: { from: 'file', path: join(dir, 'no-kubeconfig') } })).toThrow(
      expect.objectContaining({ code: 'FL_K8S_CONFIG_INVALID' }),
    );
  });

  it('dispose stops running commands and refuses new ones', async () => {
    const ex = createKubernetesExecutor({ kubeConfig: kubeConfig() });
    const handle = ex.exec('sleep', { args: ['305'], target: 'web-0' });
    await vi.waitFor(() => expect([...api.processes.values()].some((argv) => argv.includes('305'))).toBe(true));
    await ex.dispose();
    expect(isFlowlaneError(await rejection(handle.result), 'FL_CANCELLED')).toBe(true);
    await vi.waitFor(() => expect(api.processes.size).toBe(0), { timeout: 5000 });
    expect(isFlowlaneError(await rejection(ex.exec('true', { target: 'web-0' }).result), 'FL_CANCELLED')).toBe(true);
  });
});
