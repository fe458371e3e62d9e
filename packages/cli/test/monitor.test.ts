// `flowlane monitor --store`: a standalone monitor process showing a run that executes in another process, to real
// WebSocket clients, all on a real Redis.
import { existsSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RedisService, startRedis } from '@flowlane/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { BIN, flowlane, killLeftovers, start, waitFor } from './run-cli.test-helper.js';

const TOKEN = 'monitor-token-0123456789';
let redis: RedisService;
let tmp: string;
beforeAll(async () => {
  redis = await startRedis();
  tmp = await mkdtemp(join(tmpdir(), 'flowlane-cli-monitor-'));
});
afterAll(async () => {
  await redis?.stop();
  await rm(tmp, { recursive: true, force: true });
});
afterEach(killLeftovers);

interface Message {
  type: string;
  event?: { type: string; executionId: string; nodeId?: string };
  events?: { type: string; nodeId?: string }[];
  description?: { nodes: { id: string }[] };
}

async function connect(url: string) {
  const ws = new WebSocket(url, { headers: { authorization: `Bearer ${TOKEN}` } });
  const messages: Message[] = [];
  ws.on('message', (d) => messages.push(JSON.parse(d.toString()) as Message));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return {
    ws,
    messages,
    send: (m: unknown) => ws.send(JSON.stringify(m)),
    until: (pred: (m: Message) => boolean, what: string) => waitFor(() => messages.some(pred), what),
  };
}

describe('flowlane monitor --store', () => {
  it('streams a run executing in another process and gives a late subscriber its history from the log', async () => {
    const mon = start(process.execPath, [BIN, 'monitor', '--store', redis.url, '--port', '0', '--interval', '50'], {
      FLOWLANE_MONITOR_TOKEN: TOKEN,
    });
    mon.child.stdin!.end();
    await waitFor(() => /monitor listening on http:\/\/127\.0\.0\.1:\d+/.test(mon.output().stdout), 'the monitor');
    const base = /monitor listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(mon.output().stdout)![1]!;
    expect(mon.output().stdout).not.toContain(TOKEN);
    const page = await fetch(`${base}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/<html/i);

    const all = await connect(`${base.replace('http', 'ws')}/ws`);
    all.send({ type: 'subscribe', all: true });
    await all.until((m) => m.type === 'runs', 'the run list');

    const gate = join(tmp, 'gate');
    const pidFile = join(tmp, 'hold.pid');
    const runner = start(process.execPath, [
      BIN,
      'run',
      'test/fixtures/durable.ts',
      '--store',
      redis.url,
      '--id',
      'mon-1',
      '--input',
      JSON.stringify({ gate, pidFile }),
    ]);
    runner.child.stdin!.end();
    await all.until((m) => m.event?.type === 'node.started' && m.event.nodeId === 'hold', 'hold started (live)');
    expect(existsSync(gate)).toBe(false);

    const late = await connect(`${base.replace('http', 'ws')}/ws`);
    late.send({ type: 'subscribe', executionId: 'mon-1' });
    await late.until((m) => m.type === 'history', 'history');
    const history = late.messages.find((m) => m.type === 'history')!;
    expect(history.events!.map((e) => `${e.type}:${e.nodeId ?? ''}`)).toEqual([
      'workflow.started:',
      'node.started:prepare',
      'node.completed:prepare',
      'node.started:hold',
    ]);
    expect(history.description!.nodes.map((n) => n.id)).toEqual(['prepare', 'hold', 'finish']);

    writeFileSync(gate, '');
    expect((await runner.done).code).toBe(0);
    await late.until((m) => m.event?.type === 'workflow.completed', 'completed (late subscriber)');
    await all.until((m) => m.event?.type === 'workflow.completed', 'completed (all)');
    const liveTypes = all.messages.flatMap((m) => (m.event?.executionId === 'mon-1' ? [m.event.type] : []));
    expect(liveTypes.filter((t) => t === 'node.completed')).toHaveLength(3);
    expect(new Set(liveTypes).size).toBeGreaterThan(3);

    all.ws.close();
    late.ws.close();
    mon.child.kill('SIGTERM');
    const out = await mon.done;
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/monitor stopped/);
  });

  it('refuses to start without a token (exit 2)', async () => {
    const noToken = await flowlane(['monitor', '--store', redis.url, '--port', '0'], { FLOWLANE_MONITOR_TOKEN: '' });
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toMatch(/FLOWLANE_MONITOR_TOKEN/);
  });
});
