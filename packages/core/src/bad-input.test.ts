/**
 * The bad-input corpus: every way of holding Flowlane wrong that we know of gets a typed error with a stable code, at
 * the earliest point it can be known (build(), createEngine(), engine.run(), or the node at run time), and leaves the
 * engine working: after every case a good run on the same engine (maxConcurrentRuns: 1, so a leaked slot would hang
 * it) succeeds.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StandardSchemaV1 } from './builder/standard-schema.js';
import { WorkflowBuilder, workflow } from './builder/workflow-builder.js';
import type { RunResult } from './contracts/run-types.js';
import { createEngine, type Engine } from './engine/engine.js';
import { isFlowlaneError, WorkflowDefinitionError } from './errors.js';
import { definePlugin } from './plugin/define-plugin.js';
import { createVirtualClock } from './runtime/virtual-clock.js';
import type { Workflow } from './workflow.js';

const clock = createVirtualClock();
let engine: Engine;
let dir: string;
const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flowlane-bad-input-'));
  engine = createEngine({ clock, maxConcurrentRuns: 1, logger: silent, artifactsDir: dir });
});
afterAll(async () => {
  await engine.close();
  await rm(dir, { recursive: true, force: true });
});

const good = workflow('good')
  .input<{ n: number }>()
  .addNode('a', (ctx) => ctx.input.n + 1)
  .chain('b', (ctx) => ctx.results.a * 2)
  .build();

/** Waits for a run promise, advancing virtual time while timers are pending (real work such as commands runs on). */
async function settle<T>(p: Promise<T>): Promise<T> {
  let done = false;
  void p.then(
    () => {
      done = true;
    },
    () => {
      done = true;
    },
  );
  while (!done) {
    if (clock.pending() > 0) await clock.advanceBy(60_000);
    else await new Promise((r) => setTimeout(r, 2));
  }
  return p;
}

/** The code of a thrown error; `WorkflowDefinitionError` gives the codes of its problems. */
function codesOf(e: unknown): string[] {
  if (e instanceof WorkflowDefinitionError) return e.problems.map((p) => p.code);
  if (isFlowlaneError(e)) return [e.code];
  return [`not a FlowlaneError: ${String(e)}`];
}

/** Calls `f` (sync or async); the codes of what it throws, or `['<no error>']`. */
async function thrown(f: () => unknown): Promise<string[]> {
  try {
    await f();
  } catch (e) {
    return codesOf(e);
  }
  return ['<no error>'];
}

/** A workflow builder call that should not build. */
const build = (f: () => { build(): unknown }) => () => thrown(() => f().build());

/** A one-node workflow with node options `o`. */
const node = (o: unknown) => build(() => workflow('w').addNode('a', () => 1, o as never));

/** Runs `wf` on the shared engine; the code of the first failed node's error (or of the run's error). */
const run =
  (wf: () => Workflow<unknown, object>, input: unknown = {}, options?: object) =>
  async (): Promise<string[]> => {
    const r: RunResult = await settle(engine.run(wf(), input, options as never).result);
    // The first node whose error carries a code (a node's own plain Error has none: its dependents' may).
    const failed = Object.values(r.nodes).find((n) => n.error?.code !== undefined);
    if (failed?.error?.code !== undefined) return [failed.error.code];
    return [r.error?.code ?? `<${r.status}>`];
  };
/** A one-node workflow running `fn`. */
const inNode = (fn: (ctx: never) => unknown, o: object = {}) =>
  run(() =>
    workflow('rt')
      .addNode('a', fn as never, o as never)
      .build(),
  );

const engineWith = (o: unknown) => () => thrown(() => createEngine(o as never));
const plugin = (p: object) => ({ name: 'p', version: '1.0.0', flowlane: '*', setup: () => undefined, ...p });

const BIG = 2 ** 31; // one past the longest timer (2^31−1 ms)
class Oops extends Error {}
const childWf = workflow('child')
  .addNode('c', () => 1)
  .build();
const schema: StandardSchemaV1<{ n: number }> = {
  '~standard': {
    version: 1,
    vendor: 'test',
    validate: (v) =>
      typeof (v as { n?: unknown })?.n === 'number' ? { value: v as { n: number } } : { issues: [{ message: 'n' }] },
  },
};

type Case = readonly [name: string, code: string, act: () => Promise<string[]>];

const unknownNodeOptions: Case[] = [
  ...(
    [
      'retires',
      'timeOut',
      'dependOn',
      'conditon',
      'fallbak',
      'onErorr',
      'cahce',
      'priorty',
      'tag',
      'executer',
      'resource',
      'permission',
      'healthcheck',
      'artifact',
      'rollBack',
      'estimatedMS',
      'metadata',
      'runIfSkiped',
      'totallyUnrelated',
    ] as const
  ).map((key): Case => [`addNode option "${key}"`, 'FL_UNKNOWN_OPTION', node({ [key]: 1 })]),
  ['retry.maxAttemps', 'FL_UNKNOWN_OPTION', node({ retry: { maxAttempts: 2, maxAttemps: 3 } })],
  ['retry.intialInterval', 'FL_UNKNOWN_OPTION', node({ retry: { maxAttempts: 2, intialInterval: 3 } })],
  ['retry.backoff', 'FL_UNKNOWN_OPTION', node({ retry: { maxAttempts: 2, backoff: 2 } })],
  ['retry.retryOnn', 'FL_UNKNOWN_OPTION', node({ retry: { maxAttempts: 2, retryOnn: [] } })],
  ['cache.tll', 'FL_UNKNOWN_OPTION', node({ cache: { ttl: 5, tll: 5 } })],
  ['cache.key', 'FL_UNKNOWN_OPTION', node({ cache: { ttl: 5, key: () => 'k' } })],
  ['healthCheck.cmd', 'FL_UNKNOWN_OPTION', node({ healthCheck: { command: 'true', cmd: 'x' } })],
  ['healthCheck.retry', 'FL_UNKNOWN_OPTION', node({ healthCheck: { command: 'true', retry: 2 } })],
  ['rollback.cmd', 'FL_UNKNOWN_OPTION', node({ rollback: { command: 'true', cmd: 'x' } })],
  ['artifacts.output', 'FL_UNKNOWN_OPTION', node({ artifacts: { output: [] } })],
  ['artifacts.out[].form', 'FL_UNKNOWN_OPTION', node({ artifacts: { out: [{ from: '/a', name: 'a', form: 'x' }] } })],
  ['permissions.roles', 'FL_UNKNOWN_OPTION', node({ permissions: { roles: ['admin'] } })],
  ['executor.host', 'FL_UNKNOWN_OPTION', node({ executor: { name: 'local', host: 'web1' } })],
  [
    'chain option timeOut',
    'FL_UNKNOWN_OPTION',
    build(() =>
      workflow('w')
        .addNode('a', () => 1)
        .chain('b', () => 2, { timeOut: 5 } as never),
    ),
  ],
  [
    'parallel option concurency',
    'FL_UNKNOWN_OPTION',
    build(() => workflow('w').parallel({ a: () => 1 }, { concurency: 2 } as never)),
  ],
  [
    'parallel option groop',
    'FL_UNKNOWN_OPTION',
    build(() => workflow('w').parallel(['a'], [() => 1], { groop: 'g' } as never)),
  ],
  [
    'parallel option retires',
    'FL_UNKNOWN_OPTION',
    build(() => workflow('w').parallel({ a: () => 1 }, { retires: 3 } as never)),
  ],
  [
    'forEach option concurrancy',
    'FL_UNKNOWN_OPTION',
    build(() => workflow('w').forEach('e', [1], (x) => x, { concurrancy: 2 } as never)),
  ],
  [
    'forEach option failurPolicy',
    'FL_UNKNOWN_OPTION',
    build(() => workflow('w').forEach('e', [1], (x) => x, { failurPolicy: 'allSettled' } as never)),
  ],
  [
    'branch option els',
    'FL_UNKNOWN_OPTION',
    build(() => workflow('w').branch('b', () => true, { then: [], els: [] } as never)),
  ],
  [
    'boundary option forNode',
    'FL_UNKNOWN_OPTION',
    build(() =>
      workflow('w')
        .addNode('a', () => 1)
        .boundary('h', () => 0, { forNodes: ['a'], forNode: ['a'] } as never),
    ),
  ],
  [
    'boundary option condition',
    'FL_UNKNOWN_OPTION',
    build(() =>
      workflow('w')
        .addNode('a', () => 1)
        .boundary('h', () => 0, { forNodes: ['a'], condition: () => true } as never),
    ),
  ],
  [
    'subworkflow option timout',
    'FL_UNKNOWN_OPTION',
    build(() => workflow('w').subworkflow('s', childWf, () => ({}), { timout: 5 } as never)),
  ],
  [
    'workflow option versoin',
    'FL_UNKNOWN_OPTION',
    build(() => new WorkflowBuilder('w', { versoin: '1' } as never).addNode('a', () => 1)),
  ],
  [
    'workflow option descripton',
    'FL_UNKNOWN_OPTION',
    build(() => workflow('w', { descripton: 'x' } as never).addNode('a', () => 1)),
  ],
];

const invalidNodeOptions: Case[] = [
  ['timeout 2^31 (past the longest timer)', 'FL_INVALID_OPTION', node({ timeout: BIG })],
  ['timeout 0', 'FL_INVALID_OPTION', node({ timeout: 0 })],
  ['timeout -1', 'FL_INVALID_OPTION', node({ timeout: -1 })],
  ['timeout NaN', 'FL_INVALID_OPTION', node({ timeout: Number.NaN })],
  ['timeout as a string', 'FL_INVALID_OPTION', node({ timeout: '10' })],
  ['retry as a number', 'FL_INVALID_OPTION', node({ retry: 3 })],
  ['retry.maxAttempts 0', 'FL_INVALID_OPTION', node({ retry: { maxAttempts: 0 } })],
  ['retry.maxAttempts 1.5', 'FL_INVALID_OPTION', node({ retry: { maxAttempts: 1.5 } })],
  ['retry.initialInterval -1', 'FL_INVALID_OPTION', node({ retry: { maxAttempts: 2, initialInterval: -1 } })],
  ['retry.initialInterval 2^32', 'FL_INVALID_OPTION', node({ retry: { maxAttempts: 2, initialInterval: 2 ** 32 } })],
  ['retry.maxInterval 2^31', 'FL_INVALID_OPTION', node({ retry: { maxAttempts: 2, maxInterval: BIG } })],
  ['retry.backoffCoefficient 0', 'FL_INVALID_OPTION', node({ retry: { maxAttempts: 2, backoffCoefficient: 0 } })],
  ['retry.jitter 2', 'FL_INVALID_OPTION', node({ retry: { maxAttempts: 2, jitter: 2 } })],
  ['retry.onRetry not a function', 'FL_INVALID_OPTION', node({ retry: { maxAttempts: 2, onRetry: 'x' } })],
  ['retry.nonRetryable a string', 'FL_INVALID_OPTION', node({ retry: { maxAttempts: 2, nonRetryable: 'TypeError' } })],
  ['retry.retryOn a class', 'FL_INVALID_OPTION', node({ retry: { maxAttempts: 2, retryOn: Oops } })],
  ['retry.nonRetryable [42]', 'FL_INVALID_OPTION', node({ retry: { maxAttempts: 2, nonRetryable: [42] } })],
  ['condition not a function', 'FL_INVALID_OPTION', node({ condition: true })],
  ['onError "ignore"', 'FL_INVALID_OPTION', node({ onError: 'ignore' })],
  ['onError "fallback" without a fallback', 'FL_INVALID_OPTION', node({ onError: 'fallback' })],
  ['fallback 42', 'FL_INVALID_OPTION', node({ fallback: 42 })],
  ['cache.ttl 0', 'FL_INVALID_OPTION', node({ cache: { ttl: 0 } })],
  ['cache.keyFn a string', 'FL_INVALID_OPTION', node({ cache: { ttl: 5, keyFn: 'k' } })],
  ['cache.store not a store', 'FL_INVALID_OPTION', node({ cache: { ttl: 5, store: {} } })],
  ['priority NaN', 'FL_INVALID_OPTION', node({ priority: Number.NaN })],
  ['estimatedMs -5', 'FL_INVALID_OPTION', node({ estimatedMs: -5 })],
  ['healthCheck.command empty', 'FL_INVALID_OPTION', node({ healthCheck: { command: '' } })],
  ['healthCheck.retries 0', 'FL_INVALID_OPTION', node({ healthCheck: { command: 'true', retries: 0 } })],
  ['healthCheck.interval 2^31', 'FL_INVALID_OPTION', node({ healthCheck: { command: 'true', interval: BIG } })],
  ['healthCheck.timeout 2^31', 'FL_INVALID_OPTION', node({ healthCheck: { command: 'true', timeout: BIG } })],
  ['healthCheck.args a string', 'FL_INVALID_OPTION', node({ healthCheck: { command: 'ls', args: '-l' } })],
  ['rollback a string', 'FL_INVALID_OPTION', node({ rollback: 'undo.sh' })],
  ['rollback.timeout 2^31', 'FL_INVALID_OPTION', node({ rollback: { command: 'true', timeout: BIG } })],
  ['artifacts.out a string', 'FL_INVALID_OPTION', node({ artifacts: { out: 'dist' } })],
  [
    'meta with a cycle',
    'FL_INVALID_OPTION',
    node({
      meta: (() => {
        const m: Record<string, unknown> = {};
        m.self = m;
        return m;
      })(),
    }),
  ],
  ['meta a string', 'FL_INVALID_OPTION', node({ meta: 'x' })],
  ['tags a string', 'FL_INVALID_OPTION', node({ tags: 'a' })],
  ['runIfSkipped "yes"', 'FL_INVALID_OPTION', node({ runIfSkipped: 'yes' })],
  ['resources 5', 'FL_INVALID_OPTION', node({ resources: 5 })],
  ['permissions a string', 'FL_INVALID_OPTION', node({ permissions: 'admin' })],
  ['executor 42', 'FL_INVALID_OPTION', node({ executor: 42 })],
  ['executor ""', 'FL_INVALID_OPTION', node({ executor: '' })],
  ['executor { name: "" }', 'FL_INVALID_OPTION', node({ executor: { name: '' } })],
  ['executor.target 5', 'FL_INVALID_OPTION', node({ executor: { name: 'local', target: 5 } })],
  [
    'dependsOn a string',
    'FL_INVALID_OPTION',
    build(() =>
      workflow('w')
        .addNode('x', () => 1)
        .addNode('a', () => 1, { dependsOn: 'x' } as never),
    ),
  ],
  ['node function not a function', 'FL_INVALID_OPTION', build(() => workflow('w').addNode('a', 42 as never))],
  ['addNode(id, fn, null)', 'FL_INVALID_OPTION', node(null)],
  ['addNode(id, fn, 42)', 'FL_INVALID_OPTION', node(42)],
  ['empty node id', 'FL_INVALID_OPTION', build(() => workflow('w').addNode('', () => 1))],
  ['node id 5', 'FL_INVALID_OPTION', build(() => workflow('w').addNode(5 as never, () => 1))],
  [
    'parallel: fewer functions than ids',
    'FL_INVALID_OPTION',
    build(() => workflow('w').parallel(['a', 'b'], [() => 1])),
  ],
  [
    'parallel: functions not an array',
    'FL_INVALID_OPTION',
    build(() => workflow('w').parallel(['a'], (() => 1) as never)),
  ],
  [
    'parallel concurrency 0',
    'FL_INVALID_OPTION',
    build(() => workflow('w').parallel({ a: () => 1 }, { concurrency: 0 })),
  ],
  [
    'forEach concurrency 0',
    'FL_INVALID_OPTION',
    build(() => workflow('w').forEach('e', [1], (x) => x, { concurrency: 0 })),
  ],
  ['forEach items 42', 'FL_INVALID_OPTION', build(() => workflow('w').forEach('e', 42 as never, (x) => x))],
  [
    'forEach failurePolicy "x"',
    'FL_INVALID_OPTION',
    build(() => workflow('w').forEach('e', [1], (x) => x, { failurePolicy: 'x' as never })),
  ],
  [
    'branch then as a string',
    'FL_INVALID_OPTION',
    build(() =>
      workflow('w')
        .branch('b', () => true, { then: 'yes' as never })
        .addNode('yes', () => 1),
    ),
  ],
  [
    'branch else as a string',
    'FL_INVALID_OPTION',
    build(() =>
      workflow('w')
        .branch('b', () => true, { then: [], else: 'no' as never })
        .addNode('no', () => 1),
    ),
  ],
  [
    'branch without options',
    'FL_INVALID_OPTION',
    build(() =>
      (workflow('w') as unknown as { branch(i: string, p: () => boolean): WorkflowBuilder }).branch('b', () => true),
    ),
  ],
  [
    'branch target not defined',
    'FL_INVALID_OPTION',
    build(() => workflow('w').branch('b', () => true, { then: ['ghost'] })),
  ],
  [
    'boundary forNodes []',
    'FL_INVALID_OPTION',
    build(() =>
      workflow('w')
        .addNode('a', () => 1)
        .boundary('h', () => 0, { forNodes: [] }),
    ),
  ],
  [
    'boundary errorTypes a string',
    'FL_INVALID_OPTION',
    build(() =>
      workflow('w')
        .addNode('a', () => 1)
        .boundary('h', () => 0, { forNodes: ['a'], errorTypes: 'TypeError' as never }),
    ),
  ],
  [
    'subworkflow child a builder',
    'FL_INVALID_OPTION',
    build(() => workflow('w').subworkflow('s', workflow('c').addNode('c', () => 1) as never, () => ({}))),
  ],
  ['subworkflow child {}', 'FL_INVALID_OPTION', build(() => workflow('w').subworkflow('s', {} as never, () => ({})))],
  [
    'subworkflow child null',
    'FL_INVALID_OPTION',
    build(() => workflow('w').subworkflow('s', null as never, () => ({}))),
  ],
  [
    'input(42)',
    'FL_INVALID_OPTION',
    build(() =>
      workflow('w')
        .input(42 as never)
        .addNode('a', () => 1),
    ),
  ],
  [
    'input({}) without ~standard',
    'FL_INVALID_OPTION',
    build(() =>
      workflow('w')
        .input({} as never)
        .addNode('a', () => 1),
    ),
  ],
  ['workflow name ""', 'FL_INVALID_OPTION', build(() => workflow('').addNode('a', () => 1))],
  ['workflow options a string', 'FL_INVALID_OPTION', build(() => workflow('w', 'v1' as never).addNode('a', () => 1))],
  [
    'workflow version 1 (a number)',
    'FL_INVALID_OPTION',
    build(() => workflow('w', { version: 1 } as never).addNode('a', () => 1)),
  ],
  [
    'chain with its own dependsOn (it used to be dropped)',
    'FL_INVALID_OPTION',
    build(() =>
      workflow('w')
        .addNode('a', () => 1)
        .addNode('x', () => 2)
        .chain('b', () => 3, { dependsOn: ['a'] } as never),
    ),
  ],
  [
    'onEvent with a handler that is not a function',
    'FL_INVALID_OPTION',
    build(() =>
      workflow('w')
        .addNode('a', () => 1)
        .onEvent('node.failed', 'alert' as never),
    ),
  ],
  [
    'onEvent with an empty type',
    'FL_INVALID_OPTION',
    build(() =>
      workflow('w')
        .addNode('a', () => 1)
        .onEvent('', () => undefined),
    ),
  ],
];

const graphProblems: Case[] = [
  [
    'parallel({}) then chain (FL_EMPTY_GROUP)',
    'FL_EMPTY_GROUP',
    build(() =>
      workflow('w')
        .addNode('a', () => 1)
        .parallel({})
        .chain('b', () => 2),
    ),
  ],
  [
    'parallel([], [])',
    'FL_EMPTY_GROUP',
    build(() =>
      workflow('w')
        .addNode('a', () => 1)
        .parallel([], []),
    ),
  ],
  ['no nodes', 'FL_EMPTY_WORKFLOW', build(() => workflow('w'))],
  [
    'the error build() throws',
    'FL_INVALID_WORKFLOW',
    async () => {
      try {
        workflow('w').build();
      } catch (e) {
        return [isFlowlaneError(e) ? e.code : String(e)];
      }
      return ['<no error>'];
    },
  ],
  [
    'duplicate id',
    'FL_DUPLICATE_NODE',
    build(() =>
      workflow('w')
        .addNode('a', () => 1)
        .addNode('a' as never, () => 2),
    ),
  ],
  [
    'missing dependency',
    'FL_MISSING_DEPENDENCY',
    build(() => workflow('w').addNode('a', () => 1, { dependsOn: ['ghost'] as never })),
  ],
  [
    'cycle',
    'FL_CYCLE',
    build(() =>
      workflow('w')
        .addNode('a', () => 1, { dependsOn: ['b'] as never })
        .addNode('b', () => 2, { dependsOn: ['a'] }),
    ),
  ],
  ['unknown fallback', 'FL_UNKNOWN_FALLBACK', node({ fallback: 'ghost' })],
  [
    'fallback cycle',
    'FL_FALLBACK_CYCLE',
    build(() =>
      workflow('w')
        .addNode('a', () => 1, { fallback: 'b' })
        .addNode('b', () => 2, { fallback: 'a' }),
    ),
  ],
  [
    'boundary for an unknown node',
    'FL_UNKNOWN_BOUNDARY_TARGET',
    build(() =>
      workflow('w')
        .addNode('a', () => 1)
        .boundary('h', () => 0, { forNodes: ['ghost' as never] }),
    ),
  ],
];

const engineOptions: Case[] = [
  ['maxConcurentRuns (typo)', 'FL_INVALID_OPTION', engineWith({ maxConcurentRuns: 1 })],
  ['concurency (typo)', 'FL_INVALID_OPTION', engineWith({ concurency: 2 })],
  ['plugin (singular)', 'FL_INVALID_OPTION', engineWith({ plugin: [] })],
  ['loger (typo)', 'FL_INVALID_OPTION', engineWith({ loger: silent })],
  ['options a string', 'FL_INVALID_OPTION', engineWith('fast')],
  ['maxConcurrentRuns 0', 'FL_INVALID_OPTION', engineWith({ maxConcurrentRuns: 0 })],
  ['concurrency -1', 'FL_INVALID_OPTION', engineWith({ concurrency: -1 })],
  ['plugins a plugin, not a list', 'FL_INVALID_OPTION', engineWith({ plugins: plugin({}) })],
  ['executors { x: 42 }', 'FL_INVALID_OPTION', engineWith({ executors: { x: 42 } })],
  ['executors { x: {} }', 'FL_INVALID_OPTION', engineWith({ executors: { x: {} } })],
  ['executors a list', 'FL_INVALID_OPTION', engineWith({ executors: [] })],
  ['middleware ["x"]', 'FL_INVALID_OPTION', engineWith({ middleware: ['x'] })],
  ['middleware a function, not a list', 'FL_INVALID_OPTION', engineWith({ middleware: () => undefined })],
  ['secrets a provider, not a list', 'FL_INVALID_OPTION', engineWith({ secrets: { name: 's', get: () => undefined } })],
  ['audit [{}]', 'FL_INVALID_OPTION', engineWith({ audit: [{}] })],
  ['clock {}', 'FL_INVALID_OPTION', engineWith({ clock: {} })],
  ['logger {}', 'FL_INVALID_OPTION', engineWith({ logger: {} })],
  ['cache {}', 'FL_INVALID_OPTION', engineWith({ cache: {} })],
  ['state 5', 'FL_INVALID_OPTION', engineWith({ state: 5 })],
  ['permissions a function', 'FL_INVALID_OPTION', engineWith({ permissions: () => true })],
  ['scheduler {}', 'FL_INVALID_OPTION', engineWith({ scheduler: {} })],
  ['artifactsDir ""', 'FL_INVALID_OPTION', engineWith({ artifactsDir: '' })],
  ['container {}', 'FL_INVALID_OPTION', engineWith({ container: {} })],
  ['plugins [{}]', 'FL_PLUGIN_INVALID', engineWith({ plugins: [{}] })],
  ['the same plugin twice', 'FL_PLUGIN_CONFLICT', engineWith({ plugins: [plugin({}), plugin({})] })],
  ['a plugin for another core', 'FL_PLUGIN_INCOMPATIBLE', engineWith({ plugins: [plugin({ flowlane: '^99.0.0' })] })],
  [
    'a plugin without its dependency',
    'FL_PLUGIN_DEPENDENCY_MISSING',
    engineWith({ plugins: [plugin({ dependsOn: ['other'] })] }),
  ],
  [
    'definePlugin with version "one"',
    'FL_PLUGIN_INVALID',
    () => thrown(() => definePlugin(plugin({ version: 'one' }))),
  ],
  [
    'definePlugin without setup',
    'FL_PLUGIN_INVALID',
    () => thrown(() => definePlugin({ name: 'p', version: '1.0.0', flowlane: '*' } as never)),
  ],
  [
    'a plugin whose setup rejects',
    'FL_PLUGIN_SETUP_FAILED',
    async () => {
      const e = createEngine({
        logger: silent,
        plugins: [plugin({ setup: async () => Promise.reject(new Error('no config')) })],
      });
      try {
        return await thrown(() => e.ready());
      } finally {
        await e.close();
      }
    },
  ],
];

/** A run that waits for a signal (to have an active execution id), cancelled by the case. */
const waiting = workflow('waiting')
  .addNode('w', (ctx) => ctx.waitForSignal('go'))
  .build();

const runArguments: Case[] = [
  [
    'run(builder) without .build()',
    'FL_NOT_A_WORKFLOW',
    () => thrown(() => engine.run(workflow('w').addNode('a', () => 1) as never, {})),
  ],
  ['run({})', 'FL_NOT_A_WORKFLOW', () => thrown(() => engine.run({} as never, {}))],
  ['run(undefined)', 'FL_NOT_A_WORKFLOW', () => thrown(() => engine.run(undefined as never, {}))],
  ['run(null)', 'FL_NOT_A_WORKFLOW', () => thrown(() => engine.run(null as never, {}))],
  ['run("good")', 'FL_NOT_A_WORKFLOW', () => thrown(() => engine.run('good' as never, {}))],
  ['execute(builder)', 'FL_NOT_A_WORKFLOW', () => thrown(() => engine.execute(workflow('w') as never, {}))],
  [
    'run option actr (typo)',
    'FL_INVALID_OPTION',
    () => thrown(() => engine.run(good, { n: 1 }, { actr: { id: 'a' } } as never)),
  ],
  [
    'run option executionID (typo)',
    'FL_INVALID_OPTION',
    () => thrown(() => engine.run(good, { n: 1 }, { executionID: 'x' } as never)),
  ],
  [
    'run option signal {}',
    'FL_INVALID_OPTION',
    () => thrown(() => engine.run(good, { n: 1 }, { signal: {} } as never)),
  ],
  [
    'run option signal an AbortController',
    'FL_INVALID_OPTION',
    () => thrown(() => engine.run(good, { n: 1 }, { signal: new AbortController() } as never)),
  ],
  [
    'run option executionId ""',
    'FL_INVALID_OPTION',
    () => thrown(() => engine.run(good, { n: 1 }, { executionId: '' })),
  ],
  [
    'run option executionId 5',
    'FL_INVALID_OPTION',
    () => thrown(() => engine.run(good, { n: 1 }, { executionId: 5 } as never)),
  ],
  ['run options a string', 'FL_INVALID_OPTION', () => thrown(() => engine.run(good, { n: 1 }, 'fast' as never))],
  ['run options null', 'FL_INVALID_OPTION', () => thrown(() => engine.run(good, { n: 1 }, null as never))],
  [
    'a second run with an active executionId',
    'FL_DUPLICATE_EXECUTION',
    async () => {
      const first = engine.run(waiting, {}, { executionId: 'dup' });
      const codes = await thrown(() => engine.run(waiting, {}, { executionId: 'dup' }));
      first.cancel('done');
      await settle(first.result);
      return codes;
    },
  ],
  ['signal an unknown execution', 'FL_EXECUTION_NOT_FOUND', () => thrown(() => engine.signal('nope', 'go'))],
  ['cancel an unknown execution', 'FL_EXECUTION_NOT_FOUND', () => thrown(() => engine.cancel('nope'))],
  [
    'run on a closed engine',
    'FL_ENGINE_CLOSED',
    async () => {
      const e = createEngine({ logger: silent });
      await e.close();
      return thrown(() => e.run(good, { n: 1 }));
    },
  ],
  [
    'input that fails the schema',
    'FL_INVALID_INPUT',
    run(
      () =>
        workflow('s')
          .input(schema)
          .addNode('a', (ctx) => ctx.input.n)
          .build(),
      { n: 'one' },
    ),
  ],
];

const atRunTime: Case[] = [
  [
    'ctx.exec args as a string',
    'FL_INVALID_OPTION',
    inNode((ctx: { exec(c: string, o: object): unknown }) => ctx.exec('ls', { args: '-l' })),
  ],
  [
    'ctx.exec option arg (typo)',
    'FL_INVALID_OPTION',
    inNode((ctx: { exec(c: string, o: object): unknown }) => ctx.exec('ls', { arg: ['-l'] })),
  ],
  ['ctx.exec command 42', 'FL_INVALID_OPTION', inNode((ctx: { exec(c: unknown): unknown }) => ctx.exec(42))],
  [
    'ctx.exec timeout 2^31',
    'FL_INVALID_OPTION',
    inNode((ctx: { exec(c: string, o: object): unknown }) => ctx.exec('true', { timeout: BIG })),
  ],
  [
    'ctx.exec env { A: 1 }',
    'FL_INVALID_OPTION',
    inNode((ctx: { exec(c: string, o: object): unknown }) => ctx.exec('true', { env: { A: 1 } })),
  ],
  [
    'ctx.exec.stream options a string',
    'FL_INVALID_OPTION',
    inNode((ctx: { exec: { stream(c: string, o: unknown): unknown } }) => ctx.exec.stream('true', '-l')),
  ],
  [
    'waitForSignal timeout 2^31',
    'FL_INVALID_OPTION',
    inNode((ctx: { waitForSignal(n: string, o: object): unknown }) => ctx.waitForSignal('go', { timeout: BIG })),
  ],
  [
    'waitForEvent option timout (typo)',
    'FL_INVALID_OPTION',
    inNode((ctx: { waitForEvent(n: string, o: object): unknown }) => ctx.waitForEvent('e', { timout: 5 })),
  ],
  [
    'waitForSignal without a name',
    'FL_INVALID_OPTION',
    inNode((ctx: { waitForSignal(n: unknown): unknown }) => ctx.waitForSignal(undefined)),
  ],
  ['emitEvent("")', 'FL_INVALID_OPTION', inNode((ctx: { emitEvent(n: string): unknown }) => ctx.emitEvent(''))],
  [
    'forEach items function returning a string',
    'FL_INVALID_OPTION',
    run(() =>
      workflow('fe')
        .forEach('e', (() => 'abc') as never, (x) => x)
        .build(),
    ),
  ],
  [
    'forEach items function resolving to an object',
    'FL_INVALID_OPTION',
    run(() =>
      workflow('fe')
        .forEach('e', (async () => ({ a: 1 })) as never, (x) => x)
        .build(),
    ),
  ],
  ['unknown executor, node never calls exec', 'FL_EXECUTOR_NOT_FOUND', inNode(() => 1, { executor: 'nope' })],
  [
    'unknown executor with retries (not retried)',
    'FL_EXECUTOR_NOT_FOUND',
    inNode(() => 1, { executor: { name: 'ssh', target: 'web1' }, retry: { maxAttempts: 5, initialInterval: 0 } }),
  ],
  ['node timeout', 'FL_TIMEOUT', inNode(() => new Promise(() => undefined), { timeout: 1_000 })],
  [
    'waitForSignal times out',
    'FL_SIGNAL_TIMEOUT',
    inNode((ctx: { waitForSignal(n: string, o: object): unknown }) => ctx.waitForSignal('go', { timeout: 1_000 })),
  ],
  [
    'waitForEvent times out',
    'FL_EVENT_TIMEOUT',
    inNode((ctx: { waitForEvent(n: string, o: object): unknown }) => ctx.waitForEvent('e', { timeout: 1_000 })),
  ],
  [
    'missing secret',
    'FL_SECRET_NOT_FOUND',
    inNode((ctx: { getSecret(n: string): unknown }) => ctx.getSecret('FLOWLANE_BAD_INPUT_NO_SUCH_SECRET')),
  ],
  [
    'actor without the role',
    'FL_PERMISSION_DENIED',
    run(
      () =>
        workflow('perm')
          .addNode('a', () => 1, { permissions: { requiredRoles: ['admin'] } })
          .build(),
      {},
      { actor: { id: 'eve', roles: ['viewer'] } },
    ),
  ],
  [
    'no actor for a protected node',
    'FL_PERMISSION_DENIED',
    run(() =>
      workflow('perm')
        .addNode('a', () => 1, { permissions: { requiredRoles: ['admin'] } })
        .build(),
    ),
  ],
  [
    'command exits 3',
    'FL_EXEC_FAILED',
    inNode((ctx: { exec(c: string, o: object): unknown }) => ctx.exec('exit 3', { shell: true })),
  ],
  [
    'command writes past maxOutputBytes',
    'FL_EXEC_OUTPUT_LIMIT',
    inNode((ctx: { exec(c: string, o: object): unknown }) =>
      ctx.exec('head -c 100000 /dev/zero', { shell: true, maxOutputBytes: 1_000 }),
    ),
  ],
  ['health check fails', 'FL_HEALTH_CHECK_FAILED', inNode(() => 1, { healthCheck: { command: 'false' } })],
  [
    'artifact never collected',
    'FL_ARTIFACT_NOT_FOUND',
    run(() =>
      workflow('art')
        .addNode(
          'make',
          () => {
            throw new Oops('no build');
          },
          { onError: 'continue', artifacts: { out: [{ from: '/nonexistent', name: 'dist' }] } },
        )
        .addNode('use', () => 1, {
          dependsOn: ['make'],
          artifacts: { in: [{ name: 'dist', to: join(tmpdir(), 'never-written') }] },
        })
        .build(),
    ),
  ],
  [
    'a rollback that throws (reported on node.rolled-back)',
    'FL_ROLLBACK_FAILED',
    async () => {
      const wf = workflow('rb')
        .addNode('deploy', () => 'v2', {
          rollback: () => {
            throw new Oops('cannot undo');
          },
        })
        .chain('verify', () => {
          throw new Oops('bad release');
        })
        .build();
      const codes: string[] = [];
      const sub = engine.events$.subscribe((e) => {
        if (e.type === 'node.rolled-back' && e.workflow === 'rb' && e.error?.code !== undefined)
          codes.push(e.error.code);
      });
      await settle(engine.run(wf, {}).result);
      sub.unsubscribe();
      return codes;
    },
  ],
  [
    'a node throws (run fails with FL_NODE_FAILED)',
    'FL_NODE_FAILED',
    async () => {
      const r = await settle(
        engine.run(
          workflow('t')
            .addNode('a', () => {
              throw new Oops('x');
            })
            .build(),
          {},
        ).result,
      );
      return [r.error?.code ?? '<none>'];
    },
  ],
  [
    'run cancelled',
    'FL_CANCELLED',
    async () => {
      const r = engine.run(waiting, {});
      r.cancel('by the test');
      const res = await settle(r.result);
      return [res.error?.code ?? '<none>'];
    },
  ],
];

describe('bad-input corpus', () => {
  const all = [
    ...unknownNodeOptions,
    ...invalidNodeOptions,
    ...graphProblems,
    ...engineOptions,
    ...runArguments,
    ...atRunTime,
  ];

  it('holds at least 120 cases', () => {
    expect(all.length).toBeGreaterThanOrEqual(120);
  });

  it.each(all)('%s → %s, and a good run on the same engine succeeds afterwards', async (_name, code, act) => {
    // Every problem reported carries exactly the expected code (some inputs are wrong in more than one place).
    const codes = await act();
    expect(codes.length).toBeGreaterThan(0);
    expect(new Set(codes)).toEqual(new Set([code]));
    const r = await settle(engine.run(good, { n: 1 }).result);
    expect(r.status).toBe('success');
    expect(r.outputs).toEqual({ a: 2, b: 4 });
  });
});

describe('messages say what to fix', () => {
  const problems = (f: () => unknown): string[] => {
    try {
      f();
    } catch (e) {
      if (e instanceof WorkflowDefinitionError) return e.problems.map((p) => p.message);
      return [(e as Error).message];
    }
    return [];
  };

  it.each([
    ['retires', 'retry'],
    ['timeOut', 'timeout'],
    ['dependOn', 'dependsOn'],
    ['fallbak', 'fallback'],
  ])('node option "%s" → did you mean "%s"?', (typo, meant) => {
    expect(
      problems(() =>
        workflow('w')
          .addNode('deploy', () => 1, { [typo]: 1 } as never)
          .build(),
      ),
    ).toEqual([`Node "deploy": unknown option "${typo}"; did you mean "${meant}"?`]);
  });

  it('FL_INVALID_OPTION from engine.run, engine.enqueue, engine.emit, engine.trigger and engine.schedule names the call, not "Workflow"', async () => {
    const wf = workflow('named')
      .addNode('a', () => 1)
      .build();
    const queue = definePlugin({
      name: 'named-call-queue',
      version: '1.0.0',
      flowlane: '*',
      setup(api) {
        api.runQueue.set({ enqueue: async () => undefined, result: () => new Promise(() => undefined) });
      },
    });
    const e = createEngine({ clock, logger: silent, plugins: [queue] });
    try {
      await e.ready();
      const messageOf = async (f: () => unknown): Promise<string> => {
        try {
          await f();
        } catch (err) {
          expect(isFlowlaneError(err, 'FL_INVALID_OPTION'), String(err)).toBe(true);
          return (err as Error).message;
        }
        throw new Error('no error');
      };
      const cases: [string, () => unknown][] = [
        ['engine.run: invalid priority', () => e.run(wf, undefined, { priority: Number.NaN })],
        ['engine.run: invalid executionId', () => e.run(wf, undefined, { executionId: '' })],
        ['engine.run: invalid signal', () => e.run(wf, undefined, { signal: {} as AbortSignal })],
        ['engine.run: invalid redact', () => e.run(wf, undefined, { redact: [] as never })],
        ['engine.enqueue: invalid priority', () => e.enqueue(wf, undefined, { priority: Number.NaN })],
        ['engine.enqueue: invalid executionId', () => e.enqueue(wf, undefined, { executionId: '' })],
        ['engine.enqueue: invalid prio', () => e.enqueue(wf, undefined, { prio: 1 } as never)],
        ['engine.emit: invalid emit name', () => e.emit('')],
        ['engine.trigger: invalid trigger.on', () => e.trigger({ on: '', run: wf })],
        ['engine.trigger: invalid trigger.concurrency', () => e.trigger({ on: 'x', run: wf, concurrency: 0 })],
        ['engine.trigger: invalid trigger.ron', () => e.trigger({ on: 'x', run: wf, ron: 1 } as never)],
        [
          'engine.schedule: invalid schedule.missed',
          () => e.schedule('* * * * *', wf, undefined, { missed: 'x' as never }),
        ],
        [
          'engine.schedule: invalid schedule.mised',
          () => e.schedule('* * * * *', wf, undefined, { mised: 1 } as never),
        ],
        ['engine.schedule: invalid schedule cron', () => e.schedule('nope', wf, undefined)],
      ];
      for (const [prefix, f] of cases) expect(await messageOf(f)).toMatch(new RegExp(`^${prefix}`));
    } finally {
      await e.close();
    }
  });

  it('dependOn no longer drops a dependency silently: build() fails instead of running b before a', () => {
    const codes = problems(() =>
      workflow('w')
        .addNode('a', () => 1)
        .addNode('b', () => 2, { dependOn: ['a'] } as never)
        .build(),
    );
    expect(codes).toEqual(['Node "b": unknown option "dependOn"; did you mean "dependsOn"?']);
  });

  it('nested and call-specific keys are suggested with their path', () => {
    expect(
      problems(() =>
        workflow('w')
          .addNode('a', () => 1, { retry: { maxAttempts: 2, maxAttemps: 3 } } as never)
          .build(),
      ),
    ).toEqual(['Node "a": unknown option "retry.maxAttemps"; did you mean "retry.maxAttempts"?']);
    expect(
      problems(() =>
        workflow('w')
          .parallel({ a: () => 1 }, { concurency: 2 } as never)
          .build(),
      ),
    ).toEqual(['Node "a": unknown option "concurency"; did you mean "concurrency"?']);
    expect(
      problems(() =>
        workflow('w')
          .addNode('a', () => 1, { zzzzzzzz: 1 } as never)
          .build(),
      ),
    ).toEqual(['Node "a": unknown option "zzzzzzzz". Remove it or check the spelling.']);
  });

  it('engine and run options name the closest key', () => {
    expect(problems(() => createEngine({ maxConcurentRuns: 1 } as never))).toEqual([
      'createEngine: invalid maxConcurentRuns: unknown option; did you mean "maxConcurrentRuns"?',
    ]);
    expect(problems(() => engine.run(good, { n: 1 }, { actr: { id: 'alice' } } as never))).toEqual([
      'engine.run: invalid actr: unknown option; did you mean "actor"?',
    ]);
  });

  it('FL_NOT_A_WORKFLOW tells to call .build()', () => {
    expect(problems(() => engine.run(workflow('deploy').addNode('a', () => 1) as never, {}))).toEqual([
      'Expected a built workflow, got a WorkflowBuilder ("deploy"). Call .build() on the WorkflowBuilder and pass the result.',
    ]);
  });

  it('a timeout of exactly 2^31−1 ms is accepted, one more is not', () => {
    expect(
      problems(() =>
        workflow('w')
          .addNode('a', () => 1, { timeout: 2 ** 31 - 1 })
          .build(),
      ),
    ).toEqual([]);
    expect(
      problems(() =>
        workflow('w')
          .addNode('a', () => 1, { timeout: 2 ** 31 })
          .build(),
      ),
    ).toEqual([
      `Node "a": invalid timeout: expected at most 2147483647 ms (2^31−1, the longest timer), got ${2 ** 31}.`,
    ]);
  });
});

describe('run-time behaviour behind the checks', () => {
  it('an unknown executor fails its node once at start (not retried), before the function runs', async () => {
    let ran = 0;
    const wf = workflow('ex')
      .addNode(
        'a',
        () => {
          ran++;
          return 1;
        },
        { executor: 'nope', retry: { maxAttempts: 4, initialInterval: 0 } },
      )
      .build();
    const r = await settle(engine.run(wf, {}).result);
    expect(ran).toBe(0);
    expect(r.nodes.a).toMatchObject({ status: 'failed', attempts: 1, error: { code: 'FL_EXECUTOR_NOT_FOUND' } });
    expect(r.nodes.a?.error?.message).toContain('available: local');
  });

  it('retry delays stay 0 (not NaN) past 1,024 retries with initialInterval: 0, and such a node still succeeds', async () => {
    let attempts = 0;
    const wf = workflow('many')
      .addNode(
        'a',
        () => {
          attempts++;
          if (attempts < 1_100) throw new Oops(`attempt ${attempts}`);
          return attempts;
        },
        { retry: { maxAttempts: 1_100, initialInterval: 0 } },
      )
      .build();
    const delays: number[] = [];
    const sub = engine.events$.subscribe((e) => {
      if (e.type === 'node.retrying' && e.workflow === 'many') delays.push(e.delayMs);
    });
    const r = await settle(engine.run(wf, {}).result);
    sub.unsubscribe();
    expect(r.status).toBe('success');
    expect(r.outputs).toEqual({ a: 1_100 });
    expect(delays).toHaveLength(1_099);
    expect(delays.every((d) => d === 0)).toBe(true);
  });
});
