import { createEngine, createMemoryExecutionStore, type Logger, workflow } from '@flowlane/core';
import { afterEach, describe, expect, it } from 'vitest';
import { monitor } from './monitor-plugin.js';
import type { ServerMessage } from './protocol.js';
import { connectClient, type TestClient } from './ws-client.test-helper.js';

// Two engines sharing one execution store: one executes, the other only hosts the monitor (read-only view). The
// cross-process version (Redis, `flowlane monitor --store`, a run in another process) is in @flowlane/cli's tests.
const TOKEN = 'test-token-0123456789';
const logger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function client(url: string): Promise<TestClient> {
  const c = await connectClient(`${url.replace('http', 'ws')}/ws`, { headers: { authorization: `Bearer ${TOKEN}` } });
  cleanup.push(() => c.ws.terminate());
  await c.waitFor((m) => m.type === 'hello');
  return c;
}

function gated() {
  let open!: () => void;
  const gate = new Promise<void>((r) => {
    open = r;
  });
  const wf = workflow('shipped')
    .addNode('first', () => 1)
    .chain('gate', () => gate.then(() => 2))
    .chain('last', () => 3)
    .build();
  return { wf, open };
}

describe('monitor({ followStore }): runs executed by other engines sharing the store', () => {
  it('streams another engine’s run live, and gives late subscribers its history from the log', async () => {
    const executions = createMemoryExecutionStore();
    const worker = createEngine({ executions, logger });
    cleanup.push(() => worker.close());
    const mon = monitor({ port: 0, token: TOKEN, followStore: { intervalMs: 20 } });
    const viewer = createEngine({ executions, plugins: [mon], logger });
    cleanup.push(() => viewer.close());
    await viewer.ready();

    const all = await client(mon.url);
    all.send({ type: 'subscribe', all: true });
    await all.waitFor((m) => m.type === 'runs'); // subscribed: every event from now on reaches it
    const { wf, open } = gated();
    const run = worker.run(wf, undefined, { executionId: 'ship-1' });
    await all.waitFor((m) => m.type === 'event' && m.event.type === 'node.started' && m.event.nodeId === 'gate');

    const late = await client(mon.url);
    late.send({ type: 'subscribe', executionId: 'ship-1' });
    const history = (await late.waitFor((m) => m.type === 'history')) as Extract<ServerMessage, { type: 'history' }>;
    expect(history.events.map((e) => e.type)).toEqual([
      'workflow.started',
      'node.started',
      'node.completed',
      'node.started',
    ]);
    expect(history.description?.nodes.map((n) => n.id)).toEqual(['first', 'gate', 'last']);
    expect(history.description?.edges).toEqual([
      { from: 'first', to: 'gate', kind: 'dependency' },
      { from: 'gate', to: 'last', kind: 'dependency' },
    ]);

    open();
    await run.result;
    await late.waitFor((m) => m.type === 'event' && m.event.type === 'workflow.completed');
    const types = late.events().map((e) => `${e.type}${'nodeId' in e ? `:${e.nodeId}` : ''}`);
    // History then live: every event once, in order.
    expect(types).toEqual([
      'workflow.started',
      'node.started:first',
      'node.completed:first',
      'node.started:gate',
      'node.completed:gate',
      'node.started:last',
      'node.completed:last',
      'workflow.completed',
    ]);
    expect(all.events().filter((e) => e.executionId === 'ship-1')).toHaveLength(8);
  });

  it('a run the monitor never saw (finished before it started) comes from the log; bad options are refused', async () => {
    const executions = createMemoryExecutionStore();
    const worker = createEngine({ executions, logger });
    cleanup.push(() => worker.close());
    await worker.run(
      workflow('old')
        .addNode('a', () => 1)
        .build(),
      undefined,
      { executionId: 'old-1' },
    ).result;
    const mon = monitor({ port: 0, token: TOKEN, followStore: true, maxRuns: 1 });
    const viewer = createEngine({ executions, plugins: [mon], logger });
    cleanup.push(() => viewer.close());
    await viewer.ready();
    const c = await client(mon.url);
    c.send({ type: 'subscribe', executionId: 'old-1' });
    const h = (await c.waitFor((m) => m.type === 'history')) as Extract<ServerMessage, { type: 'history' }>;
    expect(h.events.map((e) => e.type)).toEqual([
      'workflow.started',
      'node.started',
      'node.completed',
      'workflow.completed',
    ]);
    expect(() => monitor({ port: 0, token: TOKEN, followStore: { interval: 5 } as never })).toThrow(
      /followStore\.interval.*intervalMs/,
    );
    expect(() => monitor({ port: 0, token: TOKEN, followStore: 'yes' as never })).toThrow(/followStore/);
  });
});
