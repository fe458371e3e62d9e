import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openSecretsFile } from './index.js';
import { useTempDirs } from './temp-dirs.test-helper.js';

const tempDir = useTempDirs();
const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

/** Run the real `flowlane-secrets` command; stdin is `input`. */
function cli(
  args: string[],
  env: Record<string, string>,
  input = '',
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [bin, ...args],
      { env: { PATH: process.env.PATH ?? '', ...env } },
      (err, stdout, stderr) =>
        resolve({ code: err === null ? 0 : Number((err as { code?: number }).code ?? 1), stdout, stderr }),
    );
    child.stdin?.end(input);
  });
}

describe('flowlane-secrets', () => {
  it('keygen, set (value from stdin), get, list, rotate, and refuses a wrong key without printing content', async () => {
    const path = join(await tempDir(), 'secrets.enc');
    const key = (await cli(['keygen'], {})).stdout.trim();
    expect(key).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    const env = { FLOWLANE_SECRETS_KEY: key };
    expect((await cli(['set', path, 'db-password'], env, 'from-stdin-value\n')).code).toBe(0);
    expect(
      (await cli(['set', path, 'token', '--from-env', 'TOKEN_VALUE'], { ...env, TOKEN_VALUE: 'tok-env' })).code,
    ).toBe(0);
    expect(await cli(['get', path, 'db-password'], env)).toMatchObject({ code: 0, stdout: 'from-stdin-value\n' });
    expect(await cli(['list', path], env)).toMatchObject({ code: 0, stdout: 'db-password\ntoken\n' });
    const next = (await cli(['keygen'], {})).stdout.trim();
    expect((await cli(['rotate', path, '--new-key-env', 'NEXT_KEY'], { ...env, NEXT_KEY: next })).code).toBe(0);
    const wrong = await cli(['get', path, 'db-password'], env);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('FL_SECRETS_DECRYPT_FAILED');
    expect(wrong.stdout + wrong.stderr).not.toContain('from-stdin-value');
    expect(await (await openSecretsFile(path, { key: next })).get('token')).toBe('tok-env');
    expect((await cli(['get', path, 'missing'], { FLOWLANE_SECRETS_KEY: next })).code).toBe(1);
  }, 30_000);

  it('usage errors exit 2 naming the flag (with a suggestion) or the missing argument; failures exit 1 with a hint', async () => {
    const unknown = await cli(['get', 'f.enc', 'n', '--kye-env', 'K'], {});
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown option '--kye-env'");
    expect(unknown.stderr).toContain('Did you mean --key-env?');
    const missing = await cli(['set', 'f.enc'], {});
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("missing required argument 'name'");
    const noValue = await cli(['set', join(await tempDir(), 's.enc'), 'n', '--from-env', 'UNSET'], {
      FLOWLANE_SECRETS_KEY: 'a'.repeat(64),
    });
    expect(noValue.code).toBe(2);
    expect(noValue.stderr).toContain('Environment variable UNSET is not set.');
    expect(noValue.stderr).toContain('hint: Export it, or pipe the value.');
  }, 30_000);
});
