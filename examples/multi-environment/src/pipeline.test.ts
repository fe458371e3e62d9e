import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FlowEvent } from '@flowlane/core';
import { firstValueFrom, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Environments, startEnvironments } from './environments.js';
import { releasePipeline } from './pipeline.js';

let env: Environments;
beforeAll(async () => {
  env = await startEnvironments();
}, 90_000);
afterAll(async () => {
  await env?.dispose();
}, 60_000);

const eventsOf = (run: { events$: import('rxjs').Observable<FlowEvent> }) =>
  firstValueFrom(run.events$.pipe(toArray()));

describe('multi-environment release (local → Docker → SSH → Kubernetes)', () => {
  it('moves the build artifact through every environment and verifies the deployment', async () => {
    const run = env.engine.run(releasePipeline(env.settings), { version: '1.4.2' });
    const r = await run.result;
    expect(r.status).toBe('success');
    expect(r.outputs).toMatchObject({ build: '1.4.2', test: 'passed', deploy: '1.4.2', verify: 'serving 1.4.2' });
    const events = await eventsOf(run);
    const moved = events.filter((e) => e.type === 'artifact.collected' || e.type === 'artifact.delivered');
    expect(moved.map((e) => [e.type, e.nodeId, (e as { files: number }).files])).toEqual([
      ['artifact.collected', 'build', 2],
      ['artifact.delivered', 'test', 2],
      ['artifact.delivered', 'deploy', 2],
    ]);
    const bytes = '<h1>release 1.4.2</h1>\n'.length + '1.4.2'.length;
    for (const e of moved) expect((e as { bytes: number }).bytes).toBe(bytes);
    expect(await readFile(join(env.settings.deployDir, 'dist', 'index.html'), 'utf8')).toBe('<h1>release 1.4.2</h1>\n');
  }, 60_000);

  it('rolls the deployment back when verification fails', async () => {
    const run = env.engine.run(releasePipeline(env.settings), { version: '1.5.0', breakVerify: true });
    const r = await run.result;
    expect(r.status).toBe('failed');
    expect(r.nodes.verify!.status).toBe('failed');
    expect(r.error?.message).toContain('verification failed');
    const rolled = (await eventsOf(run)).filter((e) => e.type === 'node.rolled-back');
    expect(rolled.map((e) => [e.nodeId, (e as { error?: unknown }).error])).toEqual([['deploy', undefined]]);
    expect(existsSync(join(env.settings.deployDir, 'dist'))).toBe(false);
    // Only the long-running `ci` container exists: nothing was left behind by the runs.
    expect(await env.containers()).toBe(1);
  }, 60_000);
});
