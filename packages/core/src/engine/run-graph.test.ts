import { afterEach, describe, expect, it, vi } from 'vitest';
import { workflow } from '../builder/workflow-builder.js';
import { createLocalExecutor } from '../defaults/local-executor.js';
import { definePlugin } from '../plugin/define-plugin.js';
import type { PluginApi } from '../plugin/types.js';
import { CORE_VERSION } from '../version.js';
import { Workflow } from '../workflow.js';
import { createEngine } from './engine.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

/** An engine whose plugin keeps each run's graph handle, asked for at the run's start (as a monitor does). */
function keeping() {
  const graphs = new Map<string, ReturnType<PluginApi['runGraph']>>();
  let api: PluginApi | undefined;
  const plugin = definePlugin({
    name: 'grapher',
    version: '1.0.0',
    flowlane: `^${CORE_VERSION}`,
    setup(a) {
      api = a;
      a.watchRuns({ name: 'grapher', started: (run) => void graphs.set(run.executionId, a.runGraph(run.executionId)) });
    },
  });
  const engine = createEngine({
    plugins: [plugin],
    logger: quiet,
    executors: { ssh: createLocalExecutor(), k8s: createLocalExecutor() },
  });
  return { engine, graphs, api: () => api! };
}

describe('PluginApi.runGraph', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('hands a per-workflow handle at a run start that describes it on demand, also after the run settled', async () => {
    const { engine, graphs, api } = keeping();
    const child = workflow('kid')
      .addNode('k', () => 1)
      .build();
    const wf = workflow('graph', { version: '2' })
      .addNode('a', () => 1)
      .chain('b', () => 2)
      .subworkflow('sub', child, () => undefined, { dependsOn: ['a'] })
      .build();
    const toJSON = vi.spyOn(Workflow.prototype, 'toJSON');
    for (const id of ['r1', 'r2'])
      expect((await engine.run(wf, undefined, { executionId: id }).result).status).toBe('success');
    // Asking for the handles described nothing.
    expect(toJSON).not.toHaveBeenCalled();
    const g = graphs.get('r1')!;
    expect(graphs.get('r2')).toBe(g);
    expect(g.workflow).toBe('graph');
    // The child run's graph is its own workflow's.
    const kid = [...graphs.values()].find((x) => x?.workflow === 'kid');
    expect(kid?.json()).toBe(JSON.stringify(child.toJSON()));
    toJSON.mockClear();
    // JSON text without the description's objects: toJSON (which keeps them) is not called.
    const text = g.json();
    expect(toJSON).not.toHaveBeenCalled();
    expect(g.json()).toBe(text);
    expect(JSON.parse(text)).toEqual({
      name: 'graph',
      version: '2',
      nodes: expect.any(Array),
      edges: [
        { from: 'a', to: 'b', kind: 'dependency' },
        { from: 'a', to: 'sub', kind: 'dependency' },
      ],
      groups: [],
    });
    // describe() is toJSON(): the same object, whose text is json()'s byte for byte.
    expect(g.describe()).toBe(wf.toJSON());
    expect(JSON.stringify(g.describe())).toBe(text);
    // No handle for a run that is not active (as describeRun).
    expect(api().runGraph('r1')).toBeUndefined();
    expect(api().runGraph('nope')).toBeUndefined();
    await engine.close();
  });

  it('lists the nodes that name an executor other than local, without describing the workflow', async () => {
    const { engine, graphs } = keeping();
    const wf = workflow('remote')
      .addNode('a', () => 1, { executor: 'local' })
      .addNode('b', () => 2, { executor: 'ssh' })
      .addNode('c', () => 3, { executor: { name: 'k8s', target: 'pod' } })
      .addNode('d', () => 4)
      .build();
    const plain = workflow('plain')
      .addNode('a', () => 1)
      .build();
    const toJSON = vi.spyOn(Workflow.prototype, 'toJSON');
    await engine.run(wf, undefined, { executionId: 'w' }).result;
    await engine.run(plain, undefined, { executionId: 'p' }).result;
    expect([...graphs.get('w')!.executors()]).toEqual([
      ['b', 'ssh'],
      ['c', 'k8s'],
    ]);
    expect(graphs.get('w')!.executors()).toBe(graphs.get('w')!.executors());
    // Shared by every run of the workflow: a plugin that casts it to Map cannot change it for the others.
    const shared = graphs.get('w')!.executors() as Map<string, string>;
    expect(() => shared.set('a', 'ssh')).toThrow(TypeError);
    expect(() => shared.delete('b')).toThrow(TypeError);
    expect(() => shared.clear()).toThrow(TypeError);
    expect(Object.fromEntries(graphs.get('w')!.executors())).toEqual({ b: 'ssh', c: 'k8s' });
    const seen: string[] = [];
    graphs
      .get('w')!
      .executors()
      .forEach((v, k, map) => void seen.push(`${k}=${v}:${map.size}`));
    expect(seen).toEqual(['b=ssh:2', 'c=k8s:2']);
    expect(graphs.get('p')!.executors().size).toBe(0);
    expect(toJSON).not.toHaveBeenCalled();
    await engine.close();
  });
});
