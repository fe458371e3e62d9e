import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine, workflow } from '@flowlane/core';
import { type FakeKubeApi, startFakeKubeApi } from '@flowlane/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubernetesExecutor } from './kubernetes-executor-plugin.js';

let api: FakeKubeApi;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flowlane-k8s-e2e-'));
  api = await startFakeKubeApi({ cwd: dir, pods: [{ name: 'web-0', labels: { app: 'web' } }] });
});

afterAll(async () => {
  await api?.dispose();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('kubernetesExecutor plugin', () => {
  it('runs workflow nodes through ctx.exec with executor: { name, target }, with health check and rollback', async () => {
    const engine = createEngine({
      plugins: [
        kubernetesExecutor({
          kubeConfig: { from: 'yaml', yaml: api.kubeconfig },
          targets: { web: { labelSelector: 'app=web' } },
        }),
      ],
    });
    const marker = join(dir, 'rolled-back');
    const wf = workflow('k8s-e2e')
      .addNode(
        'deploy',
        async (ctx) => (await ctx.exec('echo "deployed to $(basename "$PWD")"', { shell: true })).stdout.trim(),
        {
          executor: { name: 'kubernetes', target: 'web' },
          healthCheck: { command: 'true' },
          rollback: { command: 'touch', args: [marker] },
        },
      )
      .addNode('verify', (ctx) => ctx.exec('exit 2', { shell: true }), {
        dependsOn: ['deploy'],
        executor: { name: 'kubernetes', target: 'default/web-0:main' },
      })
      .build();
    const result = await engine.run(wf, {}).result;
    expect(result.status).toBe('failed');
    expect(result.outputs.deploy).toMatch(/^deployed to flowlane-k8s-e2e-/);
    expect(result.nodes.verify?.error?.code).toBe('FL_EXEC_FAILED');
    expect(existsSync(marker)).toBe(true);
    expect(api.execLog.map((e) => e.pod)).toEqual(['web-0', 'web-0', 'web-0', 'web-0']);
    await engine.close();
    expect(api.processes.size).toBe(0);
  });

  it('runs a node as a Job target and the next one in a pod', async () => {
    const engine = createEngine({
      plugins: [
        kubernetesExecutor({
          kubeConfig: { from: 'file', path: api.kubeconfigPath },
          targets: {
            build: { kind: 'job', image: 'node:20-alpine', env: { TARGET: 'prod' } },
            web: { labelSelector: 'app=web' },
          },
        }),
      ],
    });
    const wf = workflow('k8s-jobs')
      .addNode('build', async (ctx) => (await ctx.exec('echo "built for $TARGET"', { shell: true })).stdout.trim(), {
        executor: { name: 'kubernetes', target: 'build' },
      })
      .addNode('deploy', async (ctx) => (await ctx.exec('echo', { args: ['deployed'] })).stdout.trim(), {
        dependsOn: ['build'],
        executor: { name: 'kubernetes', target: 'web' },
      })
      .build();
    const result = await engine.run(wf, {}).result;
    expect(result.status).toBe('success');
    expect(result.outputs).toMatchObject({ build: 'built for prod', deploy: 'deployed' });
    expect(api.jobLog.at(-1)?.manifest).toMatchObject({
      spec: { template: { spec: { containers: [{ image: 'node:20-alpine' }] } } },
    });
    expect(api.jobs).toEqual([]);
    await engine.close();
  });
});
