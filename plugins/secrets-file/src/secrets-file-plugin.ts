import { readFile } from 'node:fs/promises';
import {
  allKeys,
  definePlugin,
  type FlowlanePlugin,
  type SecretsProvider,
  unknownKeyHint,
  unknownKeys,
} from '@flowlane/core';
import { open, readHeader } from './envelope.js';
import { SecretsFileError } from './errors.js';
import { deriveKey, KEY_SOURCE_KEYS, type KeySource, resolveKey } from './key-source.js';
import { CORE_RANGE, PKG_VERSION } from './version.js';

/** Options of {@link secretsFile}. */
export interface SecretsFileOptions extends KeySource {
  /** The encrypted file (written by `openSecretsFile` or `flowlane-secrets`). */
  readonly path: string;
  /** Keys tried after the main one, for rotation without downtime (see the README). Default none. */
  readonly previousKeys?: readonly KeySource[] | undefined;
  /** How long decrypted values are cached before the file is read again, in ms. `0` reads on every lookup. Default 60 000. */
  readonly cacheTtlMs?: number | undefined;
  /** Provider name (`ctx.getSecret` asks providers in order; names must be unique per engine). Default `'file'`. */
  readonly name?: string | undefined;
  /** Time source for the cache (core's `createVirtualClock()` in tests). Default `Date`. */
  readonly clock?: { now(): number } | undefined;
  /** Environment for `keyEnv` / `passphraseEnv` / `FLOWLANE_SECRETS_KEY`. Default `process.env`. */
  readonly env?: NodeJS.ProcessEnv | undefined;
}

const KNOWN = allKeys<SecretsFileOptions>()([
  ...KEY_SOURCE_KEYS,
  'path',
  'previousKeys',
  'cacheTtlMs',
  'name',
  'clock',
  'env',
]);

/**
 * A secrets provider that reads an AES-256-GCM encrypted secrets file: `ctx.getSecret('db-password')` returns the
 * value (and the engine redacts it from events, logs, errors, metrics and audit records). The file is decrypted at
 * setup (a wrong key fails setup with `FL_SECRETS_DECRYPT_FAILED`), then values are cached for `cacheTtlMs`; a
 * rewrite of the file (`set`, `rotate`) is seen at the next reload.
 *
 * @example
 * ```ts
 * import { randomBytes } from 'node:crypto';
 * import { mkdtempSync, rmSync } from 'node:fs';
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * import { createEngine, workflow } from '@flowlane/core';
 * import { openSecretsFile, secretsFile } from '@flowlane/secrets-file';
 *
 * const dir = mkdtempSync(join(tmpdir(), 'secrets-'));
 * const path = join(dir, 'secrets.enc');
 * const key = randomBytes(32).toString('base64');
 * await (await openSecretsFile(path, { key, create: true })).set('api-token', 'tok_live_123');
 *
 * const engine = createEngine({ plugins: [secretsFile({ path, key })] });
 * const wf = workflow('call').addNode('call', async (ctx) => (await ctx.getSecret('api-token')).length).build();
 * console.log((await engine.run(wf, undefined).result).outputs.call); // 12
 * await engine.close();
 * rmSync(dir, { recursive: true });
 * ```
 */
export function secretsFile(options: SecretsFileOptions): FlowlanePlugin {
  checkOptions(options);
  const o = { ...options };
  return definePlugin({
    name: '@flowlane/secrets-file',
    version: PKG_VERSION,
    flowlane: CORE_RANGE,
    async setup(api) {
      const provider = createProvider(o);
      await provider.reload();
      api.secrets.addProvider(provider);
    },
  });
}

function createProvider(o: SecretsFileOptions): SecretsProvider & { reload(): Promise<Record<string, string>> } {
  const ttl = o.cacheTtlMs ?? 60_000;
  const clock = o.clock ?? Date;
  const sources = [o, ...(o.previousKeys ?? [])];
  let cached: { values: Record<string, string>; at: number } | undefined;
  let loading: Promise<Record<string, string>> | undefined;
  const derived = new Map<string, Buffer>(); // `${source index}:${kdf}:${salt}` → key (scrypt is slow)

  const reload = async (): Promise<Record<string, string>> => {
    let text: string;
    try {
      text = await readFile(o.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT')
        throw new SecretsFileError('FL_SECRETS_FILE_NOT_FOUND', { path: o.path });
      throw e;
    }
    const { header, envelope } = readHeader(text, o.path);
    let failure: unknown;
    for (const [k, source] of sources.entries()) {
      try {
        const id = `${k}:${header.kdf}:${header.salt.toString('base64')}`;
        let key = derived.get(id);
        if (key === undefined) {
          const resolved = resolveKey(pick(source), o.env);
          if ((resolved.kind === 'raw') !== (header.kdf === 'raw')) continue; // a passphrase cannot open a raw-key file
          key = await deriveKey(resolved, header.salt);
          derived.set(id, key);
        }
        const values = open(envelope, header, key, o.path);
        cached = { values, at: clock.now() };
        return values;
      } catch (e) {
        failure ??= e;
      }
    }
    throw (
      failure ?? new SecretsFileError('FL_SECRETS_DECRYPT_FAILED', { path: o.path, reason: 'wrong-key-or-tampered' })
    );
  };

  return {
    name: o.name ?? 'file',
    reload,
    async get(name) {
      if (cached === undefined || clock.now() - cached.at >= ttl) {
        loading ??= reload().finally(() => {
          loading = undefined;
        });
        await loading;
      }
      const values = cached!.values;
      return Object.hasOwn(values, name) ? values[name] : undefined;
    },
  };
}

const pick = (s: KeySource): KeySource =>
  Object.fromEntries(KEY_SOURCE_KEYS.filter((k) => s[k] !== undefined).map((k) => [k, s[k]]));

function checkOptions(o: SecretsFileOptions): void {
  const bad = (option: string, reason: string): never => {
    throw new SecretsFileError('FL_SECRETS_INVALID_OPTION', { option, reason });
  };
  if (typeof o !== 'object' || o === null || Array.isArray(o))
    bad('options', 'pass an object such as { path, keyFile }');
  const [unknown] = unknownKeys(o, KNOWN);
  if (unknown !== undefined) bad(unknown.key, `unknown option; ${unknownKeyHint(unknown, KNOWN)}`);
  if (typeof o.path !== 'string' || o.path === '') bad('path', 'give the secrets file path');
  const ttl = o.cacheTtlMs;
  if (ttl !== undefined && (!Number.isFinite(ttl) || ttl < 0)) bad('cacheTtlMs', 'expected a number of ms ≥ 0');
  if (o.name !== undefined && (typeof o.name !== 'string' || o.name === '')) bad('name', 'expected a non-empty string');
  if (o.clock !== undefined && typeof (o.clock as { now?: unknown } | null)?.now !== 'function')
    bad('clock', 'expected an object with now(): number, such as Date or createVirtualClock()');
  if (o.previousKeys !== undefined) {
    if (!Array.isArray(o.previousKeys)) bad('previousKeys', 'expected an array of key sources');
    for (const [k, s] of o.previousKeys.entries()) {
      if (typeof s !== 'object' || s === null || Array.isArray(s))
        bad(`previousKeys[${k}]`, 'expected a key source such as { keyFile }');
      const [u] = unknownKeys(s, KEY_SOURCE_KEYS);
      if (u !== undefined) bad(`previousKeys[${k}].${u.key}`, `unknown option; ${unknownKeyHint(u, KEY_SOURCE_KEYS)}`);
    }
  }
  // Resolve the main key now so a missing key file or variable is reported at createEngine-time code, not mid-run.
  resolveKey(pick(o), o.env);
}
