import { createServer, type Socket } from 'node:net';
import { createEngine, type Engine, type Logger, workflow } from '@flowlane/core';
import { type HttpReceiver, type SmtpService, startHttpReceiver, startSmtpServer } from '@flowlane/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { alerting } from './alerting-plugin.js';
import { emailChannel } from './channels/email-channel.js';
import { pagerDutyChannel } from './channels/pagerduty-channel.js';
import { slackChannel, slackMessage } from './channels/slack-channel.js';
import { webhookChannel } from './channels/webhook-channel.js';
import { nodeFailed } from './rules/node-failed.js';
import type { AlertChannel, AlertNotification } from './types.js';

const logs: string[] = [];
const logger: Logger = {
  debug() {},
  info() {},
  warn: (m, f) => void logs.push(`warn ${m} ${JSON.stringify(f ?? {})}`),
  error: (m, f) => void logs.push(`error ${m} ${JSON.stringify(f ?? {})}`),
};
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
  logs.length = 0;
});

const flaky = workflow('billing')
  .input<{ fail: boolean }>()
  .addNode('charge', (ctx) => {
    if (ctx.input.fail) throw new Error('card declined');
    return 'ok';
  })
  .build();

/** An engine (real clock) whose nodeFailed alerts go to `channels`; fails then heals the `charge` node. */
async function fireAndResolve(channels: Record<string, AlertChannel>, delivery = { initialDelay: 20, maxAttempts: 4 }) {
  const plugin = alerting({ rules: [nodeFailed({ severity: 'critical' })], channels, delivery });
  const engine: Engine = createEngine({ plugins: [plugin], logger });
  cleanup.push(() => engine.close());
  await engine.run(flaky, { fail: true }, { executionId: 'bill-1' }).result;
  await engine.run(flaky, { fail: false }, { executionId: 'bill-2' }).result;
  return { plugin, engine };
}

async function receiver(status?: (n: number) => number): Promise<HttpReceiver> {
  const r = await startHttpReceiver(status === undefined ? {} : { status });
  cleanup.push(() => r.dispose());
  return r;
}

describe('channels against real receivers on 127.0.0.1', () => {
  it('webhookChannel posts the versioned JSON body with custom headers', async () => {
    const hook = await receiver();
    await fireAndResolve({
      hook: webhookChannel({ url: `${hook.url}/hooks/flowlane`, headers: { authorization: 'Bearer hook-secret' } }),
    });
    const [fired, resolved] = await hook.waitFor((r) => r.length === 2);
    expect(fired?.method).toBe('POST');
    expect(fired?.url).toBe('/hooks/flowlane');
    expect(fired?.headers['content-type']).toBe('application/json');
    expect(fired?.headers.authorization).toBe('Bearer hook-secret');
    const body = JSON.parse(fired!.text) as { version: number; source: string; alert: AlertNotification };
    expect(body).toMatchObject({
      version: 1,
      source: 'flowlane',
      alert: {
        status: 'firing',
        id: 'nodeFailed:billing:charge',
        rule: 'nodeFailed',
        severity: 'critical',
        workflow: 'billing',
        executionId: 'bill-1',
        nodeId: 'charge',
      },
    });
    expect(body.alert.message).toContain('card declined');
    expect(JSON.parse(resolved!.text).alert).toMatchObject({
      status: 'resolved',
      id: 'nodeFailed:billing:charge',
      executionId: 'bill-2',
    });
  });

  it('slackChannel posts an incoming-webhook payload (text + blocks)', async () => {
    const slack = await receiver();
    await fireAndResolve({
      slack: slackChannel({ webhookUrl: `${slack.url}/services/T000/B000/XXXX`, username: 'flowlane' }),
    });
    const [fired, resolved] = await slack.waitFor((r) => r.length === 2);
    expect(fired?.url).toBe('/services/T000/B000/XXXX');
    const msg = JSON.parse(fired!.text) as {
      text: string;
      username: string;
      blocks: { type: string; text?: { text: string }; fields?: { text: string }[] }[];
    };
    expect(msg.text).toMatch(/^:rotating_light: \[critical\] Node "charge" of "billing" failed/);
    expect(msg.username).toBe('flowlane');
    expect(msg.blocks.map((b) => b.type)).toEqual(['section', 'section', 'context']);
    expect(msg.blocks[1]?.fields?.map((f) => f.text)).toContain('*Workflow*\nbilling');
    expect(JSON.parse(resolved!.text).text).toMatch(/^:white_check_mark: Resolved: /);
  });

  it("slackMessage escapes Slack's control characters in text from the run: no <!channel> mention, no hidden link", () => {
    const n: AlertNotification = {
      status: 'firing',
      id: 'nodeFailed:w<1>:a',
      rule: 'nodeFailed',
      severity: 'error',
      message: 'Node "a" failed: <!channel> see <https://evil.example|the fix> & retry',
      since: 0,
      at: 0,
      escalationStep: 0,
      workflow: 'w<1>',
      nodeId: 'a',
    };
    const msg = slackMessage(n);
    const all = JSON.stringify(msg);
    expect(all).not.toMatch(/<!channel>|<https:/);
    expect(msg.text).toContain('&lt;!channel&gt; see &lt;https://evil.example|the fix&gt; &amp; retry');
    expect(all).toContain('*Workflow*\\nw&lt;1&gt;');
  });

  it('pagerDutyChannel sends Events API v2 trigger and resolve with one dedup_key', async () => {
    const pd = await receiver(() => 202);
    await fireAndResolve({ pd: pagerDutyChannel({ routingKey: 'R0UTING-KEY-123', url: `${pd.url}/v2/enqueue` }) });
    const [trigger, resolve] = await pd.waitFor((r) => r.length === 2);
    expect(trigger?.url).toBe('/v2/enqueue');
    const t = JSON.parse(trigger!.text) as Record<string, unknown> & { payload: Record<string, unknown> };
    expect(t).toMatchObject({
      routing_key: 'R0UTING-KEY-123',
      event_action: 'trigger',
      dedup_key: 'nodeFailed:billing:charge',
    });
    expect(t.payload).toMatchObject({
      source: 'flowlane',
      severity: 'critical',
      component: 'billing',
      group: 'nodeFailed',
      class: 'charge',
    });
    expect(String(t.payload.summary)).toContain('card declined');
    expect(new Date(String(t.payload.timestamp)).toISOString()).toBe(t.payload.timestamp);
    expect(JSON.parse(resolve!.text)).toEqual({
      routing_key: 'R0UTING-KEY-123',
      event_action: 'resolve',
      dedup_key: 'nodeFailed:billing:charge',
    });
  });

  it('emailChannel sends through a real SMTP server with authentication', async () => {
    const smtp: SmtpService = await startSmtpServer({ auth: { user: 'alerts', pass: 'smtp-pass-123' } });
    cleanup.push(() => smtp.dispose());
    await fireAndResolve({
      mail: emailChannel({
        smtp: { host: smtp.host, port: smtp.port, auth: { user: 'alerts', pass: 'smtp-pass-123' } },
        from: 'flowlane@example.test',
        to: ['oncall@example.test', 'lead@example.test'],
      }),
    });
    const [fired, resolved] = await smtp.waitForMessages(2);
    expect(fired?.from).toBe('flowlane@example.test');
    expect(fired?.to).toEqual(['oncall@example.test', 'lead@example.test']);
    expect(fired?.user).toBe('alerts');
    // Long headers are folded (RFC 5322) and non-ASCII-safe ones Q-encoded (RFC 2047): decode to compare.
    const unfold = (raw = '') =>
      raw
        .replace(/\r\n[ \t]+/g, ' ')
        .replace(/\?= =\?UTF-8\?Q\?/g, '')
        .replace(/=\?UTF-8\?Q\?(.*?)\?=/g, (_, q: string) =>
          q
            .replace(/_/g, ' ')
            .replace(/=([0-9A-F]{2})/g, (__, h: string) => String.fromCharCode(Number.parseInt(h, 16))),
        );
    expect(unfold(fired?.raw)).toMatch(/Subject: \[flowlane\] CRITICAL: Node "charge" of "billing" failed/);
    expect(fired?.raw).toContain('Rule:      nodeFailed');
    expect(unfold(resolved?.raw)).toMatch(/Subject: \[flowlane\] RESOLVED: /);
  });

  it('retries a failing receiver with backoff until it accepts', async () => {
    const hook = await receiver((n) => (n < 2 ? 503 : 200));
    const { plugin } = await fireAndResolve({ hook: webhookChannel({ url: `${hook.url}/h` }) });
    await hook.waitFor((r) => r.filter((x) => x.status === 200).length === 2);
    expect(hook.requests.map((r) => r.status).slice(0, 3)).toEqual([503, 503, 200]);
    await plugin.idle();
    expect(plugin.stats()).toMatchObject({ retried: 2, delivered: 2, failed: 0 });
  });

  it('emailChannel closes its connection when a send times out and when the engine closes (a server that never greets)', async () => {
    // Accepts connections and never sends the SMTP greeting: nodemailer alone would hold each socket for its timeouts.
    const sockets = new Set<Socket>();
    const silent = createServer((s) => {
      s.resume();
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    cleanup.push(async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => silent.close(r));
    });
    const { port } = silent.address() as { port: number };
    const plugin = alerting({
      rules: [nodeFailed({ severity: 'critical' })],
      channels: {
        mail: emailChannel({ smtp: { host: '127.0.0.1', port }, from: 'a@example.test', to: 'b@example.test' }),
      },
      delivery: { timeout: 300, initialDelay: 5, maxAttempts: 2 },
    });
    const engine = createEngine({ plugins: [plugin], logger });
    cleanup.push(() => engine.close());
    await engine.run(flaky, { fail: true }).result;
    await expect.poll(() => plugin.stats().failed, { timeout: 5_000 }).toBe(1);
    // Both attempts timed out: neither connection is left open.
    await expect.poll(() => sockets.size).toBe(0);
    expect(logs.join('\n')).toContain('timed out after 300 ms');
    // A send in flight when the engine closes is cut too (no timeout would end this one for a minute).
    const patient = alerting({
      rules: [nodeFailed({ severity: 'critical' })],
      channels: {
        mail: emailChannel({ smtp: { host: '127.0.0.1', port }, from: 'a@example.test', to: 'b@example.test' }),
      },
      delivery: { timeout: 60_000 },
    });
    const second = createEngine({ plugins: [patient], logger });
    cleanup.push(() => second.close());
    await second.run(flaky, { fail: true }).result;
    await expect.poll(() => sockets.size).toBe(1);
    await second.close();
    await expect.poll(() => sockets.size).toBe(0);
  });

  it('never puts secrets of a channel in logs or errors, and a dead channel does not hold up runs', async () => {
    const down = await receiver(() => 500);
    const secretPath = '/services/T000/B000/SECRET-WEBHOOK-TOKEN';
    const { plugin, engine } = await fireAndResolve(
      {
        slack: slackChannel({ webhookUrl: `${down.url}${secretPath}` }),
        pd: pagerDutyChannel({ routingKey: 'PD-SECRET-ROUTING', url: `http://127.0.0.1:1/v2/enqueue` }),
        mail: emailChannel({
          smtp: { host: '127.0.0.1', port: 1, auth: { user: 'u', pass: 'SMTP-SECRET-PASS' } },
          from: 'a@example.test',
          to: 'b@example.test',
        }),
      },
      { initialDelay: 5, maxAttempts: 2 },
    );
    // Runs go on while every channel fails.
    const results = await Promise.all(Array.from({ length: 10 }, () => engine.run(flaky, { fail: false }).result));
    expect(results.every((r) => r.status === 'success')).toBe(true);
    const deadline = Date.now() + 15_000;
    while (plugin.stats().failed < 6 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(plugin.stats()).toMatchObject({ failed: 6, delivered: 0 });
    const text = logs.join('\n');
    expect(text).toContain('Alert channel "slack" (http://127.0.0.1:');
    expect(text).toContain('HTTP 500');
    expect(text).toContain('ECONNREFUSED');
    for (const secret of ['SECRET-WEBHOOK-TOKEN', 'PD-SECRET-ROUTING', 'SMTP-SECRET-PASS'])
      expect(text).not.toContain(secret);
  });
});
