import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { allKeys, unknownKeyHint, unknownKeys } from '@flowlane/core';
import { atomicWrite } from './atomic-write.js';
import { type Header, open, readHeader, seal } from './envelope.js';
import { SecretsFileError } from './errors.js';
import { deriveKey, KEY_SOURCE_KEYS, type KeySource, type ResolvedKey, resolveKey } from './key-source.js';

/** Options of {@link openSecretsFile}. */
export interface OpenSecretsFileOptions extends KeySource {
  /** Create an empty file when none exists (with a new salt for a passphrase). Default false. */
  readonly create?: boolean | undefined;
  /** Environment to read `keyEnv` / `passphraseEnv` (and the default `FLOWLANE_SECRETS_KEY`) from. Default `process.env`. */
  readonly env?: NodeJS.ProcessEnv | undefined;
}

/** An open encrypted secrets file. Every call reads the file again; writes are atomic and serialised in this process. */
export interface SecretsFile {
  readonly path: string;
  /** The value of `name`, or `undefined`. */
  get(name: string): Promise<string | undefined>;
  /** Set `name` to `value` (re-encrypts the whole file with a fresh IV and replaces it atomically). */
  set(name: string, value: string): Promise<void>;
  /** Secret names, sorted. */
  list(): Promise<string[]>;
  /** Remove `name`; resolves to whether it existed. */
  delete(name: string): Promise<boolean>;
  /** Re-encrypt every secret under a new key (or passphrase, with a new salt); later calls use the new key. */
  rotate(newKey: KeySource): Promise<void>;
  /** Every secret at once (used by the provider's cache). */
  readAll(): Promise<Record<string, string>>;
}

const NAME = /^[A-Za-z0-9._/-]{1,200}$/;
const checkName = (name: string): void => {
  if (typeof name !== 'string' || !NAME.test(name))
    throw new SecretsFileError('FL_SECRETS_INVALID_NAME', { name: String(name) });
};

/**
 * Open an AES-256-GCM encrypted secrets file (`{ get, set, list, delete, rotate }`) for tools, scripts and the
 * `flowlane-secrets` command. A wrong key or a modified file fails with `FL_SECRETS_DECRYPT_FAILED`, which says
 * nothing about the content.
 *
 * @example
 * ```ts
 * import { randomBytes } from 'node:crypto';
 * import { mkdtempSync, rmSync } from 'node:fs';
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * import { openSecretsFile } from '@flowlane/secrets-file';
 *
 * const dir = mkdtempSync(join(tmpdir(), 'secrets-'));
 * const file = await openSecretsFile(join(dir, 'secrets.enc'), { key: randomBytes(32), create: true });
 * await file.set('db-password', 'hunter2');
 * console.log(await file.list()); // [ 'db-password' ]
 * rmSync(dir, { recursive: true });
 * ```
 */
export async function openSecretsFile(path: string, options: OpenSecretsFileOptions = {}): Promise<SecretsFile> {
  checkOpenOptions(path, options);
  let resolved = resolveKey(options, options.env);
  let header: Header;
  let key: Buffer;
  let text: string | undefined;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  if (text === undefined) {
    if (options.create !== true) throw new SecretsFileError('FL_SECRETS_FILE_NOT_FOUND', { path });
    header = newHeader(resolved);
    key = await deriveKey(resolved, header.salt);
    await atomicWrite(path, seal({}, header, key));
  } else {
    header = readHeader(text, path).header;
    key = await deriveKey(resolved, header.salt);
  }
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = queue.then(fn);
    queue = run.catch(() => undefined);
    return run;
  };

  const load = async (): Promise<Record<string, string>> => {
    let t: string;
    try {
      t = await readFile(path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT')
        throw new SecretsFileError('FL_SECRETS_FILE_NOT_FOUND', { path });
      throw e;
    }
    const { header: h, envelope } = readHeader(t, path);
    if (h.kdf !== header.kdf || !h.salt.equals(header.salt)) {
      // The file was rotated by someone else: derive again with our key source (fails if it is not the new one).
      header = h;
      key = await deriveKey(resolved, h.salt);
    }
    return open(envelope, h, key, path);
  };
  const save = (secrets: Record<string, string>): Promise<void> => atomicWrite(path, seal(secrets, header, key));

  // Fail now, not at the first get(), when the key does not open the file.
  await load();

  return {
    path,
    get: async (name) => {
      checkName(name);
      const all = await load();
      return Object.hasOwn(all, name) ? all[name] : undefined;
    },
    set: (name, value) =>
      serial(async () => {
        checkName(name);
        if (typeof value !== 'string')
          throw new SecretsFileError('FL_SECRETS_INVALID_OPTION', {
            option: 'value',
            reason: 'a secret value is a string',
          });
        const all = await load();
        // Defined, not assigned: `all.__proto__ = value` would be ignored (a string is no prototype) and drop it.
        Object.defineProperty(all, name, { value, enumerable: true, writable: true, configurable: true });
        await save(all);
      }),
    list: async () => Object.keys(await load()).sort(),
    delete: (name) =>
      serial(async () => {
        checkName(name);
        const all = await load();
        if (!Object.hasOwn(all, name)) return false;
        delete all[name];
        await save(all);
        return true;
      }),
    rotate: (newKey) =>
      serial(async () => {
        if (typeof newKey !== 'object' || newKey === null || Array.isArray(newKey))
          throw new SecretsFileError('FL_SECRETS_INVALID_OPTION', {
            option: 'newKey',
            reason: 'pass a key source such as { keyFile }',
          });
        const [unknown] = unknownKeys(newKey, KEY_SOURCE_KEYS);
        if (unknown !== undefined)
          throw new SecretsFileError('FL_SECRETS_INVALID_OPTION', {
            option: unknown.key,
            reason: `unknown option; ${unknownKeyHint(unknown, KEY_SOURCE_KEYS)}`,
          });
        const all = await load();
        const next = resolveKey(newKey, options.env);
        const nextHeader = newHeader(next);
        const nextKey = await deriveKey(next, nextHeader.salt);
        await atomicWrite(path, seal(all, nextHeader, nextKey));
        resolved = next;
        header = nextHeader;
        key = nextKey;
      }),
    readAll: () => load(),
  };
}

function newHeader(resolved: ResolvedKey): Header {
  return resolved.kind === 'raw' ? { kdf: 'raw', salt: Buffer.alloc(0) } : { kdf: 'scrypt', salt: randomBytes(16) };
}

const OPEN_KEYS = allKeys<OpenSecretsFileOptions>()([...KEY_SOURCE_KEYS, 'create', 'env']);

function checkOpenOptions(path: string, options: OpenSecretsFileOptions): void {
  if (typeof path !== 'string' || path === '')
    throw new SecretsFileError('FL_SECRETS_INVALID_OPTION', { option: 'path', reason: 'give the secrets file path' });
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    throw new SecretsFileError('FL_SECRETS_INVALID_OPTION', { option: 'options', reason: 'pass an object' });
  const [unknown] = unknownKeys(options, OPEN_KEYS);
  if (unknown !== undefined)
    throw new SecretsFileError('FL_SECRETS_INVALID_OPTION', {
      option: unknown.key,
      reason: `unknown option; ${unknownKeyHint(unknown, OPEN_KEYS)}`,
    });
}
