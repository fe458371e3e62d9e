/* Plugin */

/* Executor */
export type { EchoExecutorOptions } from './echo-executor.js';
export { createEchoExecutor } from './echo-executor.js';
export type { EchoPluginOptions } from './echo-plugin.js';
export { echo, VERSION } from './echo-plugin.js';
/* Script language */
export type { Statement } from './script.js';
export { parseScript } from './script.js';
