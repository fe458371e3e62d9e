import { tidy } from '../errors.js';

const brand = Symbol.for('flowlane.error');

/** A table of a plugin's error codes: each turns typed details into a message that says what to fix. */
export type PluginErrorTable = Readonly<Record<string, (details: never) => string>>;

/** An error of a plugin's own table: branded like core's errors, so `isFlowlaneError(e)` recognises it. */
export interface PluginError<T extends PluginErrorTable, C extends keyof T & string = keyof T & string> extends Error {
  readonly code: C;
  readonly details: Parameters<T[C]>[0];
}

/** The class returned by {@link definePluginErrors}. */
export interface PluginErrorClass<T extends PluginErrorTable> {
  new <C extends keyof T & string>(
    code: C,
    details: Parameters<T[C]>[0],
    options?: { cause?: unknown },
  ): PluginError<T, C>;
  /** True for errors of this table (optionally with this code). */
  is<C extends keyof T & string>(value: unknown, code?: C): value is PluginError<T, C>;
  readonly codes: readonly (keyof T & string)[];
}

/**
 * Define a plugin's error table with its own code prefix (`FL_SSH_…`, `FL_DOCKER_…`): returns an error class whose
 * `code` and `details` are typed from the table and which `isFlowlaneError` recognises.
 *
 * @example
 * ```ts
 * import { definePluginErrors } from '@flowlane/core';
 *
 * export const SshError = definePluginErrors('SshError', {
 *   FL_SSH_HOST_KEY_MISMATCH: (p: { host: string }) => `Host key of "${p.host}" does not match. Check known_hosts.`,
 * });
 * function checkHostKey(host: string, matches: boolean): void {
 *   if (!matches) throw new SshError('FL_SSH_HOST_KEY_MISMATCH', { host });
 * }
 * ```
 */
export function definePluginErrors<const T extends PluginErrorTable>(name: string, table: T): PluginErrorClass<T> {
  class TableError extends Error {
    readonly code: string;
    readonly details: unknown;
    constructor(code: string, details: unknown, options?: { cause?: unknown }) {
      const format = table[code] as ((d: unknown) => string) | undefined;
      if (format === undefined) throw new TypeError(`${name}: unknown error code "${code}"`);
      super(tidy(format(details)), options?.cause === undefined ? undefined : { cause: options.cause });
      this.name = name;
      this.code = code;
      this.details = details;
      Object.defineProperty(this, brand, { value: true });
    }
    /** Recognised by brand and table, so errors from another copy of the plugin package count too. */
    static is(value: unknown, code?: string): boolean {
      if (typeof value !== 'object' || value === null || (value as Record<symbol, unknown>)[brand] !== true)
        return false;
      const actual = (value as { code?: unknown }).code;
      return typeof actual === 'string' && Object.hasOwn(table, actual) && (code === undefined || actual === code);
    }
    static readonly codes = Object.keys(table);
  }
  Object.defineProperty(TableError, 'name', { value: name });
  return TableError as unknown as PluginErrorClass<T>;
}
