import { describe, expect, it } from 'vitest';
import { isFlowlaneError, WorkflowDefinitionError } from '../errors.js';
import type { Workflow } from '../workflow.js';
import { WorkflowBuilder, workflow } from './workflow-builder.js';

/** Untyped view of the builder, to feed build() deliberately invalid definitions. */
interface Loose {
  addNode(id: unknown, fn: unknown, options?: Record<string, unknown>): Loose;
  parallel(ids: unknown, fns: unknown, options?: Record<string, unknown>): Loose;
  build(): Workflow;
}
const loose = (name: string): Loose => workflow(name) as unknown as Loose;

function problemsOf(fn: () => unknown): { code: string; message: string; nodeId?: string | undefined }[] {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(WorkflowDefinitionError);
    expect(isFlowlaneError(e, 'FL_INVALID_WORKFLOW')).toBe(true);
    return [...(e as WorkflowDefinitionError).problems];
  }
  throw new Error('build() did not throw');
}

describe('WorkflowBuilder', () => {
  it('workflow(name) is the same as new WorkflowBuilder(name)', () => {
    const a = workflow('x')
      .addNode('a', () => 1)
      .build();
    const b = new WorkflowBuilder('x').addNode('a', () => 1).build();
    expect(a.toJSON()).toEqual(b.toJSON());
  });

  it('is immutable: each call returns a new builder and never changes its parent', () => {
    const base = workflow('w').addNode('a', () => 1);
    const left = base.addNode('b', () => 2);
    const right = base.addNode('c', () => 3);
    expect(left.build().nodeIds).toEqual(['a', 'b']);
    expect(right.build().nodeIds).toEqual(['a', 'c']);
    expect(base.build().nodeIds).toEqual(['a']);
  });

  it('has no then method on builders or workflows (await must not treat them as thenables)', async () => {
    const b = workflow('w').addNode('a', () => 1);
    const wf = b.build();
    expect('then' in b).toBe(false);
    expect('then' in wf).toBe(false);
    const awaited = await (async () => b)();
    expect(awaited).toBe(b);
    expect(await Promise.resolve(wf)).toBe(wf);
  });

  it('chain depends on the node added last, and on a whole parallel group (fan-in)', () => {
    const wf = workflow('w')
      .addNode('a', () => 1)
      .chain('b', (ctx) => ctx.results.a + 1)
      .parallel({ p: () => 1, q: () => 2 }, { dependsOn: ['b'] })
      .chain('sum', (ctx) => ctx.results.p + ctx.results.q)
      .build();
    const deps = Object.fromEntries(wf.toJSON().nodes.map((n) => [n.id, n.dependsOn]));
    expect(deps).toEqual({ a: [], b: ['a'], p: ['b'], q: ['b'], sum: ['p', 'q'] });
  });

  it('a seed-form boundary (addNode with onError: true) does not become the chain predecessor', () => {
    const wf = workflow('w')
      .addNode('risky', () => 1)
      .addNode('handler', () => 0, { onError: true, forNodes: ['risky'] })
      .chain('after', (ctx) => ctx.results.risky)
      .build();
    expect(wf.toJSON().nodes.find((n) => n.id === 'after')!.dependsOn).toEqual(['risky']);
  });

  it('parallel(ids, fns) and parallel(map) record a group with its concurrency', () => {
    const wf = workflow('w')
      .parallel(['x', 'y'], [() => 1, () => 2], { concurrency: 1 })
      .parallel({ z: () => 3 }, { concurrency: 2, group: 'zs' })
      .build();
    expect(wf.toJSON().groups).toEqual([
      { id: 'parallel-1', nodes: ['x', 'y'], concurrency: 1 },
      { id: 'zs', nodes: ['z'], concurrency: 2 },
    ]);
  });

  it('serialises to JSON without functions and to Mermaid', () => {
    const wf = workflow('deploy', { version: '1.2.0' })
      .addNode('build', () => 'img', { retry: { maxAttempts: 3, onRetry: () => 10 }, timeout: 1000, tags: ['ci'] })
      .addNode('push', () => 1, { dependsOn: ['build'], fallback: 'mirror', condition: () => true })
      .addNode('mirror', () => 2)
      .boundary('recover', () => 0, { forNodes: ['push'], errorTypes: [TypeError, 'FL_TIMEOUT'] })
      .build();
    const json = wf.toJSON();
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
    expect(json.version).toBe('1.2.0');
    const build = json.nodes.find((n) => n.id === 'build')!;
    expect(build.options).toEqual({ retry: { maxAttempts: 3, onRetry: true }, timeout: 1000, tags: ['ci'] });
    expect(json.nodes.find((n) => n.id === 'mirror')!.standby).toBe(true);
    expect(json.nodes.find((n) => n.id === 'recover')!.options).toMatchObject({
      forNodes: ['push'],
      errorTypes: ['TypeError', 'FL_TIMEOUT'],
    });
    expect(json.edges).toEqual(
      expect.arrayContaining([
        { from: 'build', to: 'push', kind: 'dependency' },
        { from: 'push', to: 'mirror', kind: 'fallback' },
        { from: 'push', to: 'recover', kind: 'boundary' },
      ]),
    );
    const mermaid = wf.toMermaid();
    expect(mermaid.split('\n')[0]).toBe('flowchart TD');
    expect(mermaid).toContain('n0 --> n1');
    expect(mermaid).toContain('n1 -.->|fallback| n2');
  });

  it('builds a 100,000-node chain in linear time (no copying per call)', () => {
    const t0 = performance.now();
    let b = workflow('big').addNode('n0', () => 0) as unknown as WorkflowBuilder<
      unknown,
      Record<string, number>,
      string
    >;
    for (let i = 1; i < 100_000; i++) b = b.addNode(`n${i}` as never, () => i, { dependsOn: [`n${i - 1}`] }) as never;
    const wf = b.build();
    expect(wf.nodeIds.length).toBe(100_000);
    // A quadratic builder takes minutes here; linear takes well under a few seconds even on a loaded CI machine.
    expect(performance.now() - t0).toBeLessThan(15_000);
  });
});

describe('build() validation', () => {
  it('rejects an empty workflow', () => {
    expect(problemsOf(() => workflow('empty').build()).map((p) => p.code)).toEqual(['FL_EMPTY_WORKFLOW']);
  });

  it('lists every problem at once, each with its code', () => {
    const problems = problemsOf(() =>
      loose('bad')
        .addNode('a', () => 1, { dependsOn: ['ghost'], timeout: -5 })
        .addNode('a', () => 2)
        .addNode('b', 'not a function', { retry: { maxAttempts: 0 } })
        .addNode('c', () => 3, { fallback: 'nowhere', onError: 'explode' })
        .addNode('d', () => 4, { cache: { ttl: 0 }, priority: Number.NaN })
        .addNode('', () => 5)
        .parallel(['p'], [() => 1], { concurrency: 0 })
        .build(),
    );
    const codes = problems.map((p) => p.code).sort();
    expect(codes).toEqual(
      [
        'FL_DUPLICATE_NODE',
        'FL_INVALID_OPTION', // timeout
        'FL_INVALID_OPTION', // function
        'FL_INVALID_OPTION', // maxAttempts
        'FL_INVALID_OPTION', // onError
        'FL_INVALID_OPTION', // cache.ttl
        'FL_INVALID_OPTION', // priority
        'FL_INVALID_OPTION', // empty id
        'FL_INVALID_OPTION', // group concurrency
        'FL_MISSING_DEPENDENCY',
        'FL_UNKNOWN_FALLBACK',
      ].sort(),
    );
    expect(problems.find((p) => p.code === 'FL_MISSING_DEPENDENCY')!.message).toContain('"ghost"');
    expect(problems.find((p) => p.message.includes('timeout'))!.message).toContain('got -5');
  });

  it('reports a cycle with its path', () => {
    const b = loose('cyc');
    const problems = problemsOf(() =>
      b
        .addNode('a', () => 1, { dependsOn: ['c'] })
        .addNode('b', () => 1, { dependsOn: ['a'] })
        .addNode('c', () => 1, { dependsOn: ['b'] })
        .addNode('ok', () => 1)
        .build(),
    );
    expect(problems).toHaveLength(1);
    expect(problems[0]!.code).toBe('FL_CYCLE');
    expect(problems[0]!.message).toMatch(/Dependency cycle: (a → b → c → a|b → c → a → b|c → a → b → c)/);
  });

  it('reports a self-dependency as a cycle', () => {
    const b = loose('self');
    const problems = problemsOf(() => b.addNode('a', () => 1, { dependsOn: ['a'] }).build());
    expect(problems.map((p) => [p.code, p.message])).toEqual([
      ['FL_CYCLE', 'Dependency cycle: a → a. Remove one edge.'],
    ]);
  });

  it('reports fallback cycles', () => {
    const problems = problemsOf(() =>
      workflow('fb')
        .addNode('a', () => 1, { fallback: 'b' })
        .addNode('b', () => 1, { fallback: 'c' })
        .addNode('c', () => 1, { fallback: 'b' })
        .build(),
    );
    expect(problems.map((p) => p.code)).toContain('FL_FALLBACK_CYCLE');
    expect(problems.find((p) => p.code === 'FL_FALLBACK_CYCLE')!.message).toContain('b → c → b');
  });

  it('rejects onError fallback without a fallback, unknown boundary targets and bad branch targets', () => {
    const problems = problemsOf(() =>
      workflow('w')
        .addNode('a', () => 1, { onError: 'fallback' })
        .boundary('h', () => 0, { forNodes: ['zzz' as never] })
        .branch('br', () => true, { then: ['nope'] })
        .build(),
    );
    expect(problems.map((p) => p.code).sort()).toEqual([
      'FL_INVALID_OPTION',
      'FL_INVALID_OPTION',
      'FL_UNKNOWN_BOUNDARY_TARGET',
    ]);
  });

  it('rejects depending on a node that only runs as a fallback', () => {
    const b = loose('w');
    const problems = problemsOf(() =>
      b
        .addNode('a', () => 1, { fallback: 'fb' })
        .addNode('fb', () => 2)
        .addNode('c', () => 3, { dependsOn: ['fb'] })
        .build(),
    );
    expect(problems.map((p) => p.code)).toEqual(['FL_INVALID_OPTION']);
    expect(problems[0]!.message).toContain('runs only as a fallback');
  });

  it('rejects a fallback depending on a node that is not an ancestor of the node it stands in for', () => {
    const b = loose('w');
    const problems = problemsOf(() =>
      b
        .addNode('x', () => 1)
        .addNode('y', () => 1)
        .addNode('a', () => 1, { dependsOn: ['x'], fallback: 'fb' })
        .addNode('fb', () => 2, { dependsOn: ['y'] })
        .build(),
    );
    expect(problems.map((p) => p.code)).toEqual(['FL_INVALID_OPTION']);
    expect(problems[0]!.message).toContain('"y" is not one');
  });

  it('rejects a parallel call whose ids and functions differ in number', () => {
    const problems = problemsOf(() =>
      workflow('w')
        .parallel(['a', 'b'], [() => 1])
        .build(),
    );
    expect(problems.some((p) => p.code === 'FL_INVALID_OPTION' && p.message.includes('1 functions'))).toBe(true);
  });

  it('rejects meta that is not JSON-serialisable', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const problems = problemsOf(() =>
      workflow('m')
        .addNode('a', () => 1, { meta: { big: 1n } })
        .addNode('b', () => 1, { meta: cyclic })
        .build(),
    );
    expect(problems.map((p) => [p.code, p.nodeId])).toEqual([
      ['FL_INVALID_OPTION', 'a'],
      ['FL_INVALID_OPTION', 'b'],
    ]);
    expect(problems[0]!.message).toContain('JSON-serialisable');
  });

  it('validates forEach options', () => {
    const problems = problemsOf(() =>
      workflow('w')
        .forEach('f', 'nope' as never, (x) => x, { concurrency: 1.5, failurePolicy: 'sometimes' as never })
        .build(),
    );
    expect(problems.map((p) => p.message).join('\n')).toMatch(/concurrency[\s\S]*items|items[\s\S]*concurrency/);
    expect(problems).toHaveLength(3);
  });
});
