import { definePlugin, type FlowlanePlugin } from '@flowlane/core';
import { createDockerExecutor } from './docker-executor.js';
import { EXECUTOR_KEYS, rejectUnknownKeys } from './option-keys.js';
import type { DockerExecutorOptions } from './options.js';
import { CORE_RANGE, PKG_VERSION } from './version.js';

/** Options of the {@link dockerExecutor} plugin. */
export interface DockerExecutorPluginOptions extends DockerExecutorOptions {
  /** Name nodes use in `executor: { name }`. Default `'docker'`. */
  readonly name?: string | undefined;
}

/**
 * The Docker executor as a plugin: registers {@link createDockerExecutor} under `'docker'` (or `name`) and disposes
 * it when the engine closes.
 *
 * @example
 * ```ts
 * import { createEngine, workflow } from '@flowlane/core';
 * import { dockerExecutor } from '@flowlane/executor-docker';
 *
 * const engine = createEngine({
 *   plugins: [dockerExecutor({ targets: { ci: { mode: 'run', image: 'node:20-alpine', network: 'none' } } })],
 * });
 * const wf = workflow('test')
 *   .addNode('unit', async (ctx) => (await ctx.exec('node', { args: ['--version'] })).stdout, {
 *     executor: { name: 'docker', target: 'ci' },
 *   })
 *   .build();
 * console.log((await engine.execute(wf, {})).unit);
 * await engine.close();
 * ```
 */
export function dockerExecutor(options: DockerExecutorPluginOptions = {}): Readonly<FlowlanePlugin> {
  // Unknown keys fail when the plugin is created, not later in the engine's setup.
  rejectUnknownKeys(options, [...EXECUTOR_KEYS, 'name']);
  const { name = 'docker', ...executorOptions } = options;
  return definePlugin({
    name: '@flowlane/executor-docker',
    version: PKG_VERSION,
    flowlane: CORE_RANGE,
    setup(api) {
      const executor = createDockerExecutor(executorOptions);
      api.executors.register(name, executor);
      return () => executor.dispose();
    },
  });
}
