import { startHttpReceiver } from '@flowlane/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type MonitoringDemo, startMonitoringDemo } from './index.js';

describe('monitoring example', () => {
  let demo: MonitoringDemo;
  let receiver: Awaited<ReturnType<typeof startHttpReceiver>>;
  beforeAll(async () => {
    receiver = await startHttpReceiver();
    // deploy-us always falls back and verify always fails: the critical nodeFailed alert fires and stays firing.
    demo = await startMonitoringDemo({
      verifyFailRate: 1,
      port: 0,
      token: 'example-token-123',
      webhookUrl: `${receiver.url}/alerts`,
      intervalMs: 5,
      failRate: 1,
    });
  });
  afterAll(async () => {
    await demo?.stop();
    await receiver?.dispose();
  });

  it('serves the dashboard at the printed URL and streams runs to an authenticated client', async () => {
    expect(demo.dashboardUrl).toBe(`${demo.monitor.url}/#token=example-token-123`);
    const page = await fetch(demo.dashboardUrl);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Flowlane monitor');

    const ws = new WebSocket(`${demo.monitor.url.replace('http', 'ws')}/ws?token=example-token-123`);
    const types = new Set<string>();
    const seenStart = new Set<string>();
    // Done at the end of a run this client saw from its start (it may subscribe in the middle of one).
    const done = new Promise<void>((resolve) =>
      ws.on('message', (data) => {
        const m = JSON.parse(String(data)) as { type: string; event?: { type: string; executionId: string } };
        if (m.type !== 'event' || m.event === undefined) return;
        if (m.event.type === 'workflow.started') seenStart.add(m.event.executionId);
        if (seenStart.size > 0) types.add(m.event.type);
        if (m.event.type === 'workflow.failed' && seenStart.has(m.event.executionId)) resolve();
      }),
    );
    await new Promise((resolve) => ws.once('open', resolve));
    ws.send(JSON.stringify({ type: 'subscribe', workflow: 'deploy' }));
    await done;
    ws.close();
    expect([...types]).toEqual(
      expect.arrayContaining([
        'workflow.started',
        'node.started',
        'node.completed',
        'node.fell-back',
        'node.failed',
        'workflow.failed',
      ]),
    );
  });

  it('sends the alerts of seed 003 to the webhook and shows them as active', async () => {
    const requests = await receiver.waitFor(
      (r) =>
        r.some((x) => x.text.includes('"nodeFailed:deploy:verify"')) &&
        r.some((x) => x.text.includes('"errorRate:deploy"')),
      20_000,
    );
    const alerts = requests.map(
      (r) => JSON.parse(r.text) as { alert: { id: string; status: string; severity: string } },
    );
    expect(alerts.find((a) => a.alert.id === 'nodeFailed:deploy:verify')?.alert).toMatchObject({
      status: 'firing',
      severity: 'critical',
    });
    expect(alerts.find((a) => a.alert.id === 'errorRate:deploy')?.alert).toMatchObject({
      status: 'firing',
      severity: 'error',
    });
    expect(demo.monitor.stats().events).toBeGreaterThan(0);
    let active: string[] = [];
    demo.alerts.alerts$
      .subscribe((a) => {
        active = a.map((x) => x.id);
      })
      .unsubscribe();
    expect(active).toEqual(expect.arrayContaining(['nodeFailed:deploy:verify', 'errorRate:deploy']));
  });
});
