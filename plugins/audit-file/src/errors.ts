import { definePluginErrors, type PluginError } from '@flowlane/core';

/**
 * The audit log's error codes (prefix `FL_AUDIT_`). Codes are stable: never renamed, never reused. The README lists
 * each with its meaning and fix; a test keeps the two in sync.
 *
 * @example
 * ```ts
 * import { AuditFileErrorCodes } from '@flowlane/audit-file';
 * console.log(Object.keys(AuditFileErrorCodes).length); // 4
 * ```
 */
export const AuditFileErrorCodes = {
  FL_AUDIT_INVALID_OPTION: (p: { option: string; reason: string }) =>
    `Invalid audit-file option "${p.option}": ${p.reason}.`,
  FL_AUDIT_LOCKED: (p: { path: string; lockFile: string; pid: number | null; host: string | null }) =>
    `The audit log ${p.path} is held by another writer (${p.pid === null ? 'unknown process' : `pid ${p.pid}`}${p.host === null ? '' : ` on ${p.host}`}, lock file ${p.lockFile}). One process writes an audit log at a time: stop the other writer, give this one its own path, or remove the lock file if that process is gone on another host.`,
  FL_AUDIT_CORRUPT: (p: { path: string; reason: string }) =>
    `The audit log ${p.path} cannot be continued: ${p.reason}. Run verifyAuditLog() (or \`flowlane-audit verify\`) on it, keep it as evidence and start a new log at another path.`,
  FL_AUDIT_WRITE_FAILED: (p: { path: string; reason: string }) =>
    `Writing the audit log ${p.path} failed: ${p.reason}. Check the disk and permissions; records after this one are refused until the engine is restarted.`,
} as const;

/** Every `FL_AUDIT_` code. */
export type AuditFileErrorCode = keyof typeof AuditFileErrorCodes;

/**
 * An error raised by the audit log: a stable `code` from {@link AuditFileErrorCodes} and typed `details`. Carries
 * core's error brand, so `isFlowlaneError(err)` is true.
 *
 * @example
 * ```ts
 * import { AuditFileError, auditFile } from '@flowlane/audit-file';
 * try {
 *   auditFile({ path: 'audit.jsonl', fsync: 'sometimes' as never });
 * } catch (e) {
 *   if (AuditFileError.is(e, 'FL_AUDIT_INVALID_OPTION')) console.log(e.details.option); // fsync
 * }
 * ```
 */
export const AuditFileError = definePluginErrors('AuditFileError', AuditFileErrorCodes);
/** An {@link AuditFileError} with code `C`. */
export type AuditFileError<C extends AuditFileErrorCode = AuditFileErrorCode> = PluginError<
  typeof AuditFileErrorCodes,
  C
>;
