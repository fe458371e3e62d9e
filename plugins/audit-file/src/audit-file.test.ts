import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createEngine, isFlowlaneError, workflow } from '@flowlane/core';
import { describe, expect, it } from 'vitest';
import { AuditFileError, auditFile, openAuditLog, verifyAuditLog } from './index.js';
import { useTempDirs } from './temp-dirs.test-helper.js';

const tempDir = useTempDirs();
const KEY = 'k'.repeat(32);
const rec = (n: number, details: Record<string, unknown> = {}) => ({
  timestamp: 1_700_000_000_000 + n,
  executionId: `e${n}`,
  workflow: 'wf',
  action: 'node.execute',
  outcome: 'success' as const,
  details,
});
const lines = async (path: string) =>
  (await readFile(path, 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('auditFile (the sink plugin)', () => {
  it('writes the engine audit records as a verifiable chain with actor, action, resource, outcome and redacted secrets', async () => {
    const path = join(await tempDir(), 'audit.jsonl');
    const engine = createEngine({
      plugins: [auditFile({ path, hmacKey: KEY })],
      secrets: [{ name: 'test', get: (n) => (n === 'token' ? 'tok-123456-secret' : undefined) }],
    });
    const wf = workflow('release')
      .addNode('tag', async (ctx) => {
        const token = await ctx.getSecret('token');
        await ctx.audit({
          action: 'git.tag',
          resource: 'v1',
          outcome: 'success',
          details: { used: `with ${token}`, password: 'pw-plain' },
        });
      })
      .addNode('ship', () => 'shipped', { dependsOn: ['tag'], permissions: { requiredRoles: ['admin'] } })
      .build();
    const r = await engine.run(wf, undefined, { actor: { id: 'alice', roles: ['dev'] } }).result;
    expect(r.status).toBe('failed');
    await engine.close();
    const text = await readFile(path, 'utf8');
    expect(text).not.toContain('tok-123456-secret');
    expect(text).not.toContain('pw-plain');
    const records = await lines(path);
    expect(records).toHaveLength(2);
    expect(records[0]).toMatchObject({
      seq: 1,
      actor: 'alice',
      action: 'git.tag',
      resource: 'v1',
      nodeId: 'tag',
      outcome: 'success',
      details: { used: 'with [REDACTED]', password: '[REDACTED]' },
    });
    expect(records[1]).toMatchObject({
      seq: 2,
      action: 'node.execute',
      nodeId: 'ship',
      outcome: 'denied',
      prevHash: records[0]!.hash,
    });
    expect(await verifyAuditLog(path, { key: KEY })).toMatchObject({ ok: true, records: 2 });
    expect(await verifyAuditLog(path, { key: 'x'.repeat(32) })).toMatchObject({ ok: false, brokenAt: 1 });
    expect(await verifyAuditLog(path)).toMatchObject({
      ok: false,
      brokenAt: 1,
      reason: expect.stringContaining('pass { key }'),
    });
  });

  it('rejects unknown and invalid options with FL_AUDIT_INVALID_OPTION and a hint', () => {
    const attempt = (o: unknown) => {
      try {
        auditFile(o as never);
      } catch (e) {
        return e;
      }
      return undefined;
    };
    const e1 = attempt({ path: 'a', hmackey: KEY });
    expect(AuditFileError.is(e1, 'FL_AUDIT_INVALID_OPTION') && e1.message).toContain('did you mean "hmacKey"?');
    expect(AuditFileError.is(attempt({ path: 'a', fsync: 'never' }), 'FL_AUDIT_INVALID_OPTION')).toBe(true);
    expect(AuditFileError.is(attempt({ path: 'a', hmacKey: 'short' }), 'FL_AUDIT_INVALID_OPTION')).toBe(true);
    expect(AuditFileError.is(attempt({ path: '' }), 'FL_AUDIT_INVALID_OPTION')).toBe(true);
    expect(AuditFileError.is(attempt({ path: 'a', rotate: { maxBytes: 10 } }), 'FL_AUDIT_INVALID_OPTION')).toBe(true);
    expect(isFlowlaneError(attempt({ path: 'a', rotate: { maxbytes: 4096 } }))).toBe(true);
    // Node fires a longer interval after 1 ms: 'interval' fsync would spin.
    const e2 = attempt({ path: 'a', fsync: 'interval', fsyncIntervalMs: 1e12 });
    expect(AuditFileError.is(e2, 'FL_AUDIT_INVALID_OPTION') && e2.message).toMatch(
      /fsyncIntervalMs.*at most 2147483647/,
    );
  });
});

describe('bad input to openAuditLog().append and verifyAuditLog', () => {
  it('append refuses a record that is not an object (it was chained as an empty record)', async () => {
    const path = join(await tempDir(), 'audit.jsonl');
    const log = await openAuditLog({ path });
    for (const bad of [5, 'text', null, [rec(1)]])
      await expect(log.append(bad as never)).rejects.toMatchObject({
        code: 'FL_AUDIT_INVALID_OPTION',
        message: expect.stringMatching(/option "record": expected an audit record object/),
      });
    await log.append(rec(1));
    await log.close();
    expect((await lines(path)).map((r) => r.executionId)).toEqual(['e1']);
  });

  it('a record that cannot be written as JSON is refused alone; the log keeps taking records (it stopped for good)', async () => {
    const path = join(await tempDir(), 'audit.jsonl');
    const log = await openAuditLog({ path });
    const cyclic: Record<string, unknown> = {};
    let deep = cyclic;
    for (let n = 0; n < 40; n++) deep = (deep.next = {}) as Record<string, unknown>;
    deep.next = cyclic;
    for (const details of [{ n: 10n }, cyclic])
      await expect(log.append(rec(0, details))).rejects.toMatchObject({
        code: 'FL_AUDIT_INVALID_OPTION',
        message: expect.stringContaining('cannot be written as JSON'),
      });
    await log.append(rec(1));
    await log.close();
    expect((await lines(path)).map((r) => [r.seq, r.executionId])).toEqual([[1, 'e1']]);
    expect(await verifyAuditLog(path)).toMatchObject({ ok: true, records: 1 });
  });

  it('verifyAuditLog refuses unknown options (a misspelt key reported a sound HMAC log as broken)', async () => {
    const path = join(await tempDir(), 'audit.jsonl');
    const log = await openAuditLog({ path, hmacKey: KEY });
    await log.append(rec(1));
    await log.close();
    await expect(verifyAuditLog(path, { kye: KEY } as never)).rejects.toMatchObject({
      code: 'FL_AUDIT_INVALID_OPTION',
      message: expect.stringMatching(/"kye": unknown option; did you mean "key"\?/),
    });
    await expect(verifyAuditLog(path, { key: 5 } as never)).rejects.toMatchObject({ code: 'FL_AUDIT_INVALID_OPTION' });
    expect(await verifyAuditLog(path, { key: KEY })).toMatchObject({ ok: true, records: 1 });
  });
});

describe('openAuditLog', () => {
  it('serialises concurrent appends from one process into one gap-free chain', async () => {
    const path = join(await tempDir(), 'audit.jsonl');
    const log = await openAuditLog({ path, fsync: 'interval' });
    await Promise.all(Array.from({ length: 300 }, (_, n) => log.append(rec(n))));
    expect(log.seq).toBe(300);
    await log.close();
    const records = await lines(path);
    expect(records.map((r) => r.seq)).toEqual(Array.from({ length: 300 }, (_, n) => n + 1));
    expect(records.map((r) => r.executionId)).toEqual(Array.from({ length: 300 }, (_, n) => `e${n}`));
    expect(await verifyAuditLog(path)).toMatchObject({ ok: true, records: 300 });
  });

  it('continues the chain after a restart and across rotated files', async () => {
    const dir = await tempDir();
    const path = join(dir, 'audit.jsonl');
    let log = await openAuditLog({ path, hmacKey: KEY, rotate: { maxBytes: 2048 } });
    for (let n = 0; n < 20; n++) await log.append(rec(n, { note: 'x'.repeat(100) }));
    await log.close();
    log = await openAuditLog({ path, hmacKey: KEY, rotate: { maxBytes: 2048 } });
    expect(log.seq).toBe(20);
    for (let n = 20; n < 40; n++) await log.append(rec(n, { note: 'y'.repeat(100) }));
    await log.close();
    const files = (await readdir(dir)).filter((f) => /^audit\.jsonl\.\d+$/.test(f));
    expect(files.length).toBeGreaterThanOrEqual(3);
    const report = await verifyAuditLog(path, { key: KEY });
    expect(report).toMatchObject({ ok: true, records: 40 });
    // Deleting a whole rotated file in the middle breaks the chain where it was.
    await writeFile(join(dir, 'audit.jsonl.2'), '');
    const broken = await verifyAuditLog(path, { key: KEY });
    expect(broken).toMatchObject({ ok: false, file: join(dir, 'audit.jsonl.2') });
  });

  it('refuses a log whose last record does not verify with the given key (FL_AUDIT_CORRUPT) and a torn tail', async () => {
    const path = join(await tempDir(), 'audit.jsonl');
    const log = await openAuditLog({ path, hmacKey: KEY });
    await log.append(rec(1));
    await log.close();
    await expect(openAuditLog({ path, hmacKey: 'z'.repeat(32) })).rejects.toMatchObject({ code: 'FL_AUDIT_CORRUPT' });
    await writeFile(path, `${await readFile(path, 'utf8')}{"seq":2,"pre`);
    await expect(openAuditLog({ path, hmacKey: KEY })).rejects.toMatchObject({ code: 'FL_AUDIT_CORRUPT' });
    // The failed opens released the lock.
    await expect(readdir(join(path, '..'))).resolves.not.toContain('audit.jsonl.lock');
  });

  it('detects truncation of whole trailing records through the head file, and a deleted head', async () => {
    const path = join(await tempDir(), 'audit.jsonl');
    const log = await openAuditLog({ path, hmacKey: KEY });
    for (let n = 0; n < 5; n++) await log.append(rec(n));
    await log.close();
    const text = await readFile(path, 'utf8');
    const kept = text.split('\n').slice(0, 3).join('\n');
    await writeFile(path, `${kept}\n`);
    expect(await verifyAuditLog(path, { key: KEY })).toMatchObject({
      ok: false,
      brokenAt: 4,
      reason: expect.stringContaining('truncated'),
    });
    await writeFile(path, text);
    expect(await verifyAuditLog(path, { key: KEY })).toMatchObject({ ok: true, records: 5 });
    const { unlink } = await import('node:fs/promises');
    await unlink(`${path}.head`);
    expect(await verifyAuditLog(path, { key: KEY })).toMatchObject({
      ok: false,
      reason: expect.stringContaining('head file is missing'),
    });
  });

  it('refuses to continue a log cut short at the end, or whose head file is gone (reopening used to rewrite the head and hide it)', async () => {
    const dir = await tempDir();
    const path = join(dir, 'audit.jsonl');
    const log = await openAuditLog({ path, hmacKey: KEY });
    for (let n = 0; n < 5; n++) await log.append(rec(n));
    await log.close();
    const text = await readFile(path, 'utf8');
    const head = await readFile(`${path}.head`, 'utf8');
    await writeFile(path, `${text.split('\n').slice(0, 3).join('\n')}\n`);
    const cut = await openAuditLog({ path, hmacKey: KEY }).catch((e: unknown) => e);
    expect(AuditFileError.is(cut, 'FL_AUDIT_CORRUPT') && cut.details.reason).toContain('truncated');
    // The evidence stays: the verifier still reports the truncation, and the failed open released the lock.
    expect(await verifyAuditLog(path, { key: KEY })).toMatchObject({ ok: false, brokenAt: 4 });
    expect(await readdir(dir)).not.toContain('audit.jsonl.lock');
    // The whole log back, but its head deleted, or the head claiming a record the log lacks.
    await writeFile(path, text);
    const { unlink } = await import('node:fs/promises');
    await unlink(`${path}.head`);
    await expect(openAuditLog({ path, hmacKey: KEY })).rejects.toMatchObject({
      code: 'FL_AUDIT_CORRUPT',
      message: expect.stringContaining('head file is missing'),
    });
    await writeFile(`${path}.head`, head.replace(/"seq":5/, '"seq":6'));
    await expect(openAuditLog({ path, hmacKey: KEY })).rejects.toMatchObject({ code: 'FL_AUDIT_CORRUPT' });
    await writeFile(`${path}.head`, head);
    const again = await openAuditLog({ path, hmacKey: KEY });
    expect(again.seq).toBe(5);
    await again.close();
    expect(await verifyAuditLog(path, { key: KEY })).toMatchObject({ ok: true, records: 5 });
  });

  it('detects a U+FFFD whose three bytes were replaced by one invalid byte (a lenient decode read both as U+FFFD)', async () => {
    const path = join(await tempDir(), 'audit.jsonl');
    const log = await openAuditLog({ path, hmacKey: KEY });
    await log.append(rec(1));
    await log.append(rec(2, { note: 'amount \uFFFD 100' }));
    await log.close();
    const raw = await readFile(path);
    const at = raw.indexOf(Buffer.from([0xef, 0xbf, 0xbd]));
    await writeFile(path, Buffer.concat([raw.subarray(0, at), Buffer.from([0xff]), raw.subarray(at + 3)]));
    expect(await verifyAuditLog(path, { key: KEY })).toMatchObject({
      ok: false,
      brokenAt: 2,
      line: 2,
      reason: expect.stringContaining('UTF-8'),
    });
  });

  it('refuses a second writer on the same path in this process (FL_AUDIT_LOCKED) until the first closes', async () => {
    const path = join(await tempDir(), 'audit.jsonl');
    const first = await openAuditLog({ path });
    const e = await openAuditLog({ path }).catch((x: unknown) => x);
    expect(AuditFileError.is(e, 'FL_AUDIT_LOCKED') && e.details.pid).toBe(process.pid);
    await first.close();
    const second = await openAuditLog({ path });
    await second.append(rec(1));
    await second.close();
    await expect(first.append(rec(2))).rejects.toMatchObject({ code: 'FL_AUDIT_WRITE_FAILED' });
  });
});
