/* POSIX shell quoting for the command lines sent to sshd (which hands them to the login shell's `-c`). */

const SAFE = /^[A-Za-z0-9_/.,:@%+-]+$/;

/**
 * Quotes `value` as one POSIX shell word: left bare when it holds only characters no shell treats specially,
 * otherwise wrapped in single quotes, each embedded `'` written as `'\''`. Inside single quotes nothing is special
 * (`$`, backticks, `\`, newlines, `;`, globs), so the shell hands the exact bytes to the program.
 *
 * @example
 * ```ts
 * import { quoteShellArg } from '@flowlane/executor-ssh';
 *
 * quoteShellArg("it's $(rm -rf /)"); // => 'it'\''s $(rm -rf /)'
 * ```
 */
export function quoteShellArg(value: string): string {
  if (value.includes('\0')) throw new TypeError('a shell argument cannot contain a NUL byte');
  if (SAFE.test(value)) return value;
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** A valid POSIX environment variable name. */
export const isEnvName = (name: string): boolean => /^[A-Za-z_][A-Za-z0-9_]*$/.test(name);
