import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { auditFile, verifyAuditLog } from '@flowlane/audit-file';
import { type Actor, createEngine, type Engine, type RunResult, workflow } from '@flowlane/core';
import { permissionsPolicy } from '@flowlane/permissions-policy';
import { openSecretsFile, secretsFile } from '@flowlane/secrets-file';

/** The policy file shipped with the example. */
export const POLICY_FILE = fileURLToPath(new URL('./policy.json', import.meta.url));

/** Stand-in for the seed's `callAPI(apiKey, dbPassword)`: a call that needs both secrets. */
const callApi = async (apiKey: string, dbPassword: string) => ({ ok: apiKey.length > 0 && dbPassword.length > 0 });

/**
 * Seed 003's security scenario as one workflow: a node using two secrets, a protected `sensitive-operation`
 * (admin/operator, alice or bob, MFA — as in the seed), and an audited data access.
 */
export const secureRelease = workflow('secure-release')
  .addNode('use-secret', async (ctx) => {
    const apiKey = await ctx.getSecret('api-key');
    const dbPassword = await ctx.getSecret('db-password');
    ctx.log.info(`calling the API with key ${apiKey}`); // redacted in the event stream
    return callApi(apiKey, dbPassword);
  })
  .addNode(
    'sensitive-operation',
    async (ctx) => {
      await ctx.audit({ action: 'RELEASE_APPROVED', resource: 'production', outcome: 'success' });
      return 'released';
    },
    {
      dependsOn: ['use-secret'],
      permissions: { requiredRoles: ['admin', 'operator'], allowedUsers: ['alice', 'bob'], requireMFA: true },
    },
  )
  .addNode(
    'action',
    async (ctx) => {
      await ctx.audit({ action: 'DATA_ACCESS', resource: 'user-data', details: { userId: '123' } });
      return 'audited';
    },
    { dependsOn: ['use-secret'] },
  )
  .build();

/** Paths and keys of one installation of the scenario. */
export interface SecureReleaseSetup {
  readonly secretsPath: string;
  readonly secretsKey: string;
  readonly auditPath: string;
  readonly auditKey: string;
}

/** Create the encrypted secrets file (api-key, db-password) in `dir` with fresh random keys. */
export async function setUpSecureRelease(
  dir: string,
  secrets: { apiKey: string; dbPassword: string },
): Promise<SecureReleaseSetup> {
  const setup = {
    secretsPath: join(dir, 'secrets.enc'),
    secretsKey: randomBytes(32).toString('base64'),
    auditPath: join(dir, 'audit.jsonl'),
    auditKey: randomBytes(32).toString('hex'),
  };
  const file = await openSecretsFile(setup.secretsPath, { key: setup.secretsKey, create: true });
  await file.set('api-key', secrets.apiKey);
  await file.set('db-password', secrets.dbPassword);
  return setup;
}

/** An engine with the three security plugins: encrypted secrets, the policy file, the hash-chained audit log. */
export function createSecureEngine(setup: SecureReleaseSetup, extra: Parameters<typeof createEngine>[0] = {}): Engine {
  return createEngine({
    ...extra,
    plugins: [
      secretsFile({ path: setup.secretsPath, key: setup.secretsKey }),
      auditFile({ path: setup.auditPath, hmacKey: setup.auditKey }),
      permissionsPolicy({ policy: POLICY_FILE }),
      ...(extra.plugins ?? []),
    ],
  });
}

/** Run the release as `actor`. */
export function runAs(engine: Engine, actor: Actor): Promise<RunResult<Record<string, unknown>>> {
  return engine.run(secureRelease, undefined, { actor }).result as Promise<RunResult<Record<string, unknown>>>;
}

/** Verify the scenario's audit log with its key. */
export const verifyAudit = (setup: SecureReleaseSetup) => verifyAuditLog(setup.auditPath, { key: setup.auditKey });
