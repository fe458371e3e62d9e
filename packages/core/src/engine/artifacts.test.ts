import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstValueFrom, toArray } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { workflow } from '../builder/workflow-builder.js';
import { WorkflowDefinitionError } from '../errors.js';
import { createEngine } from './engine.js';

let base: string;
beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'flowlane-artifacts-test-'));
});
afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

describe('artifacts', () => {
  it("collects a node's output files and delivers them to a later node, then removes the staging area", async () => {
    const work = join(base, 'work');
    const staging = join(base, 'staging');
    await mkdir(staging);
    const wf = workflow('artifacts')
      .addNode(
        'build',
        async () => {
          await mkdir(join(work, 'dist', 'assets'), { recursive: true });
          await writeFile(join(work, 'dist', 'index.html'), '<h1>hi</h1>');
          await writeFile(join(work, 'dist', 'assets', 'app.js'), 'console.log(1)');
        },
        { artifacts: { out: [{ from: join(work, 'dist'), name: 'dist' }] } },
      )
      .addNode('deploy', async () => readFile(join(base, 'srv', 'dist', 'index.html'), 'utf8'), {
        dependsOn: ['build'],
        artifacts: { in: [{ name: 'dist', to: join(base, 'srv', 'dist') }] },
      })
      .build();
    const engine = createEngine({ artifactsDir: staging });
    const run = engine.run(wf, {});
    const r = await run.result;
    expect(r.status).toBe('success');
    expect(r.outputs.deploy).toBe('<h1>hi</h1>');
    expect(await readFile(join(base, 'srv', 'dist', 'assets', 'app.js'), 'utf8')).toBe('console.log(1)');
    const events = await firstValueFrom(run.events$.pipe(toArray()));
    expect(events.find((e) => e.type === 'artifact.collected')).toMatchObject({
      nodeId: 'build',
      name: 'dist',
      files: 2,
      bytes: 25,
    });
    expect(events.find((e) => e.type === 'artifact.delivered')).toMatchObject({
      nodeId: 'deploy',
      name: 'dist',
      files: 2,
      bytes: 25,
    });
    await engine.close();
    expect(await readdir(staging)).toEqual([]);
  });

  it('a missing source fails the producing node; no artifact reaches the consumer', async () => {
    const engine = createEngine({ artifactsDir: base });
    const wf = workflow('missing')
      .addNode('build', () => 'nothing written', { artifacts: { out: [{ from: join(base, 'nope'), name: 'x' }] } })
      .addNode('use', () => 1, { dependsOn: ['build'], artifacts: { in: [{ name: 'x', to: join(base, 'x') }] } })
      .build();
    const r = await engine.run(wf, {}).result;
    expect(r.status).toBe('failed');
    expect(r.nodes.build!.status).toBe('failed');
    expect(r.nodes.use!.status).toBe('cancelled');
    expect(existsSync(join(base, 'x'))).toBe(false);
    await engine.close();
  });

  it('build() checks artifact names and ancestry', () => {
    const problems = (fn: () => unknown): string[] => {
      try {
        fn();
      } catch (e) {
        return (e as WorkflowDefinitionError).problems.map((p) => p.message);
      }
      return [];
    };
    expect(
      problems(() =>
        workflow('a')
          .addNode('p', () => 1, { artifacts: { out: [{ from: '/a', name: 'dup' }] } })
          .addNode('q', () => 1, { artifacts: { out: [{ from: '/b', name: 'dup' }] } })
          .addNode('r', () => 1, {
            artifacts: {
              in: [
                { name: 'dup', to: '/c' },
                { name: 'ghost', to: '/d' },
              ],
            },
          })
          .addNode('s', () => 1, { cache: { ttl: 10 }, artifacts: { out: [{ from: '/e', name: 'e' }] } })
          .build(),
      ),
    ).toEqual([
      expect.stringContaining('a cached node cannot collect artifacts'),
      expect.stringContaining('artifact "dup" is already collected by "p"'),
      expect.stringContaining('artifact "dup" is collected by "p", which is not an ancestor'),
      expect.stringContaining('no node collects artifact "ghost"'),
    ]);
  });
});
