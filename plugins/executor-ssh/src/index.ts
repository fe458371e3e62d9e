/* Plugin */

/* Errors */
export type { SshErrorCode, SshErrorDetails } from './errors.js';
export { isSshExecutorError, SshErrorCodes, SshExecutorError } from './errors.js';
export type { SshHostStats } from './host-pool.js';
/* Host keys and quoting (building blocks) */
export { fingerprintOf } from './known-hosts.js';
/* Options */
export type { SshExecutorOptions, SshHostOptions, SshPoolOptions } from './options.js';
export { quoteShellArg } from './shell-quote.js';
/* Executor */
export type { SshExecutor } from './ssh-executor.js';
export { createSshExecutor } from './ssh-executor.js';
export type { SshExecutorPluginOptions } from './ssh-executor-plugin.js';
export { sshExecutor } from './ssh-executor-plugin.js';
/* Version */
export { PKG_VERSION } from './version.js';
