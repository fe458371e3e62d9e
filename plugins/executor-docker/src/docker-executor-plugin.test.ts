import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine, type Executor, workflow } from '@flowlane/core';
import { type DockerService, startDocker } from '@flowlane/testing';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerExecutor } from './docker-executor-plugin.js';
import { EXECUTOR_LABEL } from './run-container.js';

let service: DockerService;
let client: Docker;
let local: string;

beforeAll(async () => {
  service = await startDocker();
  client = new Docker({ socketPath: service.socketPath });
  const app = await client.createContainer({
    name: 'web',
    Image: service.image,
    Cmd: ['sleep', '3600'],
    HostConfig: { NetworkMode: 'none' },
  });
  await app.start();
  local = await mkdtemp(join(tmpdir(), 'flowlane-docker-e2e-'));
}, 60_000);

afterAll(async () => {
  await service?.dispose();
  if (local) await rm(local, { recursive: true, force: true });
}, 60_000);

describe('dockerExecutor plugin', () => {
  it('runs workflow nodes through ctx.exec with executor: { name, target }', async () => {
    let executor: Executor | undefined;
    const engine = createEngine({
      plugins: [
        dockerExecutor({
          connection: { socketPath: service.socketPath },
          pullPolicy: 'never',
          targets: { test: { mode: 'run', image: service.image, network: 'none', env: { SUITE: 'unit' } } },
        }),
        {
          name: 'grab-executor',
          version: '1.0.0',
          flowlane: '^0.1.0',
          setup: (api) => {
            executor = api.executors.get('docker');
          },
        },
      ],
    });
    const artifact = join(local, 'dist.txt');
    await writeFile(artifact, 'v1.2.3');
    const wf = workflow('docker-e2e')
      .addNode('test', async (ctx) => (await ctx.exec('echo "$SUITE tests passed"', { shell: true })).stdout.trim(), {
        executor: { name: 'docker', target: 'test' },
      })
      .addNode(
        'deploy',
        async (ctx) => {
          await executor!.copyIn(artifact, '/srv/app/version', { target: 'web' });
          return (await ctx.exec('cat', { args: ['/srv/app/version'] })).stdout;
        },
        {
          dependsOn: ['test'],
          executor: { name: 'docker', target: 'web' },
          healthCheck: { command: 'test', args: ['-s', '/srv/app/version'] },
        },
      )
      .addNode('fail', (ctx) => ctx.exec('exit 4', { shell: true }), {
        dependsOn: ['deploy'],
        executor: { name: 'docker', target: 'test' },
        onError: 'continue',
      })
      .build();
    const result = await engine.run(wf, {}).result;
    expect(result.status).toBe('success');
    expect(result.outputs).toMatchObject({ test: 'unit tests passed', deploy: 'v1.2.3' });
    expect(result.nodes.fail?.error?.code).toBe('FL_EXEC_FAILED');
    const back = join(local, 'version');
    await executor!.copyOut('/srv/app/version', back, { target: 'web' });
    expect(await readFile(back, 'utf8')).toBe('v1.2.3');
    await engine.close();
    const leftovers = await client.listContainers({
      all: true,
      filters: JSON.stringify({ label: [EXECUTOR_LABEL] }),
    });
    expect(leftovers).toEqual([]);
  });
});
