import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openAuditLog } from './index.js';
import { useTempDirs } from './temp-dirs.test-helper.js';

const tempDir = useTempDirs();
const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
const cli = (args: string[], env: Record<string, string> = {}) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [bin, ...args],
      { env: { PATH: process.env.PATH ?? '', ...env } },
      (err, stdout, stderr) =>
        resolve({ code: err === null ? 0 : Number((err as { code?: number }).code ?? 1), stdout, stderr }),
    );
  });

describe('flowlane-audit verify', () => {
  it('exits 0 for an intact log and 1 naming the first broken record otherwise', async () => {
    const dir = await tempDir();
    const path = join(dir, 'audit.jsonl');
    const key = 'cli-test-hmac-key-0123456789';
    const log = await openAuditLog({ path, hmacKey: key });
    for (let n = 0; n < 3; n++) await log.append({ timestamp: n, executionId: 'e', workflow: 'w', action: `a${n}` });
    await log.close();
    expect(await cli(['verify', path, '--key-env', 'AUDIT_KEY'], { AUDIT_KEY: key })).toMatchObject({
      code: 0,
      stdout: 'ok: 3 records in 1 file(s)\n',
    });
    await writeFile(join(dir, 'key'), `${key}\n`);
    expect((await cli(['verify', path, '--key-file', join(dir, 'key'), '--json'])).stdout).toContain('"ok":true');
    await writeFile(path, (await readFile(path, 'utf8')).replace('"a1"', '"a9"'));
    const broken = await cli(['verify', path, '--key-env', 'AUDIT_KEY'], { AUDIT_KEY: key });
    expect(broken.code).toBe(1);
    expect(broken.stdout).toMatch(/^broken at seq 2 \(.*audit\.jsonl:2\): hash mismatch/);
  }, 30_000);

  it('usage errors exit 2 naming the flag (with a suggestion), the missing argument or the unset variable', async () => {
    const unknown = await cli(['verify', 'audit.jsonl', '--jsn']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown option '--jsn'");
    expect(unknown.stderr).toContain('Did you mean --json?');
    const missing = await cli(['verify']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("missing required argument 'path'");
    const unset = await cli(['verify', 'audit.jsonl', '--key-env', 'UNSET_KEY']);
    expect(unset.code).toBe(2);
    expect(unset.stderr).toContain('Environment variable UNSET_KEY is not set.');
    const noKeyFile = await cli(['verify', 'audit.jsonl', '--key-file', '/nonexistent/flowlane-key']);
    expect(noKeyFile.code).toBe(2);
    expect(noKeyFile.stderr).toContain('No key file at /nonexistent/flowlane-key.');
  }, 30_000);

  it('a path with no log (nor head file) exits 1 saying so, not as a broken record', async () => {
    const dir = await tempDir();
    const none = await cli(['verify', join(dir, 'missing.jsonl')]);
    expect(none.code).toBe(1);
    expect(none.stdout).toBe('');
    expect(none.stderr).toContain(`No audit log at ${join(dir, 'missing.jsonl')} (and no head file beside it).`);
    expect(none.stderr).toContain('hint: Give the path passed to auditFile({ path })');
  }, 30_000);
});
