import { firstValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { workflow } from '../builder/workflow-builder.js';
import { createMemoryAuditSink } from '../defaults/memory-audit-sink.js';
import type { Actor } from '../plugin/types.js';
import { useEngines } from './engines.test-helper.js';

const engine = useEngines();

const definitionCodes = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (e) {
    return ((e as { problems?: { code: string; message: string }[] }).problems ?? []).map(
      (p) => `${p.code}:${p.message}`,
    );
  }
  return [];
};

describe('the actor is a frozen copy', () => {
  it('an earlier node cannot grant itself roles or MFA for a later protected node', async () => {
    let ran = false;
    const wf = workflow('escalate')
      .addNode('grab', (ctx) => {
        const a = ctx.actor as { roles: string[]; mfa: boolean; id: string };
        const attempts: string[] = [];
        for (const fn of [
          () => a.roles.push('admin'),
          () => {
            a.mfa = true;
          },
          () => {
            a.id = 'root';
          },
        ])
          try {
            fn();
          } catch (e) {
            attempts.push((e as Error).name);
          }
        return attempts;
      })
      .addNode(
        'protected',
        () => {
          ran = true;
        },
        { dependsOn: ['grab'], permissions: { requiredRoles: ['admin'], requireMFA: true } },
      )
      .build();
    const caller: Actor = { id: 'eve', roles: ['viewer'], mfa: false };
    const r = await engine().run(wf, {}, { actor: caller }).result;
    expect(r.outputs.grab).toEqual(['TypeError', 'TypeError', 'TypeError']);
    expect(ran).toBe(false);
    expect(r.nodes.protected!.error).toMatchObject({ code: 'FL_PERMISSION_DENIED' });
    expect(caller).toEqual({ id: 'eve', roles: ['viewer'], mfa: false }); // the caller's object is not frozen or changed
    expect(Object.isFrozen(caller)).toBe(false);
  });

  it('the caller changing its actor object after run() does not change the run', async () => {
    const actor = { id: 'eve', roles: ['viewer'] as string[], mfa: true };
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const wf = workflow('later')
      .addNode('wait', () => gate)
      .chain('p', () => 'ran', { permissions: { requiredRoles: ['admin'] } })
      .build();
    const run = engine().run(wf, {}, { actor });
    actor.roles.push('admin');
    release();
    const r = await run.result;
    expect(r.nodes.p!.error).toMatchObject({ code: 'FL_PERMISSION_DENIED' });
  });
});

describe('exact matching and validated shapes', () => {
  it('build() rejects string roles/users and a non-boolean requireMFA', () => {
    const problems = definitionCodes(() =>
      workflow('p')
        .addNode('a', () => 1, { permissions: { requiredRoles: 'admin' as never } })
        .addNode('b', () => 1, { permissions: { allowedUsers: 'alice' as never } })
        .addNode('c', () => 1, { permissions: { requireMFA: 'yes' as never } })
        .addNode('d', () => 1, { permissions: { requiredRoles: ['admin', ''] } })
        .build(),
    );
    expect(problems).toHaveLength(4);
    expect(problems.every((p) => p.startsWith('FL_INVALID_OPTION:'))).toBe(true);
    expect(problems[0]).toContain('permissions.requiredRoles');
    expect(problems[0]).toContain('wrap it in [ ]');
    expect(problems[1]).toContain('permissions.allowedUsers');
    expect(problems[2]).toContain('permissions.requireMFA');
  });

  it('run() rejects an actor of the wrong shape with FL_INVALID_ACTOR and takes no slot', async () => {
    const e = engine({ maxConcurrentRuns: 1 });
    const wf = workflow('w')
      .addNode('a', () => 1)
      .build();
    const bad: unknown[] = [
      { id: 'x', roles: 'not-an-admin' },
      { id: '', roles: [] },
      { roles: ['admin'] },
      { id: 'x', mfa: 'yes' },
      { id: 'x', roles: [1] },
      'alice',
      { id: 'x', hook: () => 1 },
      { id: 'x', mfa: true, mfaAt: 'yesterday' },
    ];
    for (const actor of bad)
      expect(() => e.run(wf, {}, { actor: actor as Actor })).toThrow(
        expect.objectContaining({ code: 'FL_INVALID_ACTOR' }),
      );
    expect((await e.run(wf, {}, { actor: { id: 'ok' } }).result).status).toBe('success');
  });

  it('the actor checked is the actor kept: a getter cannot hand the run a shape it never validated', async () => {
    let reads = 0;
    // Valid for the reads of a check, then a string: the copy used to be made after the check, by reading again.
    const actor = {
      id: 'mallory',
      get roles(): unknown {
        reads++;
        return reads <= 3 ? ['viewer'] : 'not-an-admin';
      },
    };
    const wf = workflow('getter')
      .addNode('who', (ctx) => ctx.actor?.roles)
      .build();
    const run = (() => {
      try {
        return engine().run(wf, {}, { actor: actor as unknown as Actor });
      } catch (e) {
        return e;
      }
    })();
    // Either refused, or run with exactly the roles that were validated.
    if (run instanceof Error) expect(run).toMatchObject({ code: 'FL_INVALID_ACTOR' });
    else
      expect((await (run as { result: Promise<{ outputs: { who: unknown } }> }).result).outputs.who).toEqual([
        'viewer',
      ]);
  });

  it('roles and users match exactly (no substrings), and only a boolean true MFA passes', async () => {
    const e = engine();
    const wf = workflow('exact')
      .addNode('admin', () => 1, { permissions: { requiredRoles: ['admin'] } })
      .build();
    const users = workflow('users')
      .addNode('n', () => 1, { permissions: { allowedUsers: ['alice'] } })
      .build();
    expect((await e.run(wf, {}, { actor: { id: 'x', roles: ['not-an-admin', 'admins'] } }).result).status).toBe(
      'failed',
    );
    expect((await e.run(wf, {}, { actor: { id: 'x', roles: ['admin'] } }).result).status).toBe('success');
    expect((await e.run(users, {}, { actor: { id: 'a' } }).result).status).toBe('failed');
    expect((await e.run(users, {}, { actor: { id: 'alice' } }).result).status).toBe('success');
  });

  it('the default policy fails closed on declarations that skipped build() validation', async () => {
    const { createDefaultPermissionPolicy } = await import('../defaults/default-permission-policy.js');
    const policy = createDefaultPermissionPolicy();
    const check = (permissions: unknown, actor: Actor) =>
      policy.check({
        actor,
        workflow: 'w',
        executionId: 'x',
        node: { id: 'n', options: { permissions } } as never,
      }).allowed;
    expect(check({ requiredRoles: 'admin' }, { id: 'a', roles: ['not-an-admin'] })).toBe(false);
    expect(check({ allowedUsers: 'alice' }, { id: 'a' })).toBe(false);
    expect(check({ requireMFA: 'yes' }, { id: 'a', mfa: false })).toBe(false);
    expect(check({ requiredRoles: ['admin'] }, { id: 'a', roles: 'admin' as never })).toBe(false);
    expect(check({ requiredRoles: ['admin'], requireMFA: true }, { id: 'a', roles: ['admin'], mfa: true })).toBe(true);
  });
});

describe('permissions are checked before anything of the node runs', () => {
  it("a protected node's condition does not run for an unauthorised actor", async () => {
    const calls: string[] = [];
    const audit = createMemoryAuditSink();
    const wf = workflow('cond')
      .addNode('p', () => 'x', {
        permissions: { requiredRoles: ['admin'] },
        condition: (ctx) => {
          calls.push(`condition for ${ctx.actor?.id}`);
          return true;
        },
      })
      .build();
    const e = engine({ audit: [audit] });
    const run = e.run(wf, {}, { actor: { id: 'eve', roles: ['viewer'] } });
    const r = await run.result;
    expect(calls).toEqual([]);
    expect(r.nodes.p!.error).toMatchObject({ code: 'FL_PERMISSION_DENIED' });
    expect(audit.records.filter((a) => a.outcome === 'denied')).toHaveLength(1);
    // Record and events agree on the attempt count.
    const events = await firstValueFrom(run.events$.pipe(toArray()));
    const started = events.filter((x) => x.type === 'node.started') as { attempt: number }[];
    const failed = events.filter((x) => x.type === 'node.failed') as { attempt: number }[];
    expect(started.map((x) => x.attempt)).toEqual([r.nodes.p!.attempts]);
    expect(failed.map((x) => x.attempt)).toEqual([r.nodes.p!.attempts]);
    // An authorised actor gets the condition as before.
    expect((await e.run(wf, {}, { actor: { id: 'root', roles: ['admin'] } }).result).status).toBe('success');
    expect(calls).toEqual(['condition for root']);
  });

  it('a protected fallback is still checked when it stands in', async () => {
    const wf = workflow('fb')
      .addNode(
        'main',
        () => {
          throw new Error('down');
        },
        { fallback: 'backup' },
      )
      .addNode('backup', () => 'backup ran', { permissions: { requiredRoles: ['admin'] } })
      .build();
    const r = await engine().run(wf, {}, { actor: { id: 'eve', roles: [] } }).result;
    expect(r.status).toBe('failed');
    expect(r.nodes.backup!.error).toMatchObject({ code: 'FL_PERMISSION_DENIED' });
  });
});
