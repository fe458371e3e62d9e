import { definePlugin, type FlowlanePlugin } from '@flowlane/core';
import { createKubernetesExecutor } from './kubernetes-executor.js';
import { EXECUTOR_KEYS, rejectUnknownKeys } from './option-keys.js';
import type { KubernetesExecutorOptions } from './options.js';
import { CORE_RANGE, PKG_VERSION } from './version.js';

/** Options of the {@link kubernetesExecutor} plugin. */
export interface KubernetesExecutorPluginOptions extends KubernetesExecutorOptions {
  /** Name nodes use in `executor: { name }`. Default `'kubernetes'`. */
  readonly name?: string | undefined;
}

/**
 * The Kubernetes executor as a plugin: registers {@link createKubernetesExecutor} under `'kubernetes'` (or `name`)
 * and disposes it when the engine closes.
 *
 * @example
 * ```ts
 * import { createEngine, workflow } from '@flowlane/core';
 * import { kubernetesExecutor } from '@flowlane/executor-kubernetes';
 *
 * const engine = createEngine({
 *   plugins: [kubernetesExecutor({ targets: { web: { namespace: 'prod', labelSelector: 'app=web' } } })],
 * });
 * const wf = workflow('verify')
 *   .addNode('verify', async (ctx) => (await ctx.exec('cat', { args: ['/srv/version'] })).stdout, {
 *     executor: { name: 'kubernetes', target: 'web' },
 *   })
 *   .build();
 * console.log((await engine.execute(wf, {})).verify);
 * await engine.close();
 * ```
 */
export function kubernetesExecutor(options: KubernetesExecutorPluginOptions = {}): Readonly<FlowlanePlugin> {
  // Unknown keys fail when the plugin is created, not later in the engine's setup.
  rejectUnknownKeys(options, [...EXECUTOR_KEYS, 'name']);
  const { name = 'kubernetes', ...executorOptions } = options;
  return definePlugin({
    name: '@flowlane/executor-kubernetes',
    version: PKG_VERSION,
    flowlane: CORE_RANGE,
    setup(api) {
      const executor = createKubernetesExecutor(executorOptions);
      api.executors.register(name, executor);
      return () => executor.dispose();
    },
  });
}
