import { scrypt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { SecretsFileError } from './errors.js';

/**
 * Where the file's key comes from: exactly one of these (none given: the `FLOWLANE_SECRETS_KEY` environment variable).
 * A key is 32 bytes, given as bytes, 64 hex characters or 44 base64 characters; a passphrase goes through scrypt
 * with the salt stored in the file.
 *
 * @example
 * ```ts
 * import type { KeySource } from '@flowlane/secrets-file';
 * const fromFile: KeySource = { keyFile: '/run/secrets/flowlane.key' };
 * const fromEnv: KeySource = { passphraseEnv: 'DEPLOY_PASSPHRASE' };
 * console.log(Object.keys(fromFile), Object.keys(fromEnv)); // [ 'keyFile' ] [ 'passphraseEnv' ]
 * ```
 */
export interface KeySource {
  /** The key itself (32 bytes, or 64 hex / 44 base64 characters). */
  readonly key?: string | Uint8Array | undefined;
  /** A file holding the key as hex or base64 (trailing whitespace ignored). */
  readonly keyFile?: string | undefined;
  /** An environment variable holding the key as hex or base64. */
  readonly keyEnv?: string | undefined;
  /** A passphrase, stretched with scrypt (N = 2^15, r = 8, p = 1) and the file's salt. */
  readonly passphrase?: string | undefined;
  /** An environment variable holding a passphrase. */
  readonly passphraseEnv?: string | undefined;
}

export const KEY_SOURCE_KEYS = ['key', 'keyFile', 'keyEnv', 'passphrase', 'passphraseEnv'] as const;
export const DEFAULT_KEY_ENV = 'FLOWLANE_SECRETS_KEY';

/** A resolved key source: raw key bytes, or a passphrase still to be stretched with a salt. */
export type ResolvedKey =
  | { readonly kind: 'raw'; readonly key: Buffer }
  | { readonly kind: 'passphrase'; readonly passphrase: string };

export const SCRYPT = { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 } as const;

/** Resolve a key source (reads the key file or environment now). */
export function resolveKey(source: KeySource, env: NodeJS.ProcessEnv = process.env): ResolvedKey {
  const given = KEY_SOURCE_KEYS.filter((k) => source[k] !== undefined);
  if (given.length > 1)
    throw new SecretsFileError('FL_SECRETS_INVALID_OPTION', {
      option: given.join(' + '),
      reason: 'give exactly one key source',
    });
  const which = given[0];
  if (which === undefined) {
    const v = env[DEFAULT_KEY_ENV];
    if (v === undefined || v === '')
      throw new SecretsFileError('FL_SECRETS_NO_KEY', { source: `${DEFAULT_KEY_ENV} is not set` });
    return { kind: 'raw', key: parseKey(v.trim(), DEFAULT_KEY_ENV) };
  }
  switch (which) {
    case 'key': {
      const k = source.key!;
      return { kind: 'raw', key: typeof k === 'string' ? parseKey(k, 'key') : checkLength(Buffer.from(k), 'key') };
    }
    case 'keyFile': {
      let text: string;
      try {
        text = readFileSync(source.keyFile!, 'utf8');
      } catch (e) {
        throw new SecretsFileError('FL_SECRETS_NO_KEY', {
          source: `the key file ${source.keyFile} cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`,
        });
      }
      return { kind: 'raw', key: parseKey(text.trim(), 'keyFile') };
    }
    case 'keyEnv': {
      const v = env[source.keyEnv!];
      if (v === undefined || v === '')
        throw new SecretsFileError('FL_SECRETS_NO_KEY', { source: `${source.keyEnv} is not set` });
      return { kind: 'raw', key: parseKey(v.trim(), 'keyEnv') };
    }
    case 'passphrase':
      if (source.passphrase === '')
        throw new SecretsFileError('FL_SECRETS_INVALID_OPTION', { option: 'passphrase', reason: 'must not be empty' });
      return { kind: 'passphrase', passphrase: source.passphrase! };
    case 'passphraseEnv': {
      const v = env[source.passphraseEnv!];
      if (v === undefined || v === '')
        throw new SecretsFileError('FL_SECRETS_NO_KEY', { source: `${source.passphraseEnv} is not set` });
      return { kind: 'passphrase', passphrase: v };
    }
  }
}

/** The 32-byte AES key for a file with this salt (scrypt runs on the libuv thread pool, not the event loop). */
export function deriveKey(resolved: ResolvedKey, salt: Buffer): Promise<Buffer> {
  if (resolved.kind === 'raw') return Promise.resolve(resolved.key);
  return new Promise((resolve, reject) =>
    scrypt(resolved.passphrase, salt, 32, SCRYPT, (err, key) => (err === null ? resolve(key) : reject(err))),
  );
}

function parseKey(text: string, option: string): Buffer {
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
  if (/^[A-Za-z0-9+/]{43}=$/.test(text)) return Buffer.from(text, 'base64');
  throw new SecretsFileError('FL_SECRETS_INVALID_OPTION', {
    option,
    reason: 'a key is 32 bytes written as 64 hex or 44 base64 characters (make one with `flowlane-secrets keygen`)',
  });
}

function checkLength(key: Buffer, option: string): Buffer {
  if (key.length !== 32)
    throw new SecretsFileError('FL_SECRETS_INVALID_OPTION', { option, reason: `a key is 32 bytes, got ${key.length}` });
  return key;
}
