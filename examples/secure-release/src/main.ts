import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSecureEngine, runAs, setUpSecureRelease, verifyAudit } from './secure-release.js';

const dir = await mkdtemp(join(tmpdir(), 'secure-release-'));
try {
  const setup = await setUpSecureRelease(dir, { apiKey: 'demo-api-key-123', dbPassword: 'demo-db-password' });
  const engine = createSecureEngine(setup);
  const carol = await runAs(engine, { id: 'carol', roles: ['developer'] });
  console.log(`carol (developer): ${carol.status} — ${carol.nodes['sensitive-operation']?.error?.message}`);
  const alice = await runAs(engine, { id: 'alice', roles: ['developer', 'operator'], mfa: true, mfaAt: Date.now() });
  console.log(`alice (operator, MFA): ${alice.status}`);
  await engine.close();
  const report = await verifyAudit(setup);
  console.log(
    `audit log ${setup.auditPath}: ${report.ok ? `${report.records} records, chain intact` : `broken at ${report.brokenAt}: ${report.reason}`}`,
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}
