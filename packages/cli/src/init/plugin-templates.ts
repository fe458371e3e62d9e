/** Kinds of plugin `flowlane init plugin` scaffolds, each tested by the matching `@flowlane/testing` suite. */
export const PLUGIN_KINDS = ['executor', 'scheduler', 'state-store'] as const;
/** One of {@link PLUGIN_KINDS}. */
export type PluginKind = (typeof PLUGIN_KINDS)[number];

/** What the templates are filled with. */
export interface TemplateValues {
  /** npm package name (`flowlane-plugin-foo`, `@acme/flowlane-executor-foo`). */
  readonly packageName: string;
  /** Name nodes select it by (`executor: 'foo'`). */
  readonly shortName: string;
  /** camelCase factory stem (`foo` → `createFooExecutor`, `foo()`). */
  readonly camel: string;
  /** PascalCase stem. */
  readonly pascal: string;
  readonly kind: PluginKind;
  /** Versions of the Flowlane packages and tools the package is made for. */
  readonly versions: {
    readonly core: string;
    readonly testing: string;
    readonly typescript: string;
    readonly vitest: string;
    readonly typesNode: string;
  };
}

const KIND_TEXT: Record<PluginKind, string> = {
  executor: 'executor',
  scheduler: 'scheduler',
  'state-store': 'state store',
};

const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

function packageJson(v: TemplateValues): string {
  return json({
    name: v.packageName,
    version: '0.1.0',
    description: `A Flowlane ${KIND_TEXT[v.kind]} plugin.`,
    license: 'MIT',
    type: 'module',
    sideEffects: false,
    exports: { '.': { types: './dist/index.d.ts', default: './dist/index.js' }, './package.json': './package.json' },
    main: './dist/index.js',
    types: './dist/index.d.ts',
    files: ['dist', 'README.md'],
    keywords: ['flowlane', 'flowlane-plugin', v.kind],
    engines: { node: '>=20.19' },
    scripts: { build: 'tsc -p tsconfig.json', typecheck: 'tsc -p tsconfig.test.json', test: 'vitest run' },
    peerDependencies: { '@flowlane/core': `^${v.versions.core}` },
    devDependencies: {
      '@flowlane/core': `^${v.versions.core}`,
      '@flowlane/testing': `^${v.versions.testing}`,
      '@types/node': v.versions.typesNode,
      typescript: v.versions.typescript,
      vitest: v.versions.vitest,
    },
  });
}

const TSCONFIG = json({
  compilerOptions: {
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    lib: ['ES2023'],
    types: ['node'],
    strict: true,
    noUncheckedIndexedAccess: true,
    exactOptionalPropertyTypes: true,
    verbatimModuleSyntax: true,
    declaration: true,
    sourceMap: true,
    skipLibCheck: true,
    rootDir: 'src',
    outDir: 'dist',
  },
  include: ['src'],
  exclude: ['src/**/*.test.ts'],
});

const TSCONFIG_TEST = json({
  extends: './tsconfig.json',
  compilerOptions: { noEmit: true, declaration: false, sourceMap: false },
  include: ['src'],
  exclude: [],
});

const VITEST_CONFIG = `import { defineConfig } from 'vitest/config';

// The conformance suite runs real commands with timeouts and aborts; give each test room on a busy machine.
export default defineConfig({ test: { include: ['src/**/*.test.ts'], testTimeout: 30_000 } });
`;

const LICENSE = (year: number) => `MIT License

Copyright (c) ${year} the authors of this package

Permission is hereby granted, free of charge, to any person obtaining a copy of this software and associated
documentation files (the "Software"), to deal in the Software without restriction, including without limitation the
rights to use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies of the Software, and to permit
persons to whom the Software is furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all copies or substantial portions of the
Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO THE
WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR
COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR
OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
`;

function executorFiles(v: TemplateValues): Record<string, string> {
  const factory = `create${v.pascal}Executor`;
  return {
    'src/executor.ts': `import { createLocalExecutor, type ExecOptions, type Executor } from '@flowlane/core';

/** Options of {@link ${factory}}. */
export interface ${v.pascal}ExecutorOptions {
  /** Environment variables every command gets, under the node's own \`env\`. Default: none. */
  readonly env?: Readonly<Record<string, string>> | undefined;
  /** Working directory of commands that give none. Default: the process's. */
  readonly cwd?: string | undefined;
}

/**
 * The ${v.shortName} executor. This starting point runs commands on this machine by delegating to core's local
 * executor (process groups, kill on abort, output limits, copies) and adds its own defaults; replace the delegation
 * with your transport (an API, a remote agent, …) and keep the conformance suite green.
 *
 * @example
 * \`\`\`ts
 * const executor = ${factory}({ env: { STAGE: 'dev' } });
 * const { stdout } = await executor.exec('printenv', { args: ['STAGE'] }).result;
 * \`\`\`
 */
export function ${factory}(options: ${v.pascal}ExecutorOptions = {}): Executor {
  const local = createLocalExecutor(options.cwd === undefined ? {} : { cwd: options.cwd });
  const defaults = options.env ?? {};
  return {
    exec: (command: string, exec: ExecOptions = {}) =>
      local.exec(command, { ...exec, env: { ...defaults, ...exec.env } }),
    copyIn: (from, to, copy) => local.copyIn(from, to, copy),
    copyOut: (from, to, copy) => local.copyOut(from, to, copy),
    healthCheck: (check) => local.healthCheck(check),
    dispose: () => local.dispose(),
  };
}
`,
    'src/plugin.ts': `import { definePlugin, type FlowlanePlugin } from '@flowlane/core';
import { ${factory}, type ${v.pascal}ExecutorOptions } from './executor.js';

/** This package's version (keep it equal to package.json). */
export const VERSION = '0.1.0';

/** Options of the {@link ${v.camel}} plugin. */
export interface ${v.pascal}PluginOptions extends ${v.pascal}ExecutorOptions {
  /** Name nodes select it by: \`executor: '${v.shortName}'\`. Default \`'${v.shortName}'\`. */
  readonly name?: string | undefined;
}

/**
 * Registers the ${v.shortName} executor; nodes opt in with \`executor: '${v.shortName}'\`. The engine disposes it on
 * \`close()\`.
 *
 * @example
 * \`\`\`ts
 * const engine = createEngine({ plugins: [${v.camel}({ env: { STAGE: 'dev' } })] });
 * \`\`\`
 */
export function ${v.camel}(options: ${v.pascal}PluginOptions = {}): Readonly<FlowlanePlugin> {
  const { name = '${v.shortName}', ...executorOptions } = options;
  return definePlugin({
    name: '${v.packageName}',
    version: VERSION,
    flowlane: '^${v.versions.core}',
    setup(api) {
      api.executors.register(name, ${factory}(executorOptions));
    },
  });
}
`,
    'src/index.ts': `export type { ${v.pascal}ExecutorOptions } from './executor.js';
export { ${factory} } from './executor.js';
export type { ${v.pascal}PluginOptions } from './plugin.js';
export { ${v.camel}, VERSION } from './plugin.js';
`,
    'src/executor.test.ts': `import { executorConformance } from '@flowlane/testing';
import { ${factory} } from './index.js';

// The executor contract of @flowlane/core: results, streaming, exit codes, env/cwd/stdin, timeouts, aborts, output
// limits, copies, health and dispose — with real commands.
executorConformance('${v.packageName}', () => ${factory}());
`,
    'src/plugin.test.ts': `import { readFileSync } from 'node:fs';
import { createEngine, workflow } from '@flowlane/core';
import { describe, expect, it } from 'vitest';
import { ${v.camel}, VERSION } from './index.js';

describe('${v.camel}() in an engine', () => {
  it('runs ctx.exec of nodes that select it, with the default env under the node env', async () => {
    const engine = createEngine({ plugins: [${v.camel}({ env: { STAGE: 'dev', REGION: 'eu' } })] });
    try {
      const wf = workflow('check')
        .addNode(
          'env',
          async (ctx) =>
            (await ctx.exec('sh', { args: ['-c', 'echo "$STAGE $REGION"'], env: { REGION: 'us' } })).stdout.trim(),
          { executor: '${v.shortName}' },
        )
        .build();
      const r = await engine.run(wf, {}).result;
      expect(r.status).toBe('success');
      expect(r.outputs).toEqual({ env: 'dev us' });
    } finally {
      await engine.close();
    }
  });

  it('VERSION matches package.json', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(VERSION).toBe(pkg.version);
  });
});
`,
  };
}

function stateStoreFiles(v: TemplateValues): Record<string, string> {
  const factory = `create${v.pascal}StateStore`;
  return {
    'src/state-store.ts': `import type { StateStore } from '@flowlane/core';

/**
 * The ${v.shortName} state store behind \`ctx.storage\`. This starting point keeps values in memory, copied through
 * JSON so callers never share objects with the store; replace the Map with your database and keep the conformance
 * suite green (pass \`{ retention: 'durable' }\` to it once state outlives \`release\`).
 *
 * @example
 * \`\`\`ts
 * const store = ${factory}();
 * await store.set('run-1', 'counter', 1);
 * \`\`\`
 */
export function ${factory}(): StateStore {
  const data = new Map<string, Map<string, string>>();
  return {
    name: '${v.shortName}',
    get(executionId, key) {
      const raw = data.get(executionId)?.get(key);
      return raw === undefined ? undefined : (JSON.parse(raw) as unknown);
    },
    set(executionId, key, value) {
      let entries = data.get(executionId);
      if (entries === undefined) data.set(executionId, (entries = new Map()));
      entries.set(key, JSON.stringify(value));
    },
    delete(executionId, key) {
      data.get(executionId)?.delete(key);
    },
    release(executionId) {
      data.delete(executionId);
    },
    dispose() {
      data.clear();
    },
  };
}
`,
    'src/plugin.ts': `import { definePlugin, type FlowlanePlugin } from '@flowlane/core';
import { ${factory} } from './state-store.js';

/** This package's version (keep it equal to package.json). */
export const VERSION = '0.1.0';

/**
 * Makes the ${v.shortName} store the engine's state store (\`ctx.storage\`).
 *
 * @example
 * \`\`\`ts
 * const engine = createEngine({ plugins: [${v.camel}()] });
 * \`\`\`
 */
export function ${v.camel}(): Readonly<FlowlanePlugin> {
  return definePlugin({
    name: '${v.packageName}',
    version: VERSION,
    flowlane: '^${v.versions.core}',
    setup(api) {
      const store = ${factory}();
      api.state.setStore(store);
      return () => store.dispose?.();
    },
  });
}
`,
    'src/index.ts': `export { ${v.camel}, VERSION } from './plugin.js';
export { ${factory} } from './state-store.js';
`,
    'src/state-store.test.ts': `import { stateStoreConformance } from '@flowlane/testing';
import { ${factory} } from './index.js';

// The StateStore contract of @flowlane/core: missing keys, JSON-like values, overwrite, delete, isolation, release.
stateStoreConformance('${v.packageName}', () => ${factory}());
`,
    'src/plugin.test.ts': `import { readFileSync } from 'node:fs';
import { createEngine, workflow } from '@flowlane/core';
import { describe, expect, it } from 'vitest';
import { ${v.camel}, VERSION } from './index.js';

describe('${v.camel}() in an engine', () => {
  it('backs ctx.storage', async () => {
    const engine = createEngine({ plugins: [${v.camel}()] });
    try {
      const wf = workflow('count')
        .addNode('write', async (ctx) => ctx.storage.set('n', 41))
        .addNode('read', async (ctx) => ((await ctx.storage.get<number>('n')) ?? 0) + 1, { dependsOn: ['write'] })
        .build();
      const r = await engine.run(wf, {}).result;
      expect(r.outputs.read).toBe(42);
    } finally {
      await engine.close();
    }
  });

  it('VERSION matches package.json', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(VERSION).toBe(pkg.version);
  });
});
`,
  };
}

function schedulerFiles(v: TemplateValues): Record<string, string> {
  const factory = `create${v.pascal}Scheduler`;
  return {
    'src/scheduler.ts': `import { type AdmissionRequest, FlowlaneError, type Lease, type Scheduler } from '@flowlane/core';

/** Options of {@link ${factory}}. */
export interface ${v.pascal}SchedulerOptions {
  /** Nodes running at once (across runs). */
  readonly concurrency: number;
}

interface Waiter {
  readonly request: AdmissionRequest;
  readonly signal: AbortSignal;
  readonly resolve: (lease: Lease) => void;
  readonly reject: (error: unknown) => void;
  readonly onAbort: () => void;
}

/**
 * The ${v.shortName} scheduler. This starting point admits up to \`concurrency\` nodes at once, higher \`priority\`
 * first and in arrival order among equals; replace the queue with your policy (placement on workers, quotas, …) and
 * keep the conformance suite green.
 *
 * @example
 * \`\`\`ts
 * const scheduler = ${factory}({ concurrency: 4 });
 * \`\`\`
 */
export function ${factory}(options: ${v.pascal}SchedulerOptions): Scheduler {
  const cap = options.concurrency;
  if (!Number.isInteger(cap) || cap < 1)
    throw new FlowlaneError('FL_INVALID_OPTION', { option: 'concurrency', reason: \`expected an integer ≥ 1, got \${cap}\` });
  let running = 0;
  /** Waiting requests, higher priority first, arrival order among equals. */
  const queue: Waiter[] = [];
  const cancelled = (request: AdmissionRequest, reason: string) =>
    new FlowlaneError('FL_CANCELLED', { executionId: request.executionId, reason });
  const admit = (): void => {
    while (running < cap && queue.length > 0) {
      const next = queue.shift()!;
      next.signal.removeEventListener('abort', next.onAbort);
      running++;
      next.resolve({ request: next.request });
    }
  };
  return {
    name: '${v.shortName}',
    acquire(request, signal) {
      if (signal.aborted) return Promise.reject(cancelled(request, 'aborted before it was queued'));
      if (running < cap && queue.length === 0) {
        running++;
        return { request };
      }
      return new Promise<Lease>((resolve, reject) => {
        const waiter: Waiter = {
          request,
          signal,
          resolve,
          reject,
          onAbort: () => {
            const k = queue.indexOf(waiter);
            if (k !== -1) queue.splice(k, 1);
            reject(cancelled(request, 'aborted while queued'));
          },
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
        const k = queue.findIndex((w) => w.request.priority < request.priority);
        queue.splice(k === -1 ? queue.length : k, 0, waiter);
      });
    },
    release() {
      running--;
      admit();
    },
    pending: () => queue.length,
    dispose() {
      for (const w of queue.splice(0)) {
        w.signal.removeEventListener('abort', w.onAbort);
        w.reject(cancelled(w.request, 'scheduler disposed'));
      }
    },
  };
}
`,
    'src/plugin.ts': `import { definePlugin, type FlowlanePlugin } from '@flowlane/core';
import { ${factory}, type ${v.pascal}SchedulerOptions } from './scheduler.js';

/** This package's version (keep it equal to package.json). */
export const VERSION = '0.1.0';

/**
 * Makes the ${v.shortName} scheduler the engine's scheduler: every ready node asks it for admission.
 *
 * @example
 * \`\`\`ts
 * const engine = createEngine({ plugins: [${v.camel}({ concurrency: 4 })] });
 * \`\`\`
 */
export function ${v.camel}(options: ${v.pascal}SchedulerOptions): Readonly<FlowlanePlugin> {
  return definePlugin({
    name: '${v.packageName}',
    version: VERSION,
    flowlane: '^${v.versions.core}',
    setup(api) {
      api.schedulers.set(${factory}(options));
    },
  });
}
`,
    'src/index.ts': `export { ${v.camel}, VERSION } from './plugin.js';
export type { ${v.pascal}SchedulerOptions } from './scheduler.js';
export { ${factory} } from './scheduler.js';
`,
    'src/scheduler.test.ts': `import { schedulerConformance } from '@flowlane/testing';
import { ${factory} } from './index.js';

// The Scheduler contract of @flowlane/core: capacity, admission on release, priority order, aborts, pending(),
// a randomised workload and dispose().
schedulerConformance('${v.packageName}', ({ concurrency }) => ${factory}({ concurrency }), { ordering: 'priority' });
`,
    'src/plugin.test.ts': `import { readFileSync } from 'node:fs';
import { createEngine, workflow } from '@flowlane/core';
import { describe, expect, it } from 'vitest';
import { ${v.camel}, VERSION } from './index.js';

describe('${v.camel}() in an engine', () => {
  it('runs one node at a time; waiting nodes go highest priority first', async () => {
    const engine = createEngine({ plugins: [${v.camel}({ concurrency: 1 })] });
    try {
      const order: string[] = [];
      let running = 0;
      let peak = 0;
      const step = (id: string) => async () => {
        running++;
        peak = Math.max(peak, running);
        order.push(id);
        await new Promise((r) => setTimeout(r, 5));
        running--;
        return id;
      };
      const wf = workflow('prio')
        .addNode('first', step('first')) // takes the only slot; the two below wait for it
        .addNode('low', step('low'), { priority: 1 })
        .addNode('high', step('high'), { priority: 10 })
        .build();
      const r = await engine.run(wf, {}).result;
      expect(r.status).toBe('success');
      expect(order).toEqual(['first', 'high', 'low']);
      expect(peak).toBe(1);
    } finally {
      await engine.close();
    }
  });

  it('VERSION matches package.json', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(VERSION).toBe(pkg.version);
  });
});
`,
  };
}

function readme(v: TemplateValues): string {
  const isExecutor = v.kind === 'executor';
  const usage =
    v.kind === 'scheduler'
      ? `import { createEngine } from '@flowlane/core';
import { ${v.camel} } from '${v.packageName}';

const engine = createEngine({ plugins: [${v.camel}({ concurrency: 4 })] });`
      : isExecutor
        ? `import { createEngine, workflow } from '@flowlane/core';
import { ${v.camel} } from '${v.packageName}';

const engine = createEngine({ plugins: [${v.camel}({ env: { STAGE: 'dev' } })] });
const wf = workflow('hello')
  .addNode('say', async (ctx) => (await ctx.exec('echo', { args: ['hello'] })).stdout, { executor: '${v.shortName}' })
  .build();
console.log((await engine.run(wf, {}).result).outputs);
await engine.close();`
        : `import { createEngine } from '@flowlane/core';
import { ${v.camel} } from '${v.packageName}';

const engine = createEngine({ plugins: [${v.camel}()] });`;
  const options = isExecutor
    ? `### \`name\`

Type \`string\`, default \`'${v.shortName}'\`: what nodes put in \`executor\`.

### \`env\`

Type \`Record<string, string>\`, default none: environment variables every command gets (a node's own \`env\` wins).

### \`cwd\`

Type \`string\`, default the process's working directory: where commands run when they give no \`cwd\`.`
    : 'None yet.';
  return `# ${v.packageName}

A Flowlane ${KIND_TEXT[v.kind]} plugin, scaffolded by \`flowlane init plugin\`.

## Install

\`\`\`sh
npm install ${v.packageName} @flowlane/core
\`\`\`

## Usage

\`\`\`ts
${usage}
\`\`\`

## Options

${options}

## Events and error codes

This plugin emits no events of its own and adds no error codes: failures surface as core's codes
(${isExecutor ? '`FL_EXEC_FAILED`, `FL_TIMEOUT`, `FL_CANCELLED`, …' : v.kind === 'scheduler' ? '`FL_INVALID_OPTION` for a bad `concurrency`, `FL_CANCELLED` for a request aborted while queued' : 'the node that used `ctx.storage` fails with the store’s error'}).
When you add codes, keep them in one table with \`definePluginErrors\` from \`@flowlane/core\` and list them here.

## Compatibility

\`@flowlane/core\` ^${v.versions.core} (checked when the engine loads the plugin), Node.js ≥ 20.19.

## Development

\`\`\`sh
npm install
npm test        # the ${KIND_TEXT[v.kind]} conformance suite of @flowlane/testing, plus the plugin test
npm run build
\`\`\`
`;
}

/** Every file of a new plugin package, by relative path. */
export function pluginTemplate(v: TemplateValues, year: number): Record<string, string> {
  return {
    'package.json': packageJson(v),
    'tsconfig.json': TSCONFIG,
    'tsconfig.test.json': TSCONFIG_TEST,
    'vitest.config.ts': VITEST_CONFIG,
    '.gitignore': 'node_modules\ndist\n',
    LICENSE: LICENSE(year),
    'README.md': readme(v),
    ...(v.kind === 'executor' ? executorFiles(v) : v.kind === 'scheduler' ? schedulerFiles(v) : stateStoreFiles(v)),
  };
}
