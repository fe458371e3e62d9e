/* Plugin */
export { auditFile } from './audit-file-plugin.js';
export type { AuditLog } from './audit-log-writer.js';
/* Writing and verifying */
export { openAuditLog } from './audit-log-writer.js';
export { canonicalJson } from './canonical-json.js';
export type { ChainedRecord } from './chain.js';
export { GENESIS_HASH } from './chain.js';
/* Errors */
export type { AuditFileErrorCode } from './errors.js';
export { AuditFileError, AuditFileErrorCodes } from './errors.js';
export type { AuditFileOptions } from './options.js';
export { DEFAULT_REDACT_KEYS } from './options.js';
export type { AuditLogBroken, AuditLogIntact, VerifyAuditLogOptions } from './verify-audit-log.js';
export { verifyAuditLog } from './verify-audit-log.js';
export { CORE_RANGE, PKG_VERSION } from './version.js';
