// `flowlane secrets …` and `flowlane audit verify` delegate to @flowlane/secrets-file and @flowlane/audit-file.
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openAuditLog } from '@flowlane/audit-file';
import { openSecretsFile } from '@flowlane/secrets-file';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, start } from './run-cli.test-helper.js';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'flowlane-cli-secrets-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** `flowlane …` with `stdin` piped in. */
async function cli(args: string[], env: Record<string, string> = {}, stdin = '') {
  const p = start(process.execPath, [BIN, ...args], env);
  p.child.stdin!.end(stdin);
  return p.done;
}

describe('flowlane secrets', () => {
  it('set (value from stdin, never argv), list, get, delete, rotate; the file is the package’s format', async () => {
    const file = join(tmp, 'secrets.enc');
    const key = randomBytes(32).toString('base64');
    const env = { FLOWLANE_SECRETS_KEY: key, DB_URL: 'postgres://app:pw@db/app' };
    expect((await cli(['secrets', 'set', file, 'db-password'], env, 'hunter2\n')).code).toBe(0);
    expect((await cli(['secrets', 'set', file, 'db-url', '--from-env', 'DB_URL'], env)).code).toBe(0);
    expect(await cli(['secrets', 'list', file], env)).toMatchObject({ code: 0, stdout: 'db-password\ndb-url\n' });
    expect(await cli(['secrets', 'get', file, 'db-password'], env)).toMatchObject({ code: 0, stdout: 'hunter2\n' });
    // Readable with the package's own API: the CLI writes the same file.
    expect(await (await openSecretsFile(file, { key })).get('db-url')).toBe('postgres://app:pw@db/app');

    const missing = await cli(['secrets', 'get', file, 'nope'], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/No secret named "nope"/);
    expect((await cli(['secrets', 'delete', file, 'db-url'], env)).code).toBe(0);

    const next = randomBytes(32).toString('hex');
    const rotated = await cli(['secrets', 'rotate', file, '--new-key-env', 'NEXT_KEY'], { ...env, NEXT_KEY: next });
    expect(rotated.code).toBe(0);
    expect(await cli(['secrets', 'get', file, 'db-password'], { FLOWLANE_SECRETS_KEY: next })).toMatchObject({
      code: 0,
      stdout: 'hunter2\n',
    });
    const old = await cli(['secrets', 'get', file, 'db-password'], env);
    expect(old.code).toBe(1);
    expect(old.stderr).toMatch(/FL_SECRETS_/);
    expect(old.stderr).not.toContain('hunter2');
    const both = await cli(['secrets', 'rotate', file, '--new-key-env', 'A', '--new-passphrase-env', 'B'], env);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/exactly one new key source/);
  });
});

describe('flowlane audit verify', () => {
  it('exits 0 for an intact log and 1 naming the first broken record', async () => {
    const path = join(tmp, 'audit.jsonl');
    const key = 'cli-test-hmac-key-0123456789';
    const log = await openAuditLog({ path, hmacKey: key });
    for (let n = 0; n < 3; n++) await log.append({ timestamp: n, executionId: 'e', workflow: 'w', action: `a${n}` });
    await log.close();
    expect(await cli(['audit', 'verify', path, '--key-env', 'AUDIT_KEY'], { AUDIT_KEY: key })).toMatchObject({
      code: 0,
      stdout: 'ok: 3 records in 1 file(s)\n',
    });
    await writeFile(join(tmp, 'key'), `${key}\n`);
    const json = await cli(['audit', 'verify', path, '--key-file', join(tmp, 'key'), '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: true, records: 3 });
    await writeFile(path, (await readFile(path, 'utf8')).replace('"a1"', '"a9"'));
    const broken = await cli(['audit', 'verify', path, '--key-env', 'AUDIT_KEY'], { AUDIT_KEY: key });
    expect(broken.code).toBe(1);
    expect(broken.stdout).toMatch(/^broken at seq 2 \(.*audit\.jsonl:2\): hash mismatch/);
    const noKey = await cli(['audit', 'verify', path, '--key-env', 'UNSET_KEY']);
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toMatch(/UNSET_KEY is not set/);
  });
});

describe('one implementation with the packages’ own bins', () => {
  const pluginBin = (pkg: string) =>
    fileURLToPath(new URL(`../node_modules/@flowlane/${pkg}/dist/bin.js`, import.meta.url));
  const run = async (bin: string, args: string[]) => {
    const p = start(process.execPath, [bin, ...args], {});
    p.child.stdin!.end('');
    return p.done;
  };
  /** Help without its usage line (which names the program). */
  const body = (help: string) => help.split('\n').slice(1).join('\n');

  it('every secrets and audit subcommand has the same flags and help text under flowlane and the bin', async () => {
    const cases = [
      ...['keygen', 'set', 'get', 'list', 'delete', 'rotate'].map((sub) => ['secrets-file', 'secrets', sub] as const),
      ['audit-file', 'audit', 'verify'] as const,
    ];
    await Promise.all(
      cases.map(async ([pkg, group, sub]) => {
        const [viaCli, viaBin] = await Promise.all([cli([group, sub, '--help']), run(pluginBin(pkg), [sub, '--help'])]);
        expect(viaCli.code).toBe(0);
        expect(viaCli.stdout).toMatch(new RegExp(`^Usage: flowlane ${group} ${sub}`));
        expect(body(viaCli.stdout)).toBe(body(viaBin.stdout));
      }),
    );
  }, 90_000);

  it('keygen, and usage errors exit 2 naming the flag with a suggestion or the missing argument', async () => {
    const key = await cli(['secrets', 'keygen']);
    expect(key.code).toBe(0);
    expect(key.stdout).toMatch(/^[A-Za-z0-9+/]{43}=\n$/);
    const unknown = await cli(['secrets', 'get', 'f.enc', 'n', '--kye-env', 'K']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('Did you mean --key-env?');
    const missing = await cli(['audit', 'verify']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("missing required argument 'path'");
    const env = { FLOWLANE_SECRETS_KEY: randomBytes(32).toString('base64') };
    const file = join(tmp, 'hints.enc');
    expect((await cli(['secrets', 'set', file, 'a'], env, 'x')).code).toBe(0);
    const hint = await cli(['secrets', 'get', file, 'nope'], env);
    expect(hint.code).toBe(1);
    expect(hint.stderr).toContain(`hint: List them: flowlane secrets list ${file}.`);
  });
});
