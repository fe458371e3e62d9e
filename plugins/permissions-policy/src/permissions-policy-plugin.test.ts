import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createEngine, isFlowlaneError, workflow } from '@flowlane/core';
import { filter, firstValueFrom } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { createPolicyEvaluator, PermissionsPolicyError, type PolicyDocument, permissionsPolicy } from './index.js';
import { useTempDirs } from './temp-dirs.test-helper.js';

const tempDir = useTempDirs();
const NOW = 1_765_000_000_000;
const doc: PolicyDocument = {
  denyByDefault: true,
  roles: {
    developer: { workflows: ['release'], actions: ['run', 'execute'], nodes: ['build', 'approve'] },
    releaser: {
      workflows: ['release'],
      actions: ['execute', 'signal'],
      nodes: ['publish'],
      requireMFA: true,
      maxMfaAgeSeconds: 300,
    },
    oncall: { workflows: ['release'], actions: ['cancel'], allowedUsers: ['olga'] },
  },
};
/** Resolves once the run's "approve" node has started (and passed its permission check). */
const approving = (run: { events$: import('rxjs').Observable<{ type: string; nodeId?: string | undefined }> }) =>
  firstValueFrom(run.events$.pipe(filter((e) => e.type === 'node.started' && e.nodeId === 'approve')));
const release = workflow('release')
  .addNode('build', () => 'built')
  .chain('approve', (ctx) => ctx.waitForSignal<string>('approved'))
  .chain('publish', () => 'published')
  .build();

describe('permissionsPolicy (plugin)', () => {
  it('denies a protected node for one actor, allows it for another, and audits every decision', async () => {
    const engine = createEngine({ plugins: [permissionsPolicy({ policy: doc, now: () => NOW })] });
    const dana = engine.run(release, undefined, { actor: { id: 'dana', roles: ['developer'] }, executionId: 'd1' });
    await approving(dana);
    await expect(
      engine.signal('d1', 'approved', 'ok', { actor: { id: 'dana', roles: ['developer'] } }),
    ).rejects.toMatchObject({
      code: 'FL_ACTION_DENIED',
    });
    await engine.signal('d1', 'approved', 'ok', {
      actor: { id: 'rita', roles: ['releaser'], mfa: true, mfaAt: NOW - 1000 },
    });
    const denied = await dana.result;
    expect(denied.status).toBe('failed');
    expect(denied.nodes.publish?.error?.code).toBe('FL_PERMISSION_DENIED');
    expect(denied.nodes.publish?.error?.message).toContain('releaser');

    const rita = { id: 'rita', roles: ['developer', 'releaser'], mfa: true, mfaAt: NOW - 60_000 };
    const ok = engine.run(release, undefined, { actor: rita, executionId: 'r1' });
    await approving(ok);
    await engine.signal('r1', 'approved', 'ok', { actor: rita });
    expect((await ok.result).status).toBe('success');

    const decisions = engine.audit.records.filter((r) => r.action === 'permission.check');
    const summary = decisions.map((r) => `${r.actor} ${String(r.details?.requested)} ${r.resource} ${r.outcome}`);
    expect(summary).toEqual([
      'dana run release success',
      'dana execute release/build success',
      'dana execute release/approve success',
      'dana signal release denied',
      'rita signal release success',
      'dana execute release/publish denied',
      'rita run release success',
      'rita execute release/build success',
      'rita execute release/approve success',
      'rita signal release success',
      'rita execute release/publish success',
    ]);
    expect(decisions.find((r) => r.outcome === 'denied' && r.nodeId === 'publish')?.details).toMatchObject({
      reason: expect.stringContaining('releaser'),
    });
    await engine.close();
  });

  it('refuses runs and cancels the policy does not grant (FL_ACTION_DENIED), with MFA age enforced', async () => {
    let now = NOW;
    const engine = createEngine({ plugins: [permissionsPolicy({ policy: doc, now: () => now, audit: 'denied' })] });
    const stranger = await engine.run(release, undefined, { actor: { id: 'sam', roles: [] } }).result;
    expect(stranger.error?.code).toBe('FL_ACTION_DENIED');
    expect(stranger.nodes.build?.status).not.toBe('success');

    const run = engine.run(release, undefined, { actor: { id: 'dana', roles: ['developer'] }, executionId: 'c1' });
    await engine.ready();
    let thrown: unknown;
    try {
      engine.cancel('c1', 'stop', { actor: { id: 'omar', roles: ['oncall'] } });
    } catch (e) {
      thrown = e;
    }
    expect(isFlowlaneError(thrown) && thrown.code).toBe('FL_ACTION_DENIED');
    expect((thrown as Error).message).toContain('allowedUsers');
    // MFA passed 301 s ago is too old for the releaser grant
    now += 1000;
    const stale = { id: 'rita', roles: ['releaser'], mfa: true, mfaAt: now - 301_000 };
    await expect(engine.signal('c1', 'approved', 'x', { actor: stale })).rejects.toMatchObject({
      code: 'FL_ACTION_DENIED',
    });
    engine.cancel('c1', 'stop', { actor: { id: 'olga', roles: ['oncall'] } });
    expect((await run.result).status).toBe('cancelled');
    expect(engine.audit.records.every((r) => r.outcome === 'denied')).toBe(true);
    expect(engine.audit.records.length).toBe(3);
    await engine.close();
  });

  it('an mfaAt ahead of the clock (beyond 60 s of skew) does not pass an MFA age check', async () => {
    const policy = createPolicyEvaluator(doc, { now: () => NOW });
    const ask = (mfaAt: number) =>
      policy.decide({
        actor: { id: 'rita', roles: ['releaser'], mfa: true, mfaAt },
        action: 'execute',
        workflow: 'release',
        nodeId: 'publish',
        executionId: 'e1',
      });
    // A far-future time never aged: MFA "passed" in 2057 satisfied maxMfaAgeSeconds: 300 for ever.
    expect(ask(NOW + 1e12)).toMatchObject({ allowed: false, reason: expect.stringMatching(/mfaAt is in the future/) });
    expect(ask(NOW + 61_000).allowed).toBe(false);
    expect(ask(NOW + 30_000).allowed).toBe(true); // clock skew
    expect(ask(NOW - 299_000).allowed).toBe(true);
  });

  it('loads a policy file and reports invalid policies with the path of the problem', async () => {
    const dir = await tempDir();
    const file = join(dir, 'policy.json');
    await writeFile(file, JSON.stringify(doc));
    expect(permissionsPolicy({ policy: file }).name).toBe('@flowlane/permissions-policy');
    const problem = (policy: unknown): string => {
      try {
        permissionsPolicy({ policy: policy as PolicyDocument });
      } catch (e) {
        return PermissionsPolicyError.is(e, 'FL_PERMISSIONS_INVALID_POLICY')
          ? `${e.code} ${e.details.path}: ${e.message}`
          : String(e);
      }
      return 'accepted';
    };
    expect(problem({ roles: { ops: { action: ['run'] } } })).toMatch(/roles\.ops\.action.*did you mean "actions"/);
    expect(problem({ roles: { ops: { actions: ['deploy'] } } })).toMatch(/roles\.ops\.actions\[0\]/);
    expect(problem({ roles: {}, users: { a: { roles: ['ghost'] } } })).toMatch(/role "ghost" is not defined/);
    expect(problem({ roles: { ops: { maxMfaAgeSeconds: 60 } } })).toMatch(/only meaningful with requireMFA/);
    expect(problem({ denyByDefault: 'yes', roles: {} })).toMatch(/denyByDefault/);
    await writeFile(file, '{ not json');
    expect(problem(file)).toMatch(/FL_PERMISSIONS_INVALID_POLICY \(file\).*not valid JSON/);
    expect(() => permissionsPolicy({ policy: doc, audits: 'all' } as never)).toThrow(/did you mean "audit"/);
  });
});
