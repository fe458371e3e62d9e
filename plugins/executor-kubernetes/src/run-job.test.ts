import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ExecHandle, type ExecResult, type Executor, isFlowlaneError, type OutputChunk } from '@flowlane/core';
import { executorConformance, type FakeKubeApi, startFakeKubeApi } from '@flowlane/testing';
import { BatchV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { isKubernetesExecutorError } from './errors.js';
import { createKubernetesExecutor } from './kubernetes-executor.js';
import type { JobTarget, KubernetesExecutorOptions } from './options.js';

let api: FakeKubeApi;
let dir: string;
let executor: Executor;

const BASE: JobTarget = { kind: 'job', image: 'busybox:1.36' };
const targets: Record<string, JobTarget> = {
  build: {
    ...BASE,
    namespace: 'ci',
    namePrefix: 'Build Step',
    env: { STAGE: 'build', OVERRIDDEN: 'no' },
    resources: { requests: { cpu: '250m' }, limits: { memory: '128Mi' } },
    serviceAccountName: 'builder',
    labels: { team: 'web' },
    annotations: { 'sidecar.istio.io/inject': 'false' },
  },
  plain: BASE,
  split: { ...BASE, logStreams: 'split' },
  kept: { ...BASE, keep: true, namePrefix: 'kept' },
  ghost: { ...BASE, image: 'ghost:404' },
};
/** A client of the fake API, as an operator's kubectl would be: to inspect or delete what the executor made. */
const operator = (): KubeConfig => {
  const kc = new KubeConfig();
  kc.loadFromString(api.kubeconfig);
  return kc;
};
const make = (extra: Partial<KubernetesExecutorOptions> = {}) =>
  createKubernetesExecutor({ kubeConfig: { from: 'file', path: api.kubeconfigPath }, targets, ...extra });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flowlane-k8s-jobs-'));
  api = await startFakeKubeApi({ cwd: dir, jobs: { unpullableImages: ['ghost:404'] } });
  executor = make();
});

afterAll(async () => {
  await executor?.dispose();
  await api?.dispose();
  if (dir) await rm(dir, { recursive: true, force: true });
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

/** The Job the fake created last, and the pid of its command once it runs. */
async function runningJob(): Promise<{ name: string; pid: number }> {
  let found: { name: string; pid: number } | undefined;
  await vi.waitFor(() => {
    const name = api.jobLog.at(-1)?.name;
    const pid = api.jobs.find((j) => j.name === name)?.pid;
    expect(pid).toBeDefined();
    found = { name: name!, pid: pid! };
  });
  return found!;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const jobPods = () => api.pods.filter((p) => p.labels['job-name'] !== undefined && !p.name.startsWith('kept-'));

executorConformance('kubernetes Jobs (fake API server, split log streams)', () => make(), {
  target: 'split',
  // A Job's container has no stdin to write to, and its pod is gone when the command ends: nothing to copy from.
  // The suite checks that each fails with FL_K8S_JOB_UNSUPPORTED, naming what to use instead.
  unsupported: {
    stdin: 'FL_K8S_JOB_UNSUPPORTED',
    copyFile: 'FL_K8S_JOB_UNSUPPORTED',
    copyDirectory: 'FL_K8S_JOB_UNSUPPORTED',
  },
});

describe('Jobs mode', () => {
  it('runs the command as a Job, streams its log while it runs, and deletes the Job afterwards', async () => {
    const handle = executor.exec('echo "$STAGE $OVERRIDDEN $(pwd)"; sleep 0.3; echo done', {
      shell: true,
      target: 'build',
      env: { OVERRIDDEN: 'yes' },
      cwd: '/tmp',
    });
    let settled = false;
    void handle.result.finally(() => {
      settled = true;
    });
    const first = await new Promise<OutputChunk>((resolve) => handle.output$.subscribe(resolve));
    expect(first).toEqual({ stream: 'stdout', data: 'build yes /tmp\n' });
    expect(settled).toBe(false);
    expect(await handle.result).toMatchObject({ exitCode: 0, stdout: 'build yes /tmp\ndone\n', stderr: '' });

    const record = api.jobLog.at(-1)!;
    expect(record.namespace).toBe('ci');
    expect(record.name).toMatch(/^build-step-[a-z0-9]{8}$/);
    expect(record.manifest).toMatchObject({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { labels: { team: 'web', 'app.kubernetes.io/managed-by': 'flowlane' } },
      spec: {
        backoffLimit: 0,
        ttlSecondsAfterFinished: 300,
        template: {
          metadata: { annotations: { 'sidecar.istio.io/inject': 'false' } },
          spec: {
            restartPolicy: 'Never',
            serviceAccountName: 'builder',
            containers: [
              {
                name: 'main',
                image: 'busybox:1.36',
                command: ['/bin/sh', '-c', expect.stringContaining('echo'), 'sh'],
                env: [
                  { name: 'STAGE', value: 'build' },
                  { name: 'OVERRIDDEN', value: 'yes' },
                ],
                workingDir: '/tmp',
                resources: { requests: { cpu: '250m' }, limits: { memory: '128Mi' } },
              },
            ],
          },
        },
      },
    });
    expect(api.jobs.some((j) => j.name === record.name)).toBe(false);
    expect(jobPods()).toEqual([]);
  });

  it('passes argv verbatim and reports the combined log as stdout', async () => {
    const hostile = ['$(touch pwned)', '; rm -rf /', 'a\'b"c', '`id`'];
    const { result } = await collect(executor.exec('printf', { args: ['%s\\n', ...hostile], target: 'plain' }));
    expect(result.stdout).toBe(`${hostile.join('\n')}\n`);
    const mixed = await executor.exec('echo out; echo err >&2', { shell: true, target: 'plain' }).result;
    expect(mixed).toMatchObject({ stdout: 'out\nerr\n', stderr: '' });
  });

  it('rejects a non-zero exit code from the terminated state with FL_EXEC_FAILED and deletes the Job', async () => {
    const error = await rejection(executor.exec('echo bad >&2; exit 3', { shell: true, target: 'split' }).result);
    expect(isFlowlaneError(error, 'FL_EXEC_FAILED')).toBe(true);
    expect((error as { details: unknown }).details).toMatchObject({ exitCode: 3, stderr: 'bad\n' });
    expect(api.jobs.some((j) => j.name === api.jobLog.at(-1)!.name)).toBe(false);
    const missing = await rejection(executor.exec('flowlane-no-such-command', { target: 'plain' }).result);
    expect((missing as { details: unknown }).details).toMatchObject({
      exitCode: 128,
      stderr: expect.stringContaining('flowlane-no-such-command'),
    });
    expect(jobPods()).toEqual([]);
  });

  it('deletes the Job and kills its command on timeout and on abort', async () => {
    const timed = executor.exec('sleep', { args: ['31'], target: 'plain', timeout: 1000 });
    const first = await runningJob();
    expect(isFlowlaneError(await rejection(timed.result), 'FL_TIMEOUT')).toBe(true);
    expect(api.jobs.some((j) => j.name === first.name)).toBe(false);
    await vi.waitFor(() => expect(alive(first.pid)).toBe(false), { timeout: 5000 });

    const controller = new AbortController();
    const aborted = executor.exec('sleep', { args: ['32'], target: 'kept', signal: controller.signal });
    const second = await runningJob();
    controller.abort();
    expect(isFlowlaneError(await rejection(aborted.result), 'FL_CANCELLED')).toBe(true);
    expect(api.jobs.some((j) => j.name === second.name)).toBe(false); // even with keep: true
    await vi.waitFor(() => expect(alive(second.pid)).toBe(false), { timeout: 5000 });
    expect(api.processes.size).toBe(0);
    expect(jobPods()).toEqual([]);
  });

  it('keeps the Job, its pod and its log with keep: true', async () => {
    expect((await executor.exec('echo', { args: ['kept'], target: 'kept' }).result).stdout).toBe('kept\n');
    const record = api.jobLog.at(-1)!;
    expect((record.manifest as { spec: object }).spec).not.toHaveProperty('ttlSecondsAfterFinished');
    expect(api.jobs.find((j) => j.name === record.name)).toMatchObject({ state: 'succeeded', exitCode: 0 });
    const pod = api.pods.find((p) => p.job === record.name)!;
    expect(pod.phase).toBe('Succeeded');
    expect(
      await operator().makeApiClient(CoreV1Api).readNamespacedPodLog({ name: pod.name, namespace: 'default' }),
    ).toBe('kept\n');
  });

  it('stops a command that exceeds maxOutputBytes and deletes its Job', async () => {
    const error = await rejection(executor.exec('yes', { target: 'plain', maxOutputBytes: 64 * 1024 }).result);
    expect(isFlowlaneError(error, 'FL_EXEC_OUTPUT_LIMIT')).toBe(true);
    await vi.waitFor(() => expect(api.processes.size).toBe(0), { timeout: 5000 });
    expect(jobPods()).toEqual([]);
  });

  it('watches the pod while it is pending, instead of polling: one list and one watch per wait', async () => {
    const slow = await startFakeKubeApi({ cwd: dir, jobs: { startDelayMs: 1500 } });
    const late = createKubernetesExecutor({ kubeConfig: { from: 'yaml', yaml: slow.kubeconfig }, targets });
    try {
      expect((await late.exec('echo', { args: ['watched'], target: 'plain' }).result).stdout).toBe('watched\n');
      const podCalls = slow.requestLog.filter(
        (r) => r.method === 'GET' && r.path === '/api/v1/namespaces/default/pods',
      );
      const watches = podCalls.filter((r) => new URLSearchParams(r.query).get('watch') === 'true');
      // Waiting for the pod to start: a list, then a watch that sees it run. Reading the exit code: a list that
      // already shows it. Polling (50 ms doubling to 1 s) would have listed ~6 times during the 1.5 s start delay.
      expect(podCalls.length - watches.length).toBe(2);
      expect(watches).toHaveLength(1);
      const query = new URLSearchParams(watches[0]!.query);
      expect(query.get('labelSelector')).toMatch(/^job-name=/);
      expect(Number(query.get('resourceVersion'))).toBeGreaterThan(0);
      expect(query.get('timeoutSeconds')).toBe('20');
    } finally {
      await late.dispose();
      await slow.dispose();
    }
  });

  it('lists and watches again when the server ends a watch before the pod changed', async () => {
    const slow = await startFakeKubeApi({ cwd: dir, jobs: { startDelayMs: 2500 }, maxWatchSeconds: 0.3 });
    const late = createKubernetesExecutor({ kubeConfig: { from: 'yaml', yaml: slow.kubeconfig }, targets });
    try {
      expect((await late.exec('echo', { args: ['again'], target: 'plain' }).result).stdout).toBe('again\n');
      const watches = slow.requestLog.filter((r) => new URLSearchParams(r.query).get('watch') === 'true');
      expect(watches.length).toBeGreaterThanOrEqual(2);
      // Each watch ended at once and empty, so the next one waited a second: a few watches, never a tight loop.
      expect(watches.length).toBeLessThanOrEqual(4);
    } finally {
      await late.dispose();
      await slow.dispose();
    }
  });

  it('waits for a pending pod, fails fast on an image that cannot be pulled, and reports a vanished Job', async () => {
    const slow = await startFakeKubeApi({ cwd: dir, jobs: { startDelayMs: 400 } });
    const late = createKubernetesExecutor({ kubeConfig: { from: 'yaml', yaml: slow.kubeconfig }, targets });
    expect((await late.exec('echo', { args: ['late'], target: 'plain' }).result).stdout).toBe('late\n');
    await late.dispose();
    await slow.dispose();

    const ghost = await rejection(executor.exec('true', { target: 'ghost' }).result);
    expect(isKubernetesExecutorError(ghost, 'FL_K8S_JOB_START_FAILED')).toBe(true);
    expect((ghost as { details: { reason: string } }).details.reason).toBe('ErrImagePull');
    expect(api.jobs.some((j) => j.name === api.jobLog.at(-1)!.name)).toBe(false);

    const handle = executor.exec('sleep', { args: ['33'], target: 'plain' });
    const { name } = await runningJob();
    await operator()
      .makeApiClient(BatchV1Api)
      .deleteNamespacedJob({ name, namespace: 'default', propagationPolicy: 'Background' });
    const lost = await rejection(handle.result);
    // Whichever request notices first (log follow, pod read, Job read), the deletion is reported as a lost Job.
    expect(lost).toMatchObject({ code: 'FL_K8S_JOB_LOST', details: { job: name } });
    expect(isKubernetesExecutorError(lost, 'FL_K8S_JOB_LOST')).toBe(true);
  });

  it('refuses stdin and artifacts on Job targets with FL_K8S_JOB_UNSUPPORTED', async () => {
    const code = async (p: Promise<unknown>) => {
      const e = await rejection(p);
      return isKubernetesExecutorError(e) ? `${e.code} ${(e.details as { feature: string }).feature}` : e;
    };
    expect(await code(executor.exec('cat', { target: 'plain', stdin: 'x' }).result)).toBe(
      'FL_K8S_JOB_UNSUPPORTED stdin',
    );
    expect(await code(executor.copyIn(dir, '/tmp/x', { target: 'plain' }))).toBe('FL_K8S_JOB_UNSUPPORTED copyIn');
    // Refused for the target before the local path is looked at.
    expect(await code(executor.copyIn(join(dir, 'no-such-file'), '/tmp/x', { target: 'plain' }))).toBe(
      'FL_K8S_JOB_UNSUPPORTED copyIn',
    );
    expect(await code(executor.copyOut('/tmp/x', join(dir, 'x'), { target: 'plain' }))).toBe(
      'FL_K8S_JOB_UNSUPPORTED copyOut',
    );
  });

  it('checks health of a Job target through its namespace', async () => {
    expect(await executor.healthCheck({ target: 'build' })).toMatchObject({ healthy: true });
    const wrong = createKubernetesExecutor({
      kubeConfig: { from: 'yaml', yaml: api.kubeconfig.replace(`token: ${api.token}`, 'token: wrong') },
      targets,
    });
    expect(await wrong.healthCheck({ target: 'build' })).toMatchObject({ healthy: false });
    expect(
      isKubernetesExecutorError(await rejection(wrong.exec('true', { target: 'plain' }).result), 'FL_K8S_UNAUTHORIZED'),
    ).toBe(true);
    await wrong.dispose();
  });

  it('dispose deletes the Jobs of running commands', async () => {
    const ex = make();
    const handle = ex.exec('sleep', { args: ['34'], target: 'plain' });
    const { name, pid } = await runningJob();
    await ex.dispose();
    expect(isFlowlaneError(await rejection(handle.result), 'FL_CANCELLED')).toBe(true);
    expect(api.jobs.some((j) => j.name === name)).toBe(false);
    await vi.waitFor(() => expect(alive(pid)).toBe(false), { timeout: 5000 });
  });
});
