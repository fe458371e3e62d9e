/**
 * This package's version (kept equal to package.json by a test).
 *
 * @example
 * ```ts
 * import { PKG_VERSION } from '@flowlane/queue-bullmq';
 * console.log(PKG_VERSION); // 0.1.0
 * ```
 */
export const PKG_VERSION = '0.1.0';
/**
 * The `@flowlane/core` range this plugin supports (checked by the engine when it loads the plugin).
 *
 * @example
 * ```ts
 * import { CORE_RANGE } from '@flowlane/queue-bullmq';
 * console.log(CORE_RANGE); // ^0.1.0
 * ```
 */
export const CORE_RANGE = '^0.1.0';
