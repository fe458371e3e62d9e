import {
  type AuditRecord,
  type AuditSink,
  allKeys,
  definePlugin,
  type FlowlanePlugin,
  Tokens,
  unknownKeyHint,
  unknownKeys,
} from '@flowlane/core';
import { PermissionsPolicyError } from './errors.js';
import { createPolicyEvaluator, type PermissionDecision, type PermissionRequest } from './policy.js';
import { checkPolicy, loadPolicyFile, type PolicyDocument } from './policy-document.js';
import { CORE_RANGE, PKG_VERSION } from './version.js';

/** Options of {@link permissionsPolicy}. */
export interface PermissionsPolicyOptions {
  /** The policy: a document, or the path of a JSON file holding one (read and checked when the plugin is created). */
  readonly policy: PolicyDocument | string;
  /** Which decisions become audit records: `'all'` (default), `'denied'` or `'none'`. */
  readonly audit?: 'all' | 'denied' | 'none' | undefined;
  /** Clock for MFA age checks, ms since the epoch. Default `Date.now`. */
  readonly now?: (() => number) | undefined;
}

const OPTION_KEYS = allKeys<PermissionsPolicyOptions>()(['policy', 'audit', 'now']);

/**
 * The permissions plugin: installs a role-based policy as the engine's `PermissionPolicy`. Nodes are checked before
 * they run (`FL_PERMISSION_DENIED`), and runs, `engine.cancel` and `engine.signal` (and `resume` where the engine
 * supports it) through `authorize` (`FL_ACTION_DENIED`). Every decision is written to the engine's audit sinks as a
 * `permission.check` record (outcome `success` or `denied`).
 *
 * @example
 * ```ts
 * import { createEngine, workflow } from '@flowlane/core';
 * import { permissionsPolicy } from '@flowlane/permissions-policy';
 *
 * const engine = createEngine({
 *   plugins: [
 *     permissionsPolicy({
 *       policy: {
 *         denyByDefault: true,
 *         roles: {
 *           developer: { workflows: ['release'], actions: ['run', 'execute'], nodes: ['build'] },
 *           releaser: { workflows: ['release'], actions: ['execute'], nodes: ['publish'], requireMFA: true },
 *         },
 *       },
 *     }),
 *   ],
 * });
 * const release = workflow('release').addNode('build', () => 'built').chain('publish', () => 'published').build();
 * const dev = await engine.run(release, undefined, { actor: { id: 'dana', roles: ['developer'] } }).result;
 * console.log(dev.status, dev.nodes.publish?.error?.code); // failed FL_PERMISSION_DENIED
 * const rel = await engine.run(release, undefined, { actor: { id: 'rita', roles: ['developer', 'releaser'], mfa: true } }).result;
 * console.log(rel.status); // success
 * console.log(engine.audit.records.filter((r) => r.action === 'permission.check').length); // 6
 * await engine.close();
 * ```
 */
export function permissionsPolicy(options: PermissionsPolicyOptions): FlowlanePlugin {
  const bad = (option: string, reason: string): never => {
    throw new PermissionsPolicyError('FL_PERMISSIONS_INVALID_OPTION', { option, reason });
  };
  if (typeof options !== 'object' || options === null || Array.isArray(options)) bad('options', 'pass { policy }');
  const [u] = unknownKeys(options, OPTION_KEYS);
  if (u !== undefined) bad(u.key, `unknown option; ${unknownKeyHint(u, OPTION_KEYS)}`);
  const doc =
    typeof options.policy === 'string'
      ? loadPolicyFile(options.policy)
      : options.policy === undefined
        ? bad('policy', 'give a policy document or the path of a JSON policy file')
        : checkPolicy(options.policy, 'policy object');
  const audit = options.audit ?? 'all';
  if (!['all', 'denied', 'none'].includes(audit))
    bad('audit', `expected "all", "denied" or "none", got ${JSON.stringify(audit)}`);
  if (options.now !== undefined && typeof options.now !== 'function')
    bad('now', 'expected a function returning ms since the epoch');
  const now = options.now ?? Date.now;

  return definePlugin({
    name: '@flowlane/permissions-policy',
    version: PKG_VERSION,
    flowlane: CORE_RANGE,
    setup(api) {
      const sinks = (): readonly AuditSink[] =>
        api.container.isRegistered(Tokens.AuditSinks) ? api.container.resolve(Tokens.AuditSinks) : [];
      const write = (req: PermissionRequest, d: PermissionDecision): void => {
        if (audit === 'none' || (audit === 'denied' && d.allowed)) return;
        const record: AuditRecord = {
          timestamp: now(),
          executionId: req.executionId,
          workflow: req.workflow,
          ...(req.nodeId === undefined ? {} : { nodeId: req.nodeId }),
          ...(req.actor === undefined ? {} : { actor: req.actor.id }),
          action: 'permission.check',
          resource: req.nodeId === undefined ? req.workflow : `${req.workflow}/${req.nodeId}`,
          outcome: d.allowed ? 'success' : 'denied',
          details: { requested: req.action, reason: d.reason, ...(d.role === undefined ? {} : { role: d.role }) },
        };
        for (const sink of sinks())
          Promise.resolve()
            .then(() => sink.write(record))
            .catch((e: unknown) =>
              api.logger.error('audit sink failed to record a permission decision', {
                sink: sink.name,
                error: e instanceof Error ? e.message : String(e),
              }),
            );
      };
      api.permissions.setPolicy(createPolicyEvaluator(doc, { now, onDecision: write }));
    },
  });
}
