import { existsSync } from 'node:fs';
import { readdir, readFile, readlink, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createEngine, type FlowEvent, type FlowEventOf, type RunResult } from '@flowlane/core';
import { runningServiceProcesses } from '@flowlane/testing';
import { lastValueFrom, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Environments, startEnvironments } from './environments.js';
import { createReleasePipeline, type PipelineSettings, type ReleaseInput } from './pipeline.js';

let env: Environments;
beforeAll(async () => {
  env = await startEnvironments();
}, 60_000);
afterAll(() => env?.dispose(), 60_000);

/** Runs one release on a fresh engine (closed afterwards), collecting the events a live subscriber sees. */
async function release(
  input: ReleaseInput,
  settings: PipelineSettings = env.settings,
): Promise<{ result: RunResult; events: FlowEvent[] }> {
  const { workflow, plugins } = createReleasePipeline(settings);
  const engine = createEngine({ plugins, artifactsDir: env.artifactsDir });
  try {
    const run = engine.run(workflow, input);
    const events = lastValueFrom(run.events$.pipe(toArray()));
    return { result: await run.result, events: await events };
  } finally {
    await engine.close();
  }
}

const ofType = <T extends FlowEvent['type']>(events: readonly FlowEvent[], type: T) =>
  events.filter((e): e is FlowEventOf<T> => e.type === type);

/** Total size of the files under a local directory. */
async function bytesUnder(dir: string): Promise<{ bytes: number; files: number }> {
  let bytes = 0;
  let files = 0;
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    bytes += (await stat(join(entry.parentPath, entry.name))).size;
    files++;
  }
  return { bytes, files };
}

describe('multi-environment release: build (local) → test (Docker) → deploy (SSH) → verify (Kubernetes)', () => {
  it('moves the build through every environment and serves it', async () => {
    const { result, events } = await release({ version: '1.0.0' });

    expect(result.error).toBeUndefined();
    expect(result.status).toBe('success');
    const sha256 = (result.outputs.build as { sha256: string }).sha256;
    expect(sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(result.outputs).toEqual({
      build: { version: '1.0.0', sha256 },
      test: { files: 3, sha256 },
      deploy: { current: 'releases/1.0.0', previous: undefined },
      verify: { version: '1.0.0', sha256 },
    });
    expect(ofType(events, 'node.completed').map((e) => e.nodeId)).toEqual(['build', 'test', 'deploy', 'verify']);
    expect(ofType(events, 'node.rolled-back')).toEqual([]);

    // The artifact: collected from the local build, delivered into the container and over SFTP, same bytes each time.
    const root = env.settings.deployRoot;
    const built = await bytesUnder(join(env.settings.workDir, 'dist'));
    expect(built).toEqual({ bytes: expect.any(Number), files: 3 });
    expect(ofType(events, 'artifact.collected').map((e) => [e.nodeId, e.name, e.from, e.bytes, e.files])).toEqual([
      ['build', 'dist', join(env.settings.workDir, 'dist'), built.bytes, 3],
    ]);
    expect(ofType(events, 'artifact.delivered').map((e) => [e.nodeId, e.name, e.to, e.bytes, e.files])).toEqual([
      ['test', 'dist', '/artifacts/dist', built.bytes, 3],
      ['deploy', 'dist', `${root}/incoming`, built.bytes, 3],
    ]);

    // On the SSH host: the release behind `current`, byte for byte the build; nothing half-delivered.
    expect(await readlink(join(root, 'current'))).toBe('releases/1.0.0');
    expect(await readdir(join(root, 'releases'))).toEqual(['1.0.0']);
    for (const file of ['VERSION', 'index.html', 'assets/app.js'])
      expect(await readFile(join(root, 'current', file), 'utf8')).toBe(
        await readFile(join(env.settings.workDir, 'dist', file), 'utf8'),
      );
    expect(existsSync(join(root, 'incoming'))).toBe(false);

    // verify ran in the pod, through the API server's exec endpoint.
    expect(env.podExecs.at(-1)).toMatchObject({ namespace: 'default', pod: 'web-0' });
    expect(env.podExecs.at(-1)?.argv).toContain('1.0.0');

    expect(await env.leftovers()).toEqual({ containers: 0, podProcesses: 0, stagingDirs: 0 });
  }, 30_000);

  it('rolls the deployment back to the previous release when verify fails', async () => {
    const { result, events } = await release({ version: '1.1.0', failVerify: true });

    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({ code: 'FL_NODE_FAILED' });
    expect(result.nodes.verify).toMatchObject({ status: 'failed', error: { code: 'FL_EXEC_FAILED' } });
    expect(result.nodes.verify?.error?.message).toContain('smoke test failed');
    // deploy had completed (health check passed) with 1.1.0 live, so it is the one rolled back.
    expect(result.nodes.deploy).toMatchObject({
      status: 'success',
      output: { current: 'releases/1.1.0', previous: 'releases/1.0.0' },
    });
    const rolledBack = ofType(events, 'node.rolled-back');
    expect(rolledBack.map((e) => [e.nodeId, e.error])).toEqual([['deploy', undefined]]);
    const order = events.map((e) => e.type);
    expect(order.indexOf('node.failed')).toBeLessThan(order.indexOf('node.rolled-back'));
    expect(order.at(-1)).toBe('workflow.failed');
    expect(ofType(events, 'artifact.delivered').map((e) => e.nodeId)).toEqual(['test', 'deploy']);

    // Restored: `current` points at 1.0.0 again, 1.1.0 is gone, nothing else is left.
    const root = env.settings.deployRoot;
    expect(await readlink(join(root, 'current'))).toBe('releases/1.0.0');
    expect(await readFile(join(root, 'current', 'VERSION'), 'utf8')).toBe('1.0.0\n');
    expect((await readdir(root)).sort()).toEqual(['current', 'releases']);
    expect(await readdir(join(root, 'releases'))).toEqual(['1.0.0']);

    expect(await env.leftovers()).toEqual({ containers: 0, podProcesses: 0, stagingDirs: 0 });
  }, 30_000);

  it('removes a first deployment that fails verify', async () => {
    const settings = { ...env.settings, deployRoot: join(env.dir, 'srv', 'fresh') };
    const { result, events } = await release({ version: '2.0.0', failVerify: true }, settings);

    expect(result.status).toBe('failed');
    expect(result.nodes.deploy?.output).toEqual({ current: 'releases/2.0.0', previous: undefined });
    expect(ofType(events, 'node.rolled-back').map((e) => [e.nodeId, e.error])).toEqual([['deploy', undefined]]);
    expect(await readdir(settings.deployRoot)).toEqual([]);
  }, 30_000);

  it('leaves no process, container or directory behind once disposed', async () => {
    expect(await env.leftovers()).toEqual({ containers: 0, podProcesses: 0, stagingDirs: 0 });
    await env.dispose();
    expect(runningServiceProcesses()).toEqual([]);
    expect(existsSync(env.dir)).toBe(false);
  }, 60_000);
});
