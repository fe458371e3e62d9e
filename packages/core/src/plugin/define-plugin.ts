import semver from 'semver';
import { FlowlaneError } from '../errors.js';
import type { FlowlanePlugin } from './types.js';

/**
 * Define a plugin: checks its shape now (name, version, `flowlane` core range, setup) and returns it frozen.
 * Plugins are usually exported as factories taking their options.
 *
 * @example
 * ```ts
 * import { definePlugin } from '@flowlane/core';
 *
 * export const hello = (options: { greeting: string }) => definePlugin({
 *   name: 'flowlane-plugin-hello', version: '1.0.0', flowlane: '^0.1.0',
 *   setup(api) { api.middleware.use(async (ctx, next) => { ctx.log.info(options.greeting); return next(); }); },
 * });
 * ```
 */
export function definePlugin<P extends FlowlanePlugin>(plugin: P): Readonly<P> {
  const name = typeof plugin?.name === 'string' && plugin.name !== '' ? plugin.name : '(unnamed)';
  const bad = (reason: string): never => {
    throw new FlowlaneError('FL_PLUGIN_INVALID', { plugin: name, reason });
  };
  if (typeof plugin !== 'object' || plugin === null) bad('expected an object');
  if (name === '(unnamed)') bad('name must be a non-empty string');
  if (typeof plugin.version !== 'string' || semver.valid(plugin.version) === null)
    bad(`version must be a semver version, got ${String(plugin.version)}`);
  if (typeof plugin.flowlane !== 'string' || semver.validRange(plugin.flowlane) === null)
    bad(`flowlane must be a semver range of @flowlane/core such as "^0.1.0", got ${String(plugin.flowlane)}`);
  if (typeof plugin.setup !== 'function') bad('setup must be a function');
  if (
    plugin.dependsOn !== undefined &&
    (!Array.isArray(plugin.dependsOn) || plugin.dependsOn.some((d) => typeof d !== 'string'))
  )
    bad('dependsOn must be an array of plugin names');
  return Object.freeze({ ...plugin });
}
