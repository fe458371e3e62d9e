import type { Actor } from '@flowlane/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createPolicyEvaluator, type PolicyAction, type PolicyDocument } from './index.js';

const NOW = 1_765_000_000_000;
const ROLES = ['developer', 'releaser', 'oncall'] as const;
type Role = (typeof ROLES)[number];

const policy = (denyByDefault: boolean): PolicyDocument => ({
  denyByDefault,
  roles: {
    developer: { workflows: ['release'], actions: ['run', 'cancel', 'execute'], nodes: ['build', 'test'] },
    releaser: [
      { workflows: ['release'], actions: ['execute'], nodes: ['publish'], requireMFA: true, maxMfaAgeSeconds: 600 },
      { workflows: ['rel*'], actions: ['signal', 'resume'], requireMFA: true, maxMfaAgeSeconds: 600 },
    ],
    oncall: { workflows: ['release'], actions: ['cancel', 'signal'], allowedUsers: ['olga'] },
  },
  users: { rita: { roles: ['releaser'] } },
});

/** The policy above, restated by hand: which roles cover a request, and when a held role may be used. */
function expected(
  denyByDefault: boolean,
  workflow: string,
  action: PolicyAction,
  node: string | undefined,
  user: string | undefined,
  roles: readonly Role[],
  mfa: 'none' | 'fresh' | 'stale',
): boolean {
  const covering: Role[] = [];
  if (workflow === 'release') {
    if (action === 'run' || action === 'cancel' || (action === 'execute' && (node === 'build' || node === 'test')))
      covering.push('developer');
    if ((action === 'execute' && node === 'publish') || action === 'signal' || action === 'resume')
      covering.push('releaser');
    if (action === 'cancel' || action === 'signal') covering.push('oncall');
  }
  if (covering.length === 0) return !denyByDefault;
  if (user === undefined) return false;
  const held = new Set<Role>([...roles, ...(user === 'rita' ? (['releaser'] as const) : [])]);
  const usable = (r: Role): boolean =>
    r === 'developer' || (r === 'releaser' && mfa === 'fresh') || (r === 'oncall' && user === 'olga');
  return covering.some((r) => held.has(r) && usable(r));
}

const subsets = <T>(xs: readonly T[]): T[][] =>
  xs.reduce<T[][]>((acc, x) => acc.concat(acc.map((s) => [...s, x])), [[]]);
const REQUESTS: [string, PolicyAction, string | undefined][] = [
  ['release', 'run', undefined],
  ['release', 'cancel', undefined],
  ['release', 'signal', undefined],
  ['release', 'resume', undefined],
  ['release', 'execute', 'build'],
  ['release', 'execute', 'test'],
  ['release', 'execute', 'publish'],
  ['release', 'execute', 'notify'],
  ['backup', 'run', undefined],
  ['backup', 'execute', 'build'],
];

describe('permission truth table: roles × users × MFA × actions', () => {
  it('matches the hand-written table for every combination (both deny-by-default settings)', () => {
    let cases = 0;
    let allowed = 0;
    for (const denyByDefault of [false, true]) {
      const evaluator = createPolicyEvaluator(policy(denyByDefault), { now: () => NOW });
      for (const user of ['dana', 'rita', 'olga', undefined])
        for (const roles of subsets(ROLES))
          for (const mfa of ['none', 'fresh', 'stale'] as const)
            for (const [workflow, action, node] of REQUESTS) {
              const actor: Actor | undefined =
                user === undefined
                  ? undefined
                  : {
                      id: user,
                      roles,
                      ...(mfa === 'none' ? {} : { mfa: true, mfaAt: mfa === 'fresh' ? NOW - 600_000 : NOW - 600_001 }),
                    };
              const d = evaluator.decide({ actor, action, workflow, nodeId: node, executionId: 'e' });
              const want = expected(denyByDefault, workflow, action, node, user, roles, mfa);
              expect({ denyByDefault, user, roles, mfa, workflow, action, node, allowed: d.allowed }).toEqual({
                denyByDefault,
                user,
                roles,
                mfa,
                workflow,
                action,
                node,
                allowed: want,
              });
              if (!d.allowed) expect(d.reason.length).toBeGreaterThan(10);
              cases++;
              if (d.allowed) allowed++;
            }
    }
    expect(cases).toBe(2 * 4 * 8 * 3 * REQUESTS.length);
    expect(allowed).toBeGreaterThan(cases / 5); // the table is not all-deny
    expect(allowed).toBeLessThan(cases);
  });

  it('node checks also enforce what the node declares, and reach the policy only when that passes', () => {
    const evaluator = createPolicyEvaluator(policy(false), { now: () => NOW });
    const node = (permissions?: object) => ({
      id: 'publish',
      kind: 'task' as const,
      dependsOn: [],
      standby: false,
      options: permissions === undefined ? {} : { permissions },
    });
    const rita = { id: 'rita', mfa: true, mfaAt: NOW };
    const req = { workflow: 'release', executionId: 'e' };
    expect(evaluator.check({ ...req, actor: rita, node: node() }).allowed).toBe(true);
    expect(evaluator.check({ ...req, actor: rita, node: node({ allowedUsers: ['olga'] }) }).allowed).toBe(false);
    expect(evaluator.check({ ...req, actor: { id: 'rita' }, node: node() }).allowed).toBe(false);
  });
});

const arbGrant = fc.record(
  {
    workflows: fc.subarray(['release', 'backup', 'rel*', '*']),
    actions: fc.subarray(['run', 'cancel', 'signal', 'resume', 'execute'] as PolicyAction[]),
    allowedUsers: fc.subarray(['u1', 'u2', 'u3']),
    requireMFA: fc.boolean(),
  },
  { requiredKeys: [] },
);
const arbPolicy = fc.record({
  denyByDefault: fc.boolean(),
  roles: fc.dictionary(fc.constantFrom('a', 'b', 'c'), fc.oneof(arbGrant, fc.array(arbGrant, { maxLength: 3 }))),
});
const arbRequest = fc.record({
  user: fc.constantFrom('u1', 'u2', 'u3'),
  roles: fc.subarray(['a', 'b', 'c']),
  extra: fc.constantFrom('a', 'b', 'c'),
  mfa: fc.boolean(),
  action: fc.constantFrom('run', 'cancel', 'signal', 'resume', 'execute') as fc.Arbitrary<PolicyAction>,
  workflow: fc.constantFrom('release', 'backup', 'other'),
});

describe('permission properties over random policies', () => {
  it('granting an actor one more role never turns an allow into a deny', () => {
    fc.assert(
      fc.property(arbPolicy, arbRequest, (doc, r) => {
        const evaluator = createPolicyEvaluator(doc as PolicyDocument);
        const ask = (roles: string[]) =>
          evaluator.decide({
            actor: { id: r.user, roles, mfa: r.mfa },
            action: r.action,
            workflow: r.workflow,
            nodeId: 'n',
            executionId: 'e',
          }).allowed;
        if (ask(r.roles)) expect(ask([...r.roles, r.extra])).toBe(true);
      }),
      { numRuns: 500, seed: 42 },
    );
  });

  it('with denyByDefault, every allow is granted by a role the actor holds', () => {
    fc.assert(
      fc.property(arbPolicy, arbRequest, (doc, r) => {
        const evaluator = createPolicyEvaluator({ ...doc, denyByDefault: true } as PolicyDocument);
        const d = evaluator.decide({
          actor: { id: r.user, roles: r.roles, mfa: r.mfa },
          action: r.action,
          workflow: r.workflow,
          nodeId: 'n',
          executionId: 'e',
        });
        if (d.allowed) expect(r.roles).toContain(d.role);
      }),
      { numRuns: 500, seed: 43 },
    );
  });
});
