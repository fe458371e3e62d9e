import { definePlugin, type FlowlanePlugin } from '@flowlane/core';
import { openAuditLog } from './audit-log-writer.js';
import { type AuditFileOptions, checkAuditFileOptions } from './options.js';
import { CORE_RANGE, PKG_VERSION } from './version.js';

/**
 * The audit sink plugin: every audit record of the engine (node denials, `ctx.audit(…)`, permission decisions) is
 * appended to a hash-chained JSONL file. Options are checked here (`FL_AUDIT_INVALID_OPTION`); the file is opened and
 * locked when the engine sets the plugin up (`FL_AUDIT_LOCKED`, `FL_AUDIT_CORRUPT` fail setup), and closed by
 * `engine.close()`.
 *
 * @example
 * ```ts
 * import { mkdtempSync } from 'node:fs';
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * import { createEngine, workflow } from '@flowlane/core';
 * import { auditFile, verifyAuditLog } from '@flowlane/audit-file';
 *
 * const path = join(mkdtempSync(join(tmpdir(), 'audit-')), 'audit.jsonl');
 * const engine = createEngine({ plugins: [auditFile({ path, hmacKey: 'a-key-of-16+-bytes' })] });
 * const wf = workflow('release').addNode('tag', async (ctx) => {
 *   await ctx.audit({ action: 'git.tag', resource: 'v1.2.0', outcome: 'success' });
 * }).build();
 * await engine.run(wf, undefined, { actor: { id: 'alice' } }).result;
 * await engine.close();
 * console.log((await verifyAuditLog(path, { key: 'a-key-of-16+-bytes' })).ok); // true
 * ```
 */
export function auditFile(options: AuditFileOptions): FlowlanePlugin {
  checkAuditFileOptions(options);
  const copy = { ...options };
  return definePlugin({
    name: '@flowlane/audit-file',
    version: PKG_VERSION,
    flowlane: CORE_RANGE,
    async setup(api) {
      const log = await openAuditLog(copy);
      api.audit.addSink({ name: `file:${copy.path}`, write: (record) => log.append(record) });
      return () => log.close();
    },
  });
}
