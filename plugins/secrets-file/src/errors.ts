import { definePluginErrors, type PluginError } from '@flowlane/core';

/**
 * The encrypted secrets file's error codes (prefix `FL_SECRETS_`). Messages never contain a secret value or key
 * material. Codes are stable; the README lists each with its meaning and fix, and a test keeps the two in sync.
 *
 * @example
 * ```ts
 * import { SecretsFileErrorCodes } from '@flowlane/secrets-file';
 * console.log(Object.keys(SecretsFileErrorCodes).length); // 5
 * ```
 */
export const SecretsFileErrorCodes = {
  FL_SECRETS_INVALID_OPTION: (p: { option: string; reason: string }) =>
    `Invalid secrets-file option "${p.option}": ${p.reason}.`,
  FL_SECRETS_NO_KEY: (p: { source: string }) =>
    `No key for the secrets file: ${p.source}. Pass key, keyFile, keyEnv, passphrase or passphraseEnv (default: the FLOWLANE_SECRETS_KEY environment variable).`,
  FL_SECRETS_DECRYPT_FAILED: (p: { path: string; reason: 'wrong-key-or-tampered' | 'not-a-secrets-file' }) =>
    p.reason === 'wrong-key-or-tampered'
      ? `Could not decrypt the secrets file ${p.path}: the key is wrong or the file was modified. Check the key (or passphrase) you pass; restore the file from a backup if it was changed.`
      : `${p.path} is not a Flowlane secrets file (or is damaged). Create one with \`flowlane-secrets set\` or openSecretsFile(path, { create: true }).`,
  FL_SECRETS_FILE_NOT_FOUND: (p: { path: string }) =>
    `The secrets file ${p.path} does not exist. Create it with \`flowlane-secrets set\` or openSecretsFile(path, { create: true, … }).`,
  FL_SECRETS_INVALID_NAME: (p: { name: string }) =>
    `Invalid secret name ${JSON.stringify(p.name.slice(0, 80))}: use 1–200 characters of letters, digits, ".", "_", "-" and "/".`,
} as const;

/** Every `FL_SECRETS_` code. */
export type SecretsFileErrorCode = keyof typeof SecretsFileErrorCodes;

/**
 * An error of the secrets file: a stable `code` from {@link SecretsFileErrorCodes} and typed `details`; recognised by
 * `isFlowlaneError`.
 *
 * @example
 * ```ts
 * import { SecretsFileError, openSecretsFile } from '@flowlane/secrets-file';
 * try {
 *   await openSecretsFile('/nonexistent/secrets.enc', { key: 'a'.repeat(64) });
 * } catch (e) {
 *   if (SecretsFileError.is(e, 'FL_SECRETS_FILE_NOT_FOUND')) console.log(e.code); // FL_SECRETS_FILE_NOT_FOUND
 * }
 * ```
 */
export const SecretsFileError = definePluginErrors('SecretsFileError', SecretsFileErrorCodes);
/** A {@link SecretsFileError} with code `C`. */
export type SecretsFileError<C extends SecretsFileErrorCode = SecretsFileErrorCode> = PluginError<
  typeof SecretsFileErrorCodes,
  C
>;
