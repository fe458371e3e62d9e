import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { firstValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { workflow } from '../builder/workflow-builder.js';
import { createMemoryAuditSink } from '../defaults/memory-audit-sink.js';
import type { SecretsProvider } from '../plugin/types.js';
import { REDACTED } from '../runtime/redactor.js';
import { createVirtualClock } from '../runtime/virtual-clock.js';
import { useEngines } from './engines.test-helper.js';

const engine = useEngines();

const secretsFrom = (values: Record<string, string>): SecretsProvider => ({ name: 'test', get: (n) => values[n] });

describe('signals', () => {
  it('delivers run.signal payloads to waitForSignal, buffering early signals', async () => {
    const wf = workflow('sig')
      .addNode('wait', (ctx) => ctx.waitForSignal<{ ok: boolean }>('continue', { timeout: 60_000 }))
      .addNode('early', async (ctx) => {
        await new Promise((r) => setImmediate(r));
        return ctx.waitForSignal('go');
      })
      .build();
    const e = engine();
    const run = e.run(wf, {}, { executionId: 'exec-1' });
    await run.signal('go', 'buffered');
    await e.signal('exec-1', 'continue', { ok: true });
    const r = await run.result;
    expect(r.outputs.wait).toEqual({ ok: true });
    expect(r.outputs.early).toBe('buffered');
    await expect(run.signal('late')).rejects.toMatchObject({ code: 'FL_EXECUTION_NOT_FOUND' });
  });

  it('times out on the engine clock with FL_SIGNAL_TIMEOUT', async () => {
    const clock = createVirtualClock();
    const wf = workflow('sig')
      .addNode('wait', (ctx) => ctx.waitForSignal('never', { timeout: 60_000 }))
      .build();
    const run = engine({ clock }).run(wf, {});
    await clock.advanceBy(60_000);
    const r = await run.result;
    expect(r.nodes.wait!.error).toMatchObject({ code: 'FL_SIGNAL_TIMEOUT' });
    expect(r.nodes.wait!.error?.message).toContain('run.signal("never", payload)');
  });
});

describe('waitForEvent', () => {
  it('resolves with the next custom event of that name from another workflow, or times out', async () => {
    const clock = createVirtualClock();
    const e = engine({ clock });
    const listener = workflow('listener')
      .addNode(
        'wait',
        async (ctx) => (await ctx.waitForEvent<{ id: string }>('data-processed', { timeout: 10_000 })).payload.id,
      )
      .addNode('late', (ctx) => ctx.waitForEvent('never', { timeout: 5_000 }), { onError: 'continue' })
      .build();
    const emitter = workflow('emitter')
      .addNode('emit', (ctx) => ctx.emitEvent('data-processed', { id: '123' }))
      .build();
    const listening = e.run(listener, {});
    await clock.advanceBy(1);
    await e.run(emitter, {}).result;
    await clock.advanceBy(5_000);
    const r = await listening.result;
    expect(r.outputs.wait).toBe('123');
    expect(r.nodes.late!.error).toMatchObject({ code: 'FL_EVENT_TIMEOUT' });
    expect(clock.pending()).toBe(0);
  });
});

describe('shared state', () => {
  it('ctx.storage is shared by the nodes of one execution and isolated between executions', async () => {
    const wf = workflow('state')
      .input<{ v: number }>()
      .addNode('write', async (ctx) => {
        await ctx.storage.set('counter', ctx.input.v);
      })
      .addNode('read', async (ctx) => ({ counter: await ctx.storage.get<number>('counter') }), { dependsOn: ['write'] })
      .chain('del', async (ctx) => {
        await ctx.storage.delete('counter');
        return ctx.storage.get('counter');
      })
      .build();
    const e = engine();
    const [a, b] = await Promise.all([e.run(wf, { v: 42 }).result, e.run(wf, { v: 7 }).result]);
    expect(a.outputs.read).toEqual({ counter: 42 });
    expect(b.outputs.read).toEqual({ counter: 7 });
    expect(a.outputs.del).toBeUndefined();
  });
});

describe('secrets and redaction', () => {
  it('reads FLOWLANE_SECRET_<NAME> by default and fails with FL_SECRET_NOT_FOUND', async () => {
    process.env.FLOWLANE_SECRET_DB_PASSWORD = 'hunter2-from-env';
    try {
      const wf = workflow('s')
        .addNode('get', (ctx) => ctx.getSecret('db-password'))
        .addNode('missing', (ctx) => ctx.getSecret('nope'), { onError: 'continue' })
        .build();
      const r = await engine().run(wf, {}).result;
      expect(r.outputs.get).toBe('hunter2-from-env');
      expect(r.nodes.missing!.error).toMatchObject({ code: 'FL_SECRET_NOT_FOUND' });
    } finally {
      delete process.env.FLOWLANE_SECRET_DB_PASSWORD;
    }
  });

  it('redacts resolved values from events, logs, errors, audit records and the run error', async () => {
    const secret = 'sk_live_ABC123xyz';
    const multiline = '-----BEGIN KEY-----\nMIIEvQIBADANBgkqhkiG9w0\nAQEFAASCBKcwggSjAgEAAo\n-----END KEY-----';
    const audit = createMemoryAuditSink();
    const wf = workflow('leaky')
      .addNode('use', async (ctx) => {
        const key = await ctx.getSecret('api-key');
        const pem = await ctx.getSecret('pem');
        ctx.log.info(`calling with ${key}`, { header: `Bearer ${key}` });
        for (const line of pem.split('\n')) ctx.log.debug(line);
        ctx.emitEvent('called', { token: key, nested: [{ k: key }] });
        await ctx.audit({ action: 'api.call', details: { key } });
        return key;
      })
      .chain('fail', async (ctx) => {
        throw new Error(`request with ${String(ctx.results.use)} failed`);
      })
      .build();
    const run = engine({ secrets: [secretsFrom({ 'api-key': secret, pem: multiline })], audit: [audit] }).run(wf, {});
    const r = await run.result;
    const events = await firstValueFrom(run.events$.pipe(toArray()));
    const emitted =
      JSON.stringify(events) +
      JSON.stringify(audit.records) +
      JSON.stringify(r.nodes) +
      r.error!.message +
      String(r.error!.stack) +
      JSON.stringify((r.error!.cause as Error).message) +
      String((r.error!.cause as Error).stack);
    expect(emitted).not.toContain(secret);
    for (const line of multiline.split('\n')) expect(emitted).not.toContain(line);
    expect(emitted).toContain(REDACTED);
    expect(r.outputs.use).toBe(secret); // the calling code gets real outputs
    expect(r.error!.message).toContain(`request with ${REDACTED} failed`);
  });

  it('property: no generated secret escapes through events, errors or audit', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ minLength: 6, maxLength: 40 }).filter((s) => s.trim().length >= 6 && !REDACTED.includes(s)),
        fc.string({ maxLength: 10 }),
        fc.string({ maxLength: 10 }),
        async (secret, prefix, suffix) => {
          const audit = createMemoryAuditSink();
          const e = engine({ secrets: [secretsFrom({ s: secret })], audit: [audit] });
          const wf = workflow('prop')
            .addNode('n', async (ctx) => {
              const v = await ctx.getSecret('s');
              const embedded = `${prefix}${v}${suffix}`;
              ctx.log.warn(embedded, { embedded });
              ctx.emitEvent('e', { embedded, list: [embedded] });
              await ctx.audit({ action: 'a', resource: embedded });
              throw new Error(embedded);
            })
            .build();
          const run = e.run(wf, {});
          const r = await run.result;
          const events = await firstValueFrom(run.events$.pipe(toArray()));
          const out = JSON.stringify([events, audit.records, r.nodes]) + r.error!.message;
          const json = JSON.stringify(secret).slice(1, -1);
          expect(out.includes(json)).toBe(false);
          await e.close();
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('permissions and audit', () => {
  it('enforces declared permissions before the node runs and audits denials', async () => {
    let ran = 0;
    const wf = workflow('secure')
      .addNode(
        'sensitive',
        () => {
          ran++;
          return 'done';
        },
        { permissions: { requiredRoles: ['admin', 'operator'], allowedUsers: ['alice', 'bob'], requireMFA: true } },
      )
      .build();
    const audit = createMemoryAuditSink();
    const e = engine({ audit: [audit] });
    const ok = await e.run(wf, {}, { actor: { id: 'alice', roles: ['operator'], mfa: true } }).result;
    expect(ok.status).toBe('success');
    const cases = [
      [undefined, 'has no actor'],
      [{ id: 'mallory', roles: ['admin'], mfa: true }, 'not in allowedUsers'],
      [{ id: 'bob', roles: ['viewer'], mfa: true }, 'none of the roles'],
      [{ id: 'bob', roles: ['admin'], mfa: false }, 'not passed MFA'],
    ] as const;
    for (const [actor, reason] of cases) {
      const r = await e.run(wf, {}, actor === undefined ? {} : { actor }).result;
      expect(r.status).toBe('failed');
      expect(r.nodes.sensitive!.error).toMatchObject({ code: 'FL_PERMISSION_DENIED' });
      expect(r.nodes.sensitive!.error?.message).toContain(reason);
    }
    expect(ran).toBe(1);
    expect(audit.records.filter((a) => a.outcome === 'denied')).toHaveLength(4);
    expect(audit.records[0]).toMatchObject({
      action: 'node.execute',
      outcome: 'denied',
      nodeId: 'sensitive',
      workflow: 'secure',
    });
  });

  it('ctx.audit stamps records with execution, node and actor', async () => {
    const audit = createMemoryAuditSink();
    const wf = workflow('aud')
      .addNode('action', async (ctx) => {
        await ctx.audit({ action: 'DATA_ACCESS', resource: 'user-data', details: { userId: '123' } });
      })
      .build();
    const run = engine({ audit: [audit] }).run(wf, {}, { actor: { id: 'carol' } });
    await run.result;
    expect(audit.records).toEqual([
      {
        timestamp: expect.any(Number),
        executionId: run.executionId,
        workflow: 'aud',
        nodeId: 'action',
        actor: 'carol',
        action: 'DATA_ACCESS',
        resource: 'user-data',
        details: { userId: '123' },
      },
    ]);
  });
});

describe('ctx.log, ctx.exec and rollback', () => {
  it('log lines become node.log events', async () => {
    const wf = workflow('log')
      .addNode('a', (ctx) => ctx.log.info('hello', { n: 1 }))
      .build();
    const run = engine().run(wf, {});
    await run.result;
    const logs = (await firstValueFrom(run.events$.pipe(toArray()))).filter((e) => e.type === 'node.log');
    expect(logs).toEqual([expect.objectContaining({ nodeId: 'a', level: 'info', message: 'hello', fields: { n: 1 } })]);
  });

  it('ctx.exec runs commands through the local executor; non-zero exits reject with FL_EXEC_FAILED', async () => {
    const wf = workflow('exec')
      .addNode('echo', (ctx) => ctx.exec('echo', { args: ['hello', '$HOME; rm -rf /'] }))
      .addNode('fail', (ctx) => ctx.exec('sh', { args: ['-c', 'echo oops >&2; exit 3'] }), { onError: 'continue' })
      .addNode('allowed', (ctx) => ctx.exec('sh', { args: ['-c', 'exit 4'], allowFailure: true }))
      .addNode('slow', (ctx) => ctx.exec('sleep', { args: ['5'], timeout: 50 }), { onError: 'continue' })
      .build();
    const r = await engine().run(wf, {}).result;
    expect((r.outputs.echo as { stdout: string }).stdout).toBe('hello $HOME; rm -rf /\n');
    expect(r.nodes.fail!.error).toMatchObject({ code: 'FL_EXEC_FAILED' });
    expect(r.nodes.fail!.error?.message).toContain('exit code 3: oops');
    expect((r.outputs.allowed as { exitCode: number }).exitCode).toBe(4);
    expect(r.nodes.slow!.error).toMatchObject({ code: 'FL_TIMEOUT', details: { nodeId: 'slow', ms: 50 } });
  });

  it('rolls back completed nodes in reverse topological order when the run fails (saga)', async () => {
    const order: string[] = [];
    const wf = workflow('saga')
      .addNode('reserve', () => 'r1', { rollback: (_ctx, out) => void order.push(`undo reserve ${String(out)}`) })
      .chain('charge', () => 'c1', { rollback: async () => void order.push('undo charge') })
      .chain(
        'ship',
        () => {
          throw new Error('no stock');
        },
        { rollback: () => void order.push('never: ship did not complete') },
      )
      .build();
    const run = engine().run(wf, {});
    const r = await run.result;
    expect(r.status).toBe('failed');
    expect(order).toEqual(['undo charge', 'undo reserve r1']);
    const rolled = (await firstValueFrom(run.events$.pipe(toArray()))).filter((e) => e.type === 'node.rolled-back');
    expect(rolled.map((e) => e.nodeId)).toEqual(['charge', 'reserve']);
  });

  it('late subscribers still see rollback events (events$ completes only after rollbacks)', async () => {
    const wf = workflow('rb')
      .addNode('deploy', () => 'v1', { rollback: () => undefined })
      .addNode(
        'verify',
        () => {
          throw new Error('x');
        },
        { dependsOn: ['deploy'] },
      )
      .build();
    const run = engine().run(wf, {});
    const types = await firstValueFrom(run.events$.pipe(toArray()));
    expect(types.map((e) => e.type).slice(-2)).toEqual(['node.rolled-back', 'workflow.failed']);
  });

  it('a node whose health check fails is rolled back', async () => {
    const undone: string[] = [];
    const wf = workflow('hc-rb')
      .addNode('deploy', () => 'v2', { healthCheck: { command: 'false' }, rollback: () => void undone.push('deploy') })
      .build();
    const r = await engine().run(wf, {}).result;
    expect(r.nodes.deploy!.error).toMatchObject({ code: 'FL_HEALTH_CHECK_FAILED' });
    expect(undone).toEqual(['deploy']);
  });

  it('a failing health check fails the node', async () => {
    // `deploy` waits for `healthy`: run side by side, a slow `true` (a loaded machine) was cancelled by deploy's failure.
    const wf = workflow('hc')
      .addNode('healthy', () => 'ok', { healthCheck: { command: 'true' } })
      .addNode('deploy', () => 'ok', {
        dependsOn: ['healthy'],
        healthCheck: { command: 'exit 1', retries: 2, interval: 1 },
      })
      .build();
    const r = await engine().run(wf, {}).result;
    expect(r.nodes.healthy!.status).toBe('success');
    expect(r.nodes.deploy!.error).toMatchObject({ code: 'FL_HEALTH_CHECK_FAILED' });
    expect(r.nodes.deploy!.error?.message).toContain('after 2 attempt(s)');
  });

  it('reports every health-check attempt as node.health-checked, with env and cwd given to the command', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'flowlane-hc-'));
    try {
      // Fails on the first attempt (creates the marker), passes on the second; only in `dir` and with READY=yes.
      const script =
        'test "$READY" = yes && test "$(pwd -P)" = "$DIR" || exit 3; test -f marker || { touch marker; exit 1; }';
      const real = await realpath(dir);
      const wf = workflow('hc-events')
        .addNode('deploy', () => 'ok', {
          healthCheck: { command: script, retries: 3, interval: 0, env: { READY: 'yes', DIR: real }, cwd: dir },
        })
        .build();
      const run = engine().run(wf, {});
      const events = firstValueFrom(run.events$.pipe(toArray()));
      expect((await run.result).status).toBe('success');
      const checks = (await events).filter((e) => e.type === 'node.health-checked');
      expect(checks).toEqual([
        expect.objectContaining({
          nodeId: 'deploy',
          attempt: 1,
          maxAttempts: 3,
          passed: false,
          error: expect.objectContaining({ code: 'FL_EXEC_FAILED' }),
        }),
        expect.objectContaining({
          nodeId: 'deploy',
          attempt: 2,
          maxAttempts: 3,
          passed: true,
          durationMs: expect.any(Number),
        }),
      ]);
      expect(checks[1]).not.toHaveProperty('error');
      const types = (await events).map((e) => e.type);
      expect(types.indexOf('node.health-checked')).toBeLessThan(types.indexOf('node.completed'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('stops a health check attempt at its timeout (FL_TIMEOUT), then fails the node', async () => {
    const wf = workflow('hc-timeout')
      .addNode('deploy', () => 'ok', { healthCheck: { command: 'sleep', args: ['30'], timeout: 150 } })
      .build();
    const run = engine().run(wf, {});
    const events = firstValueFrom(run.events$.pipe(toArray()));
    const r = await run.result;
    expect(r.nodes.deploy!.error).toMatchObject({ code: 'FL_HEALTH_CHECK_FAILED' });
    const check = (await events).find((e) => e.type === 'node.health-checked');
    expect(check).toMatchObject({ passed: false, error: { code: 'FL_TIMEOUT' } });
  });

  it('gives up a rollback command at its timeout: node.rolled-back carries FL_ROLLBACK_FAILED and the run settles', async () => {
    const wf = workflow('rb-timeout')
      .addNode('deploy', () => 'v1', { rollback: { command: 'sleep', args: ['30'], timeout: 150 } })
      .addNode(
        'verify',
        () => {
          throw new Error('bad release');
        },
        { dependsOn: ['deploy'] },
      )
      .build();
    const run = engine().run(wf, {});
    const events = firstValueFrom(run.events$.pipe(toArray()));
    expect((await run.result).status).toBe('failed');
    const rolled = (await events).find((e) => e.type === 'node.rolled-back');
    expect(rolled).toMatchObject({ nodeId: 'deploy', error: { code: 'FL_ROLLBACK_FAILED' } });
    expect((rolled as { error: { message: string } }).error.message).toMatch(/timed out|timeout/i);
  });

  it('gives up a function rollback after 300 s of engine time (virtual clock)', async () => {
    const clock = createVirtualClock();
    const wf = workflow('rb-fn-timeout')
      .addNode('deploy', () => 'v1', { rollback: () => new Promise<void>(() => undefined) })
      .addNode(
        'verify',
        () => {
          throw new Error('bad release');
        },
        { dependsOn: ['deploy'] },
      )
      .build();
    const run = engine({ clock }).run(wf, {});
    const events = firstValueFrom(run.events$.pipe(toArray()));
    await clock.advanceBy(299_999);
    let settled = false;
    void run.result.then(() => (settled = true));
    await Promise.resolve();
    expect(settled).toBe(false);
    await clock.advanceBy(1);
    expect((await run.result).status).toBe('failed');
    const rolled = (await events).find((e) => e.type === 'node.rolled-back');
    expect(rolled).toMatchObject({ nodeId: 'deploy', durationMs: 300_000, error: { code: 'FL_ROLLBACK_FAILED' } });
    expect(clock.pending()).toBe(0);
  });

  it('rejects bad health check and rollback command options at build()', () => {
    /** The option each problem names (`Node "n": invalid <option>: <reason>.`). */
    const problems = (opts: Record<string, unknown>) => {
      try {
        workflow('bad')
          .addNode('n', () => 1, opts as never)
          .build();
        return [];
      } catch (e) {
        expect(e).toMatchObject({ code: 'FL_INVALID_WORKFLOW' });
        return (e as { details: { problems: { code: string; message: string }[] } }).details.problems.map(
          (p) => `${p.code} ${/invalid ([a-zA-Z.]+):/.exec(p.message)?.[1]}`,
        );
      }
    };
    expect(problems({ healthCheck: { command: 'true', timeout: 0, env: { A: 1 }, cwd: '' } })).toEqual([
      'FL_INVALID_OPTION healthCheck.timeout',
      'FL_INVALID_OPTION healthCheck.env',
      'FL_INVALID_OPTION healthCheck.cwd',
    ]);
    expect(problems({ rollback: { command: 'x', args: 'nope', timeout: -1 } })).toEqual([
      'FL_INVALID_OPTION rollback.args',
      'FL_INVALID_OPTION rollback.timeout',
    ]);
    expect(problems({ rollback: { command: '' } })).toEqual(['FL_INVALID_OPTION rollback']);
  });
});
