/* Plugin */

/* Middleware */
export type { NodeSchemas, ValidationConfig } from './validation-middleware.js';
export { createValidationMiddleware, formatIssues, isStandardSchema, validate } from './validation-middleware.js';
export type { ValidationOptions } from './validation-plugin.js';
export { validation } from './validation-plugin.js';
/* Version */
export { CORE_RANGE, PKG_VERSION } from './version.js';
