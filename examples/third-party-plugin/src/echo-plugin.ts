import { definePlugin, type FlowlanePlugin } from '@flowlane/core';
import { createEchoExecutor, type EchoExecutorOptions } from './echo-executor.js';

/** This package's version (kept equal to package.json by a test). */
export const VERSION = '1.0.0';

/** Options of the {@link echo} plugin. */
export interface EchoPluginOptions extends EchoExecutorOptions {
  /** Name nodes use in `executor: 'echo'`. Default `'echo'`. */
  readonly name?: string | undefined;
}

/**
 * Registers the in-process echo executor. Nodes opt in with `executor: 'echo'`; `ctx.exec` then runs the built-in
 * shell instead of real programs. The engine disposes it on `close()`.
 *
 * @example
 * ```ts
 * import { createEngine, workflow } from '@flowlane/core';
 * import { echo } from 'flowlane-plugin-echo';
 *
 * const engine = createEngine({ plugins: [echo({ env: { STAGE: 'dry-run' } })] });
 * const wf = workflow('w').addNode('say', (ctx) => ctx.exec('echo', { args: ['hi'] }), { executor: 'echo' }).build();
 * ```
 */
export function echo(options: EchoPluginOptions = {}): Readonly<FlowlanePlugin> {
  const { name = 'echo', ...executorOptions } = options;
  return definePlugin({
    name: 'flowlane-plugin-echo',
    version: VERSION,
    flowlane: '^0.1.0',
    setup(api) {
      api.executors.register(name, createEchoExecutor(executorOptions));
      // No disposer needed: the engine disposes registered executors itself on close().
    },
  });
}
