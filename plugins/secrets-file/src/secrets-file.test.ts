import { randomBytes } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createEngine, createVirtualClock, isFlowlaneError, workflow } from '@flowlane/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openSecretsFile, SecretsFileError, secretsFile } from './index.js';
import { useTempDirs } from './temp-dirs.test-helper.js';

const tempDir = useTempDirs();
const newKey = () => randomBytes(32).toString('base64');

describe('openSecretsFile', () => {
  it('sets, gets, lists and deletes secrets in a 0600 file that holds no plaintext', async () => {
    const path = join(await tempDir(), 'secrets.enc');
    const key = newKey();
    const f = await openSecretsFile(path, { key, create: true });
    await f.set('db/password', 'correct horse battery staple');
    await f.set('api.token', 'tok_9f8e7d');
    expect(await f.list()).toEqual(['api.token', 'db/password']);
    expect(await f.get('db/password')).toBe('correct horse battery staple');
    expect(await f.get('missing')).toBeUndefined();
    expect(await f.delete('api.token')).toBe(true);
    expect(await f.delete('api.token')).toBe(false);
    const again = await openSecretsFile(path, { key });
    expect(await again.list()).toEqual(['db/password']);
    const raw = await readFile(path, 'utf8');
    expect(raw).not.toContain('horse');
    expect(raw).not.toContain('db/password');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it('stores a secret named "__proto__" like any other (it was dropped while set() resolved)', async () => {
    const path = join(await tempDir(), 'secrets.enc');
    const key = newKey();
    const f = await openSecretsFile(path, { key, create: true });
    await f.set('__proto__', 'proto-value');
    await f.set('constructor', 'ctor-value');
    expect(await f.list()).toEqual(['__proto__', 'constructor']);
    expect(await f.get('__proto__')).toBe('proto-value');
    const engine = createEngine({ plugins: [secretsFile({ path, key })] });
    const wf = workflow('proto')
      .addNode('read', async (ctx) => (await ctx.getSecret('__proto__')) === 'proto-value')
      .build();
    expect((await engine.run(wf, undefined).result).outputs.read).toBe(true);
    await engine.close();
    expect(await f.delete('__proto__')).toBe(true);
    expect(await f.list()).toEqual(['constructor']);
  });

  it('fails with FL_SECRETS_DECRYPT_FAILED for a wrong key, revealing nothing of the content', async () => {
    const path = join(await tempDir(), 'secrets.enc');
    const f = await openSecretsFile(path, { key: newKey(), create: true });
    await f.set('db-password', 'pa55-w0rd-value');
    const e = await openSecretsFile(path, { key: newKey() }).catch((x: unknown) => x);
    expect(SecretsFileError.is(e, 'FL_SECRETS_DECRYPT_FAILED')).toBe(true);
    const text = `${(e as Error).message} ${JSON.stringify(e)} ${String((e as Error).stack)} ${String((e as Error).cause)}`;
    expect(text).not.toContain('pa55');
    expect(text).not.toContain('db-password');
    expect((e as Error).cause).toBeUndefined();
  });

  it('detects any single-byte change of the file (tampering) with FL_SECRETS_DECRYPT_FAILED', async () => {
    const path = join(await tempDir(), 'secrets.enc');
    const key = newKey();
    const f = await openSecretsFile(path, { key, create: true });
    await f.set('deploy-key', 'a'.repeat(40));
    const original = await readFile(path);
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.integer({ min: 1, max: 255 }), async (pos, delta) => {
        const m = Buffer.from(original);
        const at = pos % m.length;
        m[at] = (m[at]! + delta) % 256;
        await writeFile(path, m);
        const result = await openSecretsFile(path, { key }).then(
          async (g) => g.get('deploy-key'),
          (x: unknown) => x,
        );
        // Either the change was outside what the envelope reads (JSON whitespace is re-parsed to the same value)
        // and the content is intact, or decryption refused the file. Never a different value.
        if (typeof result === 'string') expect(result).toBe('a'.repeat(40));
        else expect(SecretsFileError.is(result, 'FL_SECRETS_DECRYPT_FAILED')).toBe(true);
      }),
      { numRuns: 150, seed: 7 },
    );
  });

  it('refuses an envelope whose tag was cut short or whose IV is not 12 bytes (FL_SECRETS_DECRYPT_FAILED)', async () => {
    const path = join(await tempDir(), 'secrets.enc');
    const key = newKey();
    const f = await openSecretsFile(path, { key, create: true });
    await f.set('deploy-key', 'b'.repeat(40));
    const envelope = JSON.parse(await readFile(path, 'utf8')) as { tag: string; iv: string };
    const cut = (b64: string, n: number) => Buffer.from(b64, 'base64').subarray(0, n).toString('base64');
    for (const changed of [
      { ...envelope, tag: cut(envelope.tag, 4) },
      { ...envelope, tag: cut(envelope.tag, 12) },
      { ...envelope, iv: Buffer.concat([Buffer.from(envelope.iv, 'base64'), Buffer.alloc(4)]).toString('base64') },
    ]) {
      await writeFile(path, JSON.stringify(changed));
      const result = await openSecretsFile(path, { key }).then(
        async (g) => g.get('deploy-key'),
        (x: unknown) => x,
      );
      expect(SecretsFileError.is(result, 'FL_SECRETS_DECRYPT_FAILED'), JSON.stringify(changed).slice(0, 80)).toBe(true);
    }
    await writeFile(path, JSON.stringify(envelope));
    expect(await (await openSecretsFile(path, { key })).get('deploy-key')).toBe('b'.repeat(40));
  });

  it('rotates from a passphrase to a key and back; the old key no longer opens it', async () => {
    const path = join(await tempDir(), 'secrets.enc');
    const f = await openSecretsFile(path, { passphrase: 'first passphrase', create: true });
    await f.set('s', 'v1');
    const key = newKey();
    await f.rotate({ key });
    expect(await f.get('s')).toBe('v1');
    await expect(openSecretsFile(path, { passphrase: 'first passphrase' })).rejects.toMatchObject({
      code: 'FL_SECRETS_DECRYPT_FAILED',
    });
    expect(await (await openSecretsFile(path, { key })).get('s')).toBe('v1');
    await expect(f.rotate({ passphraseEnv: 'UNSET_PASSPHRASE_VARIABLE' })).rejects.toMatchObject({
      code: 'FL_SECRETS_NO_KEY',
    });
    const g = await openSecretsFile(path, { key, env: { NEXT: 'second passphrase' } });
    await g.rotate({ passphraseEnv: 'NEXT' });
    expect(await (await openSecretsFile(path, { passphrase: 'second passphrase' })).get('s')).toBe('v1');
  });

  it('rejects bad options with a typed error and a hint', async () => {
    const dir = await tempDir();
    const codeOf = async (p: Promise<unknown>) =>
      p.then(
        () => 'no error',
        (e: unknown) => (isFlowlaneError(e) ? `${e.code}: ${e.message}` : String(e)),
      );
    expect(await codeOf(openSecretsFile(join(dir, 'x'), { keyfile: 'k' } as never))).toMatch(
      /FL_SECRETS_INVALID_OPTION.*did you mean "keyFile"/,
    );
    expect(await codeOf(openSecretsFile(join(dir, 'x'), { key: 'short' }))).toMatch(/FL_SECRETS_INVALID_OPTION/);
    expect(await codeOf(openSecretsFile(join(dir, 'x'), { key: newKey(), passphrase: 'p' }))).toMatch(
      /exactly one key source/,
    );
    expect(await codeOf(openSecretsFile(join(dir, 'x'), { env: {} }))).toMatch(/FL_SECRETS_NO_KEY/);
    expect(await codeOf(openSecretsFile(join(dir, 'x'), { key: newKey() }))).toMatch(/FL_SECRETS_FILE_NOT_FOUND/);
    expect(await codeOf(openSecretsFile(join(dir, 'x'), { keyFile: join(dir, 'nope') }))).toMatch(/FL_SECRETS_NO_KEY/);
    const f = await openSecretsFile(join(dir, 'y'), { key: newKey(), create: true });
    expect(await codeOf(f.set('bad name!', 'v'))).toMatch(/FL_SECRETS_INVALID_NAME/);
    await writeFile(join(dir, 'z'), 'not json');
    expect(await codeOf(openSecretsFile(join(dir, 'z'), { key: newKey() }))).toMatch(
      /FL_SECRETS_DECRYPT_FAILED.*not a Flowlane secrets file/,
    );
  });
});

describe('secretsFile (the provider plugin)', () => {
  it('serves ctx.getSecret from the file, caches values for cacheTtlMs (virtual time) and redacts them from events', async () => {
    const path = join(await tempDir(), 'secrets.enc');
    const keyPath = join(await tempDir(), 'key');
    const key = newKey();
    await writeFile(keyPath, `${key}\n`);
    const f = await openSecretsFile(path, { keyFile: keyPath, create: true });
    await f.set('token', 'value-one-1111');
    const clock = createVirtualClock();
    const engine = createEngine({
      clock,
      plugins: [secretsFile({ path, keyFile: keyPath, cacheTtlMs: 10_000, clock })],
    });
    const wf = workflow('w')
      .addNode('read', async (ctx) => {
        const v = await ctx.getSecret('token');
        ctx.log.info(`using ${v}`);
        return v;
      })
      .build();
    const first = engine.run(wf, undefined);
    expect((await first.result).outputs.read).toBe('value-one-1111');
    await f.set('token', 'value-two-2222');
    expect((await engine.run(wf, undefined).result).outputs.read).toBe('value-one-1111'); // cached
    await clock.advanceBy(9_999);
    expect((await engine.run(wf, undefined).result).outputs.read).toBe('value-one-1111');
    await clock.advanceBy(1);
    const third = engine.run(wf, undefined);
    expect((await third.result).outputs.read).toBe('value-two-2222');
    const events: unknown[] = [];
    third.events$.subscribe((e) => events.push(e));
    expect(JSON.stringify(events)).not.toContain('value-two-2222');
    expect(JSON.stringify(events)).toContain('using [REDACTED]');
    await engine.close();
  });

  it('keeps serving through a key rotation with previousKeys, and fails setup for a wrong key', async () => {
    const path = join(await tempDir(), 'secrets.enc');
    const oldKey = newKey();
    const nextKey = newKey();
    const f = await openSecretsFile(path, { key: oldKey, create: true });
    await f.set('token', 'before-rotation');
    const engine = createEngine({
      plugins: [secretsFile({ path, key: nextKey, previousKeys: [{ key: oldKey }], cacheTtlMs: 0 })],
    });
    const wf = workflow('w')
      .addNode('read', (ctx) => ctx.getSecret('token'))
      .build();
    expect((await engine.run(wf, undefined).result).outputs.read).toBe('before-rotation');
    await f.rotate({ key: nextKey });
    await f.set('token', 'after-rotation');
    expect((await engine.run(wf, undefined).result).outputs.read).toBe('after-rotation');
    await engine.close();

    const wrong = createEngine({ plugins: [secretsFile({ path, key: oldKey })] });
    await expect(wrong.ready()).rejects.toMatchObject({ code: 'FL_PLUGIN_SETUP_FAILED' });
    await wrong.close();
  });

  it('rejects unknown options at once', () => {
    let e: unknown;
    try {
      secretsFile({ path: 'x', key: newKey(), cacheTTL: 5 } as never);
    } catch (x) {
      e = x;
    }
    expect(SecretsFileError.is(e, 'FL_SECRETS_INVALID_OPTION') && e.message).toContain('did you mean "cacheTtlMs"?');
  });

  it('rejects a clock without now() at once (it failed engine setup with "clock.now is not a function")', () => {
    expect(() => secretsFile({ path: 'x', key: newKey(), clock: {} as never })).toThrow(
      /option "clock": expected an object with now\(\): number/,
    );
  });
});
