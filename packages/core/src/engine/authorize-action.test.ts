import { describe, expect, it } from 'vitest';
import { workflow } from '../builder/workflow-builder.js';
import { isFlowlaneError } from '../errors.js';
import type { ActionRequest, PermissionPolicy } from '../plugin/types.js';
import { useEngines } from './engines.test-helper.js';

const engine = useEngines();

/** A policy that lets only "ops" run/cancel/signal, and records what it was asked. */
const opsOnly = (asked: ActionRequest[]): PermissionPolicy => ({
  check: () => ({ allowed: true }),
  authorize(request) {
    asked.push(request);
    return request.actor?.id === 'ops'
      ? { allowed: true }
      : { allowed: false, reason: `"${request.actor?.id}" is not ops` };
  },
});

describe('PermissionPolicy.authorize (engine-level actions)', () => {
  it('fails a run the policy refuses before any node runs, with FL_ACTION_DENIED', async () => {
    const asked: ActionRequest[] = [];
    let ran = false;
    const wf = workflow('guarded')
      .addNode('a', () => {
        ran = true;
      })
      .build();
    const e = engine({ permissions: opsOnly(asked) });
    const denied = await e.run(wf, undefined, { actor: { id: 'mallory' } }).result;
    expect(denied.status).toBe('failed');
    expect(denied.error?.code).toBe('FL_ACTION_DENIED');
    expect(denied.error?.message).toContain('"mallory" is not ops');
    expect(ran).toBe(false);
    const allowed = await e.run(wf, undefined, { actor: { id: 'ops' }, executionId: 'x1' }).result;
    expect(allowed.status).toBe('success');
    expect(ran).toBe(true);
    expect(asked.map((r) => [r.action, r.actor?.id, r.workflow])).toEqual([
      ['run', 'mallory', 'guarded'],
      ['run', 'ops', 'guarded'],
    ]);
    expect(asked[1]?.executionId).toBe('x1');
  });

  it('checks engine.cancel and engine.signal with the actor passed to them', async () => {
    const asked: ActionRequest[] = [];
    const wf = workflow('waits')
      .addNode('w', (ctx) => ctx.waitForSignal<string>('go'))
      .build();
    const e = engine({ permissions: opsOnly(asked) });
    const run = e.run(wf, undefined, { actor: { id: 'ops' }, executionId: 'r1' });
    await e.ready();
    await expect(e.signal('r1', 'go', 'x', { actor: { id: 'eve' } })).rejects.toMatchObject({
      code: 'FL_ACTION_DENIED',
    });
    let thrown: unknown;
    try {
      e.cancel('r1', 'stop', { actor: { id: 'eve' } });
    } catch (err) {
      thrown = err;
    }
    expect(isFlowlaneError(thrown) && thrown.code).toBe('FL_ACTION_DENIED');
    await e.signal('r1', 'go', 'payload', { actor: { id: 'ops' } });
    const result = await run.result;
    expect(result.status).toBe('success');
    expect(result.outputs).toEqual({ w: 'payload' });
    expect(asked.map((r) => [r.action, r.actor?.id, r.signal])).toEqual([
      ['run', 'ops', undefined],
      ['signal', 'eve', 'go'],
      ['cancel', 'eve', undefined],
      ['signal', 'ops', 'go'],
    ]);
  });

  it('treats a throwing authorize as a denial and leaves policies without authorize alone', async () => {
    const wf = workflow('t')
      .addNode('a', () => 1)
      .build();
    const throwing: PermissionPolicy = {
      check: () => ({ allowed: true }),
      authorize: () => {
        throw new Error('policy file unreadable');
      },
    };
    const r = await engine({ permissions: throwing }).run(wf, undefined).result;
    expect(r.error?.code).toBe('FL_ACTION_DENIED');
    expect(r.error?.message).toContain('policy file unreadable');
    const plain = await engine({ permissions: { check: () => ({ allowed: true }) } }).run(wf, undefined).result;
    expect(plain.status).toBe('success');
  });
});
