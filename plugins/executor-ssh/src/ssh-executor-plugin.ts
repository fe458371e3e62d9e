import { definePlugin, type FlowlanePlugin } from '@flowlane/core';
import { EXECUTOR_KEYS, rejectUnknownKeys } from './option-keys.js';
import type { SshExecutorOptions } from './options.js';
import { createSshExecutor } from './ssh-executor.js';
import { CORE_RANGE, PKG_VERSION } from './version.js';

/** Options of the {@link sshExecutor} plugin. */
export interface SshExecutorPluginOptions extends SshExecutorOptions {
  /** Name nodes use in `executor: { name }`. Default `'ssh'`. */
  readonly name?: string | undefined;
}

/**
 * The SSH executor as a plugin: registers {@link createSshExecutor} under `'ssh'` (or `name`), logs through the
 * engine's logger unless `logger` is given, and closes every connection when the engine closes.
 *
 * @example
 * ```ts
 * import { createEngine, workflow } from '@flowlane/core';
 * import { sshExecutor } from '@flowlane/executor-ssh';
 *
 * const engine = createEngine({
 *   plugins: [
 *     sshExecutor({
 *       hosts: { web1: { host: 'web1.internal', username: 'deploy', privateKeyPath: '/home/ci/.ssh/id_ed25519' } },
 *     }),
 *   ],
 * });
 * const wf = workflow('deploy')
 *   .addNode('restart', (ctx) => ctx.exec('systemctl', { args: ['restart', 'app'] }), {
 *     executor: { name: 'ssh', target: 'web1' },
 *   })
 *   .build();
 * await engine.execute(wf, {});
 * await engine.close();
 * ```
 */
export function sshExecutor(options: SshExecutorPluginOptions): Readonly<FlowlanePlugin> {
  // Unknown keys fail when the plugin is created, not later in the engine's setup.
  rejectUnknownKeys(options, [...EXECUTOR_KEYS, 'name']);
  const { name = 'ssh', ...executorOptions } = options;
  return definePlugin({
    name: '@flowlane/executor-ssh',
    version: PKG_VERSION,
    flowlane: CORE_RANGE,
    setup(api) {
      const executor = createSshExecutor({ logger: api.logger, ...executorOptions });
      api.executors.register(name, executor);
      return () => executor.dispose();
    },
  });
}
