/* Plugin */

/* Errors */
export type { SecretsFileErrorCode } from './errors.js';
export { SecretsFileError, SecretsFileErrorCodes } from './errors.js';
/* File API */
export type { KeySource } from './key-source.js';
export type { OpenSecretsFileOptions, SecretsFile } from './secrets-file.js';
export { openSecretsFile } from './secrets-file.js';
export type { SecretsFileOptions } from './secrets-file-plugin.js';
export { secretsFile } from './secrets-file-plugin.js';
export { CORE_RANGE, PKG_VERSION } from './version.js';
