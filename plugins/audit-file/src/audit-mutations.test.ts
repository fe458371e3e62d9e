import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { openAuditLog, verifyAuditLog } from './index.js';

const KEY = 'mutation-test-key-0123456789';

/**
 * Property: every single-byte edit, deletion, insertion, swap and truncation of a valid log is reported by
 * verifyAuditLog. The log is written once per key mode by the real writer with random records; each mutation is
 * written back to the file and verified from disk (> 1,000 mutations in total).
 */
describe.each([
  ['HMAC', KEY],
  ['plain SHA-256', undefined],
] as const)('verifyAuditLog detects every mutation (%s chain)', (_label, key) => {
  let path = '';
  let original = Buffer.alloc(0);
  let lineStarts: number[] = [];
  let checked = 0;

  const lines = () => original.toString('utf8').split('\n').slice(0, -1);
  const expectBroken = async (mutated: Buffer | string) => {
    await writeFile(path, mutated);
    const report = await verifyAuditLog(path, { key });
    checked++;
    return report.ok === false;
  };

  beforeAll(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'flowlane-audit-mutations-'));
    path = join(dir, 'audit.jsonl');
    const records = fc.sample(
      fc.record({
        actor: fc.constantFrom('alice', 'bob', 'ci'),
        action: fc.constantFrom('node.execute', 'deploy', 'permission.check'),
        resource: fc.string({ maxLength: 12 }),
        outcome: fc.constantFrom('success' as const, 'denied' as const, 'failure' as const),
        details: fc.dictionary(
          fc.string({ minLength: 1, maxLength: 6 }),
          fc.oneof(fc.string(), fc.integer(), fc.boolean()),
        ),
      }),
      { numRuns: 24, seed: 19 },
    );
    const log = await openAuditLog({ path, hmacKey: key });
    for (const [n, r] of records.entries())
      await log.append({ timestamp: 1_765_000_000_000 + n, executionId: `run-${n % 4}`, workflow: 'release', ...r });
    await log.close();
    original = await readFile(path);
    lineStarts = [0];
    for (let k = 0; k < original.length - 1; k++) if (original[k] === 0x0a) lineStarts.push(k + 1);
    expect((await verifyAuditLog(path, { key })).ok).toBe(true);
    return async () => {
      await rm(dir, { recursive: true, force: true });
      // the tests below must really have run the mutations they claim
      expect(checked).toBeGreaterThanOrEqual(550);
    };
  });

  it('every single-byte edit (400 random positions and values)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.integer({ min: 1, max: 255 }), async (pos, delta) => {
        const m = Buffer.from(original);
        const at = pos % m.length;
        m[at] = (m[at]! + delta) % 256;
        expect(await expectBroken(m)).toBe(true);
      }),
      { numRuns: 400, seed: 1 },
    );
  });

  it('every deletion of a record (line)', async () => {
    for (let n = 0; n < lineStarts.length; n++) {
      const l = lines();
      l.splice(n, 1);
      expect(await expectBroken(l.length === 0 ? '' : `${l.join('\n')}\n`)).toBe(true);
    }
  });

  it('every swap of two records (reordering)', async () => {
    const count = lines().length;
    for (let a = 0; a < count; a++)
      for (let b = a + 1; b < count; b += 3) {
        const l = lines();
        [l[a], l[b]] = [l[b]!, l[a]!];
        expect(await expectBroken(`${l.join('\n')}\n`)).toBe(true);
      }
  });

  it('every insertion of a copied record and every truncation', async () => {
    const count = lines().length;
    for (let at = 0; at <= count; at++) {
      const l = lines();
      l.splice(at, 0, l[(at + 5) % count]!);
      expect(await expectBroken(`${l.join('\n')}\n`)).toBe(true);
    }
    await fc.assert(
      fc.asyncProperty(fc.nat(), async (pos) => {
        expect(await expectBroken(original.subarray(0, pos % original.length))).toBe(true);
      }),
      { numRuns: 60, seed: 2 },
    );
  });
});
