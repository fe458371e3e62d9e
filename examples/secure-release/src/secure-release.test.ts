import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSecureEngine, runAs, type SecureReleaseSetup, setUpSecureRelease, verifyAudit } from './index.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});
const API_KEY = 'ak_live_5f3c9a1e7b';
const DB_PASSWORD = 'db-pw-Zq8!xv2#';

async function setUp(): Promise<SecureReleaseSetup> {
  const dir = await mkdtemp(join(tmpdir(), 'flowlane-secure-release-'));
  dirs.push(dir);
  return setUpSecureRelease(dir, { apiKey: API_KEY, dbPassword: DB_PASSWORD });
}

describe('examples/secure-release (seed 003 security)', () => {
  it('reads secrets from the encrypted file, denies the protected node to one actor, allows it to another, and verifies the audit log', async () => {
    const setup = await setUp();
    const engine = createSecureEngine(setup);

    const carol = await runAs(engine, { id: 'carol', roles: ['developer'] });
    expect(carol.status).toBe('failed');
    expect(carol.nodes['use-secret']).toMatchObject({ status: 'success', output: { ok: true } });
    expect(carol.nodes['sensitive-operation']?.error?.code).toBe('FL_PERMISSION_DENIED');
    expect(carol.error?.code).toBe('FL_NODE_FAILED');

    const bob = await runAs(engine, { id: 'bob', roles: ['developer', 'operator'] }); // no MFA
    expect(bob.nodes['sensitive-operation']?.error?.message).toContain('MFA');
    const mallory = await runAs(engine, {
      id: 'mallory',
      roles: ['developer', 'operator'],
      mfa: true,
      mfaAt: Date.now(),
    });
    expect(mallory.nodes['sensitive-operation']?.error?.message).toContain('allowedUsers');
    const outsider = await runAs(engine, { id: 'eve', roles: [] });
    expect(outsider.error?.code).toBe('FL_ACTION_DENIED');

    const alice = await runAs(engine, { id: 'alice', roles: ['developer', 'operator'], mfa: true, mfaAt: Date.now() });
    expect(alice.status).toBe('success');
    expect(alice.outputs).toMatchObject({ 'sensitive-operation': 'released', action: 'audited' });
    await engine.close();

    const report = await verifyAudit(setup);
    expect(report).toMatchObject({ ok: true });
    const text = await readFile(setup.auditPath, 'utf8');
    expect(text).not.toContain(API_KEY);
    expect(text).not.toContain(DB_PASSWORD);
    const records = text
      .trim()
      .split('\n')
      .map(
        (l) =>
          JSON.parse(l) as { actor?: string; action: string; outcome?: string; nodeId?: string; resource?: string },
      );
    expect(report.ok && report.records).toBe(records.length);
    const denied = records
      .filter((r) => r.action === 'permission.check' && r.outcome === 'denied')
      .map((r) => `${r.actor}:${r.resource}`);
    expect(denied).toEqual([
      'carol:secure-release/sensitive-operation',
      'bob:secure-release/sensitive-operation',
      'mallory:secure-release/sensitive-operation',
      'eve:secure-release',
    ]);
    expect(
      records.filter((r) => r.action === 'permission.check' && r.outcome === 'success').length,
    ).toBeGreaterThanOrEqual(10);
    expect(records.some((r) => r.actor === 'alice' && r.action === 'RELEASE_APPROVED')).toBe(true);
    expect(records.filter((r) => r.action === 'DATA_ACCESS').map((r) => r.actor)).toContain('alice');

    // Anyone who edits the log is found out: flip one record's outcome.
    await writeFile(setup.auditPath, text.replace('"outcome":"denied"', '"outcome":"success"'));
    expect(await verifyAudit(setup)).toMatchObject({ ok: false, brokenAt: expect.any(Number) });
  });

  it('refuses to start with a wrong secrets key (FL_SECRETS_DECRYPT_FAILED behind FL_PLUGIN_SETUP_FAILED)', async () => {
    const setup = await setUp();
    const engine = createSecureEngine({ ...setup, secretsKey: Buffer.alloc(32, 7).toString('base64') });
    const e = (await engine.ready().catch((x: unknown) => x)) as { code?: string; cause?: { code?: string } };
    expect(e.code).toBe('FL_PLUGIN_SETUP_FAILED');
    expect(e.cause?.code).toBe('FL_SECRETS_DECRYPT_FAILED');
    await engine.close();
  });
});
