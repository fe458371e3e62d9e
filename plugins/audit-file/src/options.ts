import { allKeys, unknownKeyHint, unknownKeys } from '@flowlane/core';
import { AuditFileError } from './errors.js';

/**
 * Keys whose values are replaced by `[REDACTED]` anywhere in a record (case-insensitive), on top of the engine's
 * redaction of every secret value resolved in the run.
 */
export const DEFAULT_REDACT_KEYS: readonly string[] = [
  'password',
  'passphrase',
  'secret',
  'token',
  'apiKey',
  'api_key',
  'authorization',
  'cookie',
  'privateKey',
  'private_key',
];

/**
 * Options of `auditFile()` and `openAuditLog()`.
 *
 * @example
 * ```ts
 * import { type AuditFileOptions, auditFile } from '@flowlane/audit-file';
 * const options: AuditFileOptions = { path: '/var/log/flowlane/audit.jsonl', hmacKey: process.env.AUDIT_KEY, fsync: 'interval' };
 * auditFile(options);
 * ```
 */
export interface AuditFileOptions {
  /** The log file (JSONL). Rotated files are `<path>.1`, `<path>.2`, …; `<path>.head` and `<path>.lock` sit beside it. */
  readonly path: string;
  /** HMAC-SHA-256 key for the chain; without it, hashes are plain SHA-256 (anyone who can write the file can recompute them). */
  readonly hmacKey?: string | Uint8Array | undefined;
  /** `'always'`: fsync after every record (default). `'interval'`: fsync every `fsyncIntervalMs` and on close. */
  readonly fsync?: 'always' | 'interval' | undefined;
  /** Interval of `fsync: 'interval'` in ms. Default 1000. */
  readonly fsyncIntervalMs?: number | undefined;
  /** Start a new file when the current one would exceed `maxBytes`; the chain carries on across files. Default: never. */
  readonly rotate?: { readonly maxBytes: number } | undefined;
  /** Keys whose values are always written as `[REDACTED]`. Default {@link DEFAULT_REDACT_KEYS}. */
  readonly redactKeys?: readonly string[] | undefined;
}

const KNOWN = allKeys<AuditFileOptions>()(['path', 'hmacKey', 'fsync', 'fsyncIntervalMs', 'rotate', 'redactKeys']);
const ROTATE_KEYS = allKeys<NonNullable<AuditFileOptions['rotate']>>()(['maxBytes']);

/** Throws `FL_AUDIT_INVALID_OPTION` for the first bad option. */
export function checkAuditFileOptions(options: AuditFileOptions): void {
  const bad = (option: string, reason: string): never => {
    throw new AuditFileError('FL_AUDIT_INVALID_OPTION', { option, reason });
  };
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    bad('options', 'pass an object such as { path: "audit.jsonl" }');
  const [unknown] = unknownKeys(options, KNOWN);
  if (unknown !== undefined) bad(unknown.key, `unknown option; ${unknownKeyHint(unknown, KNOWN)}`);
  if (typeof options.path !== 'string' || options.path === '')
    bad('path', 'give the log file path as a non-empty string');
  const k = options.hmacKey;
  if (k !== undefined && !(typeof k === 'string' || k instanceof Uint8Array)) bad('hmacKey', 'give a string or bytes');
  if (k !== undefined && k.length < 16) bad('hmacKey', 'use at least 16 bytes (32 random bytes recommended)');
  if (options.fsync !== undefined && options.fsync !== 'always' && options.fsync !== 'interval')
    bad('fsync', `expected "always" or "interval", got ${JSON.stringify(options.fsync)}`);
  const iv = options.fsyncIntervalMs;
  // A longer interval than a timer can wait (2^31−1 ms) fires every 1 ms: fsync would spin instead of batching.
  if (iv !== undefined && (!Number.isInteger(iv) || iv < 1 || iv > 2_147_483_647))
    bad('fsyncIntervalMs', 'expected a positive integer (ms) of at most 2147483647');
  const r = options.rotate;
  if (r !== undefined) {
    if (typeof r !== 'object' || r === null || Array.isArray(r)) bad('rotate', 'expected { maxBytes }');
    const [u] = unknownKeys(r, ROTATE_KEYS);
    if (u !== undefined) bad(`rotate.${u.key}`, `unknown option; ${unknownKeyHint(u, ROTATE_KEYS)}`);
    if (!Number.isInteger(r.maxBytes) || r.maxBytes < 1024) bad('rotate.maxBytes', 'expected an integer ≥ 1024');
  }
  if (
    options.redactKeys !== undefined &&
    !(Array.isArray(options.redactKeys) && options.redactKeys.every((x) => typeof x === 'string'))
  )
    bad('redactKeys', 'expected an array of key names');
}
