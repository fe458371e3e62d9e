import {
  createEngine,
  createVirtualClock,
  type Engine,
  type Logger,
  type VirtualClock,
  workflow,
} from '@flowlane/core';
import { map, timer } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { alerting } from './alerting-plugin.js';
import { emailChannel } from './channels/email-channel.js';
import { AlertingError } from './errors.js';
import { rule } from './rules/custom-rule.js';
import { duration } from './rules/duration.js';
import { errorRate } from './rules/error-rate.js';
import { noProgress } from './rules/no-progress.js';
import { nodeFailed } from './rules/node-failed.js';
import type { ActiveAlert, AlertChannel, AlertNotification } from './types.js';

const logs: string[] = [];
const logger: Logger = {
  debug() {},
  info() {},
  warn: (m) => void logs.push(`warn ${m}`),
  error: (m) => void logs.push(`error ${m}`),
};

/** An in-process channel that keeps what it receives (the real network channels are tested in channels.test.ts). */
function inbox(name: string): AlertChannel & { got: AlertNotification[]; lines(): string[] } {
  const got: AlertNotification[] = [];
  return {
    kind: 'memory',
    target: name,
    got,
    send: async (n) => void got.push(n),
    lines: () => got.map((n) => `${n.status} ${n.id}${n.escalationStep > 0 ? ` step${n.escalationStep}` : ''}`),
  };
}

let engine: Engine | undefined;
afterEach(async () => {
  await engine?.close();
  engine = undefined;
  logs.length = 0;
});

function setup(plugin: ReturnType<typeof alerting>): VirtualClock {
  const clock = createVirtualClock();
  engine = createEngine({ clock, plugins: [plugin], logger });
  return clock;
}

const payments = workflow('pay')
  .input<{ fail: boolean }>()
  .addNode('charge', (ctx) => {
    if (ctx.input.fail) throw new Error('card declined');
    return 'ok';
  })
  .build();

describe('rules on virtual time', () => {
  it('errorRate fires above the threshold once minRuns settled, and resolves as failures leave the window', async () => {
    const ops = inbox('ops');
    const plugin = alerting({ rules: [errorRate({ above: 0.5, window: 60_000, minRuns: 4 })], channels: { ops } });
    const clock = setup(plugin);
    const run = (fail: boolean) => engine!.run(payments, { fail }).result;
    await run(false);
    await run(true);
    await run(true);
    await clock.advanceBy(1); // flush
    expect(ops.got).toHaveLength(0); // 2 of 3 failed, but only 3 runs
    await clock.advanceBy(10_000);
    await run(true); // 3 of 4 = 75 %
    await clock.advanceBy(0);
    expect(ops.lines()).toEqual(['firing errorRate:pay']);
    expect(ops.got[0]?.message).toBe('Error rate of "pay" is 75% (3 of 4 runs failed in the last 1 min), above 50%');
    expect(ops.got[0]?.severity).toBe('error');
    let active: readonly ActiveAlert[] = [];
    const sub = plugin.alerts$.subscribe((a) => {
      active = a;
    });
    expect(active.map((a) => a.id)).toEqual(['errorRate:pay']);
    // The first three runs leave the window at t=60 s; only the t=10 s failure is left (1 run < minRuns).
    await clock.advanceBy(50_000);
    expect(ops.lines()).toEqual(['firing errorRate:pay', 'resolved errorRate:pay']);
    expect(active).toEqual([]);
    sub.unsubscribe();
  });

  it('duration fires while a run is still running past the limit and resolves when it ends', async () => {
    const ops = inbox('ops');
    const plugin = alerting({ rules: [duration({ above: 300_000 })], channels: { ops } });
    const clock = setup(plugin);
    const slow = workflow('deploy')
      .addNode('wait', () => timer(420_000, clock).pipe(map(() => 'done')))
      .build();
    const quick = workflow('deploy-quick')
      .addNode('x', () => 1)
      .build();
    await engine!.run(quick, undefined).result;
    const run = engine!.run(slow, undefined, { executionId: 'd-1' });
    await clock.advanceBy(299_999);
    expect(ops.got).toHaveLength(0);
    await clock.advanceBy(1);
    expect(ops.lines()).toEqual(['firing duration:d-1']);
    expect(ops.got[0]).toMatchObject({ executionId: 'd-1', workflow: 'deploy', since: 300_000, severity: 'warning' });
    await clock.advanceBy(120_000);
    expect((await run.result).status).toBe('success');
    expect(ops.lines()).toEqual(['firing duration:d-1', 'resolved duration:d-1']);
    expect(ops.got[1]?.message).toBe('Run d-1 of "deploy" ended (completed) after 7 min');
  });

  it('noProgress fires when a run is silent for the period and resolves at its next event', async () => {
    const ops = inbox('ops');
    const plugin = alerting({ rules: [noProgress({ for: 600_000 })], channels: { ops } });
    const clock = setup(plugin);
    const stuck = workflow('etl')
      .addNode('extract', () => timer(900_000, clock).pipe(map(() => 1)))
      .chain('load', () => 2)
      .build();
    const run = engine!.run(stuck, undefined, { executionId: 'etl-1' });
    await clock.advanceBy(600_000);
    expect(ops.lines()).toEqual(['firing noProgress:etl-1']);
    expect(ops.got[0]?.message).toBe(
      'Run etl-1 of "etl" made no progress for 10 min (last event: node.started of extract)',
    );
    await clock.advanceBy(300_000);
    expect((await run.result).status).toBe('success');
    expect(ops.lines()).toEqual(['firing noProgress:etl-1', 'resolved noProgress:etl-1']);
  });

  it('noProgress counts the events of a subworkflow as progress of its parent run', async () => {
    const ops = inbox('ops');
    const plugin = alerting({ rules: [noProgress({ for: 600_000 })], channels: { ops } });
    const clock = setup(plugin);
    const step = () => timer(300_000, clock).pipe(map(() => 1));
    const child = workflow('child').addNode('a', step).chain('b', step).chain('c', step).chain('d', step).build();
    const parent = workflow('parent')
      .subworkflow('sub', child, () => undefined)
      .build();
    const run = engine!.run(parent, undefined, { executionId: 'p-1' });
    await clock.advanceBy(1_200_000); // a child node settles every 5 min
    expect((await run.result).status).toBe('success');
    expect(ops.lines()).toEqual([]);
    // A child that stalls does stall its parent.
    const stalled = workflow('parent2')
      .subworkflow(
        'sub',
        workflow('slow')
          .addNode('x', () => timer(900_000, clock).pipe(map(() => 1)))
          .build(),
        () => undefined,
      )
      .build();
    const run2 = engine!.run(stalled, undefined, { executionId: 'p-2' });
    await clock.advanceBy(600_000);
    expect(ops.lines()).toEqual(['firing noProgress:p-2']);
    await clock.advanceBy(300_000);
    expect((await run2.result).status).toBe('success');
    expect(ops.lines()).toEqual(['firing noProgress:p-2', 'resolved noProgress:p-2']);
  });

  it('nodeFailed dedupes repeated failures of a node and resolves when it completes again', async () => {
    const ops = inbox('ops');
    const plugin = alerting({ rules: [nodeFailed({ nodeId: 'charge' })], channels: { ops } });
    const clock = setup(plugin);
    await engine!.run(payments, { fail: true }).result;
    await engine!.run(payments, { fail: true }).result;
    await clock.advanceBy(0);
    expect(ops.lines()).toEqual(['firing nodeFailed:pay:charge']);
    expect(plugin.stats()).toMatchObject({ fired: 1, deduped: 1 });
    expect(ops.got[0]?.message).toMatch(
      /^Node "charge" of "pay" failed after 1 attempt\(s\) in run .+: card declined$/,
    );
    await engine!.run(payments, { fail: false }).result;
    await clock.advanceBy(0);
    expect(ops.lines()).toEqual(['firing nodeFailed:pay:charge', 'resolved nodeFailed:pay:charge']);
  });

  it('escalates to the next channels only while the alert keeps firing, and resolves to everyone notified', async () => {
    const chat = inbox('chat');
    const pager = inbox('pager');
    const gate = { fail: true };
    const plugin = alerting({
      rules: [
        rule({
          name: 'stuckQueue',
          when: (e) => e.type === 'custom' && e.name === 'queue' && gate.fail && 'Queue is stuck',
          resolveWhen: (e) => e.type === 'custom' && e.name === 'queue' && !gate.fail,
          key: () => 'main',
          severity: 'critical',
        }),
      ],
      channels: { chat, pager },
      escalation: [
        { after: 0, channels: ['chat'] },
        { after: 900_000, channels: ['pager'] },
      ],
    });
    const clock = setup(plugin);
    const probe = workflow('probe')
      .addNode('q', (ctx) => void ctx.emitEvent('queue', {}))
      .build();
    await engine!.run(probe, undefined).result;
    await clock.advanceBy(899_999);
    expect([chat.lines(), pager.lines()]).toEqual([['firing stuckQueue:main'], []]);
    await clock.advanceBy(1);
    expect(pager.lines()).toEqual(['firing stuckQueue:main step1']);
    expect(plugin.stats().escalated).toBe(1);
    gate.fail = false;
    await engine!.run(probe, undefined).result;
    await clock.advanceBy(0);
    expect(chat.lines()).toEqual(['firing stuckQueue:main', 'resolved stuckQueue:main']);
    expect(pager.lines()).toEqual(['firing stuckQueue:main step1', 'resolved stuckQueue:main']);

    // Fired and resolved within 15 min: the pager is never called.
    gate.fail = true;
    await engine!.run(probe, undefined).result;
    await clock.advanceBy(60_000);
    gate.fail = false;
    await engine!.run(probe, undefined).result;
    await clock.advanceBy(3_600_000);
    expect(pager.got).toHaveLength(2);
    expect(chat.got).toHaveLength(4);
  });

  it('cooldown: an alert that flaps back within the cooldown is shown but not notified again', async () => {
    const ops = inbox('ops');
    const plugin = alerting({ rules: [nodeFailed()], channels: { ops }, cooldown: 600_000 });
    const clock = setup(plugin);
    let active: readonly ActiveAlert[] = [];
    plugin.alerts$.subscribe((a) => {
      active = a;
    });
    await engine!.run(payments, { fail: true }).result;
    await clock.advanceBy(1000);
    await engine!.run(payments, { fail: false }).result;
    await clock.advanceBy(1000);
    await engine!.run(payments, { fail: true }).result; // flaps back 2 s after the first alert
    await clock.advanceBy(0);
    expect(ops.lines()).toEqual(['firing nodeFailed:pay:charge', 'resolved nodeFailed:pay:charge']);
    expect(plugin.stats().suppressed).toBe(1);
    expect(active.map((a) => a.id)).toEqual(['nodeFailed:pay:charge']);
    await engine!.run(payments, { fail: false }).result;
    await clock.advanceBy(700_000);
    await engine!.run(payments, { fail: true }).result; // after the cooldown: notified again
    await clock.advanceBy(0);
    expect(ops.lines()).toEqual([
      'firing nodeFailed:pay:charge',
      'resolved nodeFailed:pay:charge',
      'firing nodeFailed:pay:charge',
    ]);
  });

  it('cooldown does not swallow the escalation of an alert that flapped back and keeps firing', async () => {
    const chat = inbox('chat');
    const pager = inbox('pager');
    const plugin = alerting({
      rules: [nodeFailed()],
      channels: { chat, pager },
      escalation: [
        { after: 0, channels: ['chat'] },
        { after: 900_000, channels: ['pager'] },
      ],
      cooldown: 600_000,
    });
    const clock = setup(plugin);
    await engine!.run(payments, { fail: true }).result;
    await clock.advanceBy(1000);
    await engine!.run(payments, { fail: false }).result;
    await clock.advanceBy(1000);
    await engine!.run(payments, { fail: true }).result; // flaps back within the cooldown, then keeps failing
    await clock.advanceBy(0);
    expect(chat.lines()).toEqual(['firing nodeFailed:pay:charge', 'resolved nodeFailed:pay:charge']);
    expect(plugin.stats().suppressed).toBe(1);
    await clock.advanceBy(900_000); // still firing 15 min later: the pager step is past the cooldown
    expect(pager.lines()).toEqual(['firing nodeFailed:pay:charge step1']);
    await engine!.run(payments, { fail: false }).result;
    await clock.advanceBy(0);
    expect(pager.lines()).toEqual(['firing nodeFailed:pay:charge step1', 'resolved nodeFailed:pay:charge']);
    expect(chat.got).toHaveLength(2); // the suppressed step 0 is not told of the resolve either
  });

  it('a channel that keeps failing is retried with backoff on the clock, then given up, and never blocks runs', async () => {
    const ops = inbox('ops');
    let calls = 0;
    const broken: AlertChannel = {
      kind: 'broken',
      target: 'https://pager.example/…',
      send: async () => {
        calls++;
        throw new Error('HTTP 503');
      },
    };
    const plugin = alerting({
      rules: [nodeFailed()],
      channels: { ops, broken },
      delivery: { maxAttempts: 4, initialDelay: 1000 },
    });
    const clock = setup(plugin);
    const results = await Promise.all(Array.from({ length: 20 }, () => engine!.run(payments, { fail: true }).result));
    expect(results.map((r) => r.status)).toEqual(Array(20).fill('failed'));
    await clock.advanceBy(0);
    expect(calls).toBe(1);
    expect(ops.lines()).toEqual(['firing nodeFailed:pay:charge']); // the other 19 failures were deduped
    await clock.advanceBy(1000);
    expect(calls).toBe(2);
    await clock.advanceBy(2000);
    expect(calls).toBe(3);
    await clock.advanceBy(4000);
    expect(calls).toBe(4);
    await clock.advanceBy(60_000);
    expect(calls).toBe(4);
    expect(plugin.stats()).toMatchObject({ retried: 3, failed: 1, delivered: 1, deduped: 19 });
    expect(logs.filter((l) => l.startsWith('error'))).toEqual([
      'error Alert channel "broken" (https://pager.example/…) failed: HTTP 503 (gave up after 4 attempts).',
    ]);
  });

  it('a rule whose predicate throws skips that event and keeps evaluating; the other rules are not affected', async () => {
    const ops = inbox('ops');
    const plugin = alerting({
      rules: [
        nodeFailed(),
        rule({
          name: 'lowStock',
          // Throws on a payload it did not expect (null).
          when: (e) => e.type === 'custom' && (e.payload as { level: number }).level < 10 && 'Stock is low',
          key: () => 'stock',
        }),
      ],
      channels: { ops },
    });
    const clock = setup(plugin);
    const stock = workflow('stock')
      .input<unknown>()
      .addNode('s', (ctx) => void ctx.emitEvent('stock', ctx.input))
      .build();
    await engine!.run(stock, null).result;
    await clock.advanceBy(0);
    expect(logs).toEqual([
      'error alerting: rule "lowStock" threw on an event (skipped; further errors of this rule are not logged)',
    ]);
    await engine!.run(stock, null).result;
    await engine!.run(stock, { level: 3 }).result;
    await engine!.run(payments, { fail: true }).result;
    await clock.advanceBy(0);
    expect(ops.lines()).toEqual(['firing lowStock:stock', 'firing nodeFailed:pay:charge']);
    expect(logs).toHaveLength(1);
  });

  it('a failing channel that fills maxPending never makes a healthy channel drop later alerts', async () => {
    const ops = inbox('ops');
    const broken: AlertChannel = {
      kind: 'broken',
      target: 'broken',
      send: async () => {
        throw new Error('HTTP 500');
      },
    };
    const plugin = alerting({
      rules: [
        rule({
          name: 'flag',
          when: (e) => e.type === 'custom' && e.name === 'flag' && 'flagged',
          key: (e) => e.executionId,
        }),
      ],
      channels: { broken, ops }, // the broken one first: its retries take the slots before ops asks
      delivery: { maxAttempts: 5, initialDelay: 60_000, maxPending: 2 },
    });
    const clock = setup(plugin);
    const flag = workflow('flag')
      .addNode('f', (ctx) => void ctx.emitEvent('flag', {}))
      .build();
    for (let i = 0; i < 4; i++) {
      await engine!.run(flag, undefined).result;
      await clock.advanceBy(0);
      await plugin.idle();
    }
    // Four distinct alerts: the broken channel's retries hold its 2 slots, ops gets every alert.
    expect(ops.got).toHaveLength(4);
    expect(plugin.stats()).toMatchObject({ delivered: 4, dropped: 2, pending: 2 });
  });

  it('times out a channel that ignores its abort signal, retries it, and still lets the engine close', async () => {
    let calls = 0;
    const deaf: AlertChannel = {
      kind: 'deaf',
      target: 'deaf',
      send: () => {
        calls++;
        return new Promise<void>(() => undefined); // never settles, never looks at the signal
      },
    };
    const plugin = alerting({
      rules: [nodeFailed()],
      channels: { deaf },
      delivery: { maxAttempts: 2, initialDelay: 0, timeout: 20 },
    });
    const clock = setup(plugin);
    await engine!.run(payments, { fail: true }).result;
    await clock.advanceBy(0);
    expect(calls).toBe(1);
    await plugin.idle(); // the attempt's timeout is real time (20 ms)
    await clock.advanceBy(0);
    expect(calls).toBe(2);
    await plugin.idle();
    expect(plugin.stats()).toMatchObject({ retried: 1, failed: 1, pending: 0 });
    expect(logs.filter((l) => l.startsWith('error'))).toEqual([
      'error Alert channel "deaf" (deaf) failed: timed out after 20 ms (gave up after 2 attempts).',
    ]);
    // A third attempt left hanging at close: close() aborts it and settles.
    await engine!.run(
      workflow('other')
        .addNode('x', () => {
          throw new Error('no');
        })
        .build(),
      undefined,
    ).result;
    await clock.advanceBy(0);
    expect(calls).toBe(3);
    const closed = await Promise.race([
      engine!.close().then(() => 'closed'),
      new Promise<string>((r) => setTimeout(() => r('close() still pending after 5 s'), 5000).unref()),
    ]);
    expect(closed).toBe('closed');
    engine = undefined;
  });
});

describe('options', () => {
  /** What calling `f` throws, as `code: message` (or 'no error'). */
  const msg = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      return AlertingError.is(e) ? `${e.code}: ${e.message}` : String(e);
    }
    return 'no error';
  };

  it('rejects bad rules, channels and escalations with typed errors', () => {
    const ops = inbox('ops');
    expect(msg(() => errorRate({ above: 1.5, window: 1 }))).toMatch(/"above": expected a fraction/);
    expect(msg(() => errorRate({ above: 0.1, windw: 5 } as never))).toMatch(
      /"windw": unknown option; did you mean "window"\?/,
    );
    expect(msg(() => duration({ above: -1 }))).toMatch(/duration\(\) option "above"/);
    expect(msg(() => noProgress({ for: 0 }))).toMatch(/noProgress\(\) option "for"/);
    expect(msg(() => noProgress({ fr: 5 } as never))).toMatch(
      /noProgress\(\) option "fr": unknown option; did you mean "for"\?/,
    );
    expect(msg(() => duration([{ above: 1 }] as never))).toMatch(/duration\(\) option "options": expected an object/);
    expect(msg(() => nodeFailed({ severity: 'fatal' as never }))).toMatch(
      /expected one of critical, error, warning, info/,
    );
    expect(msg(() => alerting({ rules: [], channels: { ops } }))).toMatch(/"rules": expected a non-empty array/);
    expect(msg(() => alerting({ rules: [nodeFailed()], channels: {} }))).toMatch(/"channels"/);
    expect(
      msg(() =>
        alerting({ rules: [nodeFailed()], channels: { ops }, escalation: [{ after: 0, channels: ['pager'] }] }),
      ),
    ).toMatch(/^FL_ALERT_UNKNOWN_CHANNEL: Escalation names channel "pager", which is not in `channels` \(ops\)/);
    expect(msg(() => alerting({ rules: [nodeFailed(), nodeFailed()], channels: { ops } }))).toMatch(
      /two rules are named "nodeFailed"/,
    );
    expect(msg(() => rule({ name: 'a:b', when: () => false }))).toMatch(/"name"/);
  });

  it('rejects delays longer than a timer can wait (a duration({ above: 3e9 }) alert fired after 1 ms)', () => {
    const ops = inbox('ops');
    const tooLong = /expected at most 2147483647 ms \(2\^31−1, the longest timer\), got 3000000000/;
    expect(msg(() => duration({ above: 3e9 }))).toMatch(tooLong);
    expect(msg(() => noProgress({ for: 3e9 }))).toMatch(tooLong);
    expect(msg(() => errorRate({ above: 0.1, window: 3e9 }))).toMatch(tooLong);
    expect(msg(() => alerting({ rules: [nodeFailed()], channels: { ops }, delivery: { timeout: 3e9 } }))).toMatch(
      /delivery\.timeout.*at most 2147483647/,
    );
    expect(msg(() => alerting({ rules: [nodeFailed()], channels: { ops }, delivery: { maxDelay: 3e9 } }))).toMatch(
      /delivery\.maxDelay/,
    );
    expect(
      msg(() =>
        alerting({ rules: [nodeFailed()], channels: { ops }, escalation: [{ after: 3e9, channels: ['ops'] }] }),
      ),
    ).toMatch(/"after": expected at most 2147483647/);
    expect(msg(() => duration({ above: 2_147_483_647 }))).toBe('no error');
    expect(msg(() => duration({ above: Number.NaN }))).toMatch(/got NaN/);
    expect(
      msg(() =>
        emailChannel({ smtp: { host: 'smtp.example.com', port: 99_999 }, from: 'a@example.com', to: 'b@example.com' }),
      ),
    ).toMatch(/"smtp\.port": expected at most 65535/);
  });
});
