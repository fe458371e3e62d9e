import { definePluginErrors, type PluginError } from '@flowlane/core';

/**
 * The permissions policy's error codes (prefix `FL_PERMISSIONS_`). Denials themselves are core's
 * `FL_PERMISSION_DENIED` (a node) and `FL_ACTION_DENIED` (run, cancel, signal, resume).
 *
 * @example
 * ```ts
 * import { PermissionsPolicyErrorCodes } from '@flowlane/permissions-policy';
 * console.log(Object.keys(PermissionsPolicyErrorCodes).length); // 2
 * ```
 */
export const PermissionsPolicyErrorCodes = {
  FL_PERMISSIONS_INVALID_POLICY: (p: { source: string; path: string; reason: string }) =>
    `Invalid permissions policy (${p.source}) at ${p.path}: ${p.reason}.`,
  FL_PERMISSIONS_INVALID_OPTION: (p: { option: string; reason: string }) =>
    `Invalid permissionsPolicy() option "${p.option}": ${p.reason}.`,
} as const;

/** Every `FL_PERMISSIONS_` code. */
export type PermissionsPolicyErrorCode = keyof typeof PermissionsPolicyErrorCodes;

/**
 * An error of the permissions policy, recognised by `isFlowlaneError`.
 *
 * @example
 * ```ts
 * import { PermissionsPolicyError, permissionsPolicy } from '@flowlane/permissions-policy';
 * try {
 *   permissionsPolicy({ policy: { roles: { ops: { actions: ['deploy'] } } } as never });
 * } catch (e) {
 *   if (PermissionsPolicyError.is(e, 'FL_PERMISSIONS_INVALID_POLICY')) console.log(e.details.path); // roles.ops.actions[0]
 * }
 * ```
 */
export const PermissionsPolicyError = definePluginErrors('PermissionsPolicyError', PermissionsPolicyErrorCodes);
/** A {@link PermissionsPolicyError} with code `C`. */
export type PermissionsPolicyError<C extends PermissionsPolicyErrorCode = PermissionsPolicyErrorCode> = PluginError<
  typeof PermissionsPolicyErrorCodes,
  C
>;
