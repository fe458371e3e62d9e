import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createEngine,
  createLocalExecutor,
  definePlugin,
  type Engine,
  type FlowEvent,
  type Logger,
  type RunGraph,
  Workflow,
  workflow,
} from '@flowlane/core';
import { lastValueFrom, toArray } from 'rxjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { MonitorError } from './errors.js';
import { monitor } from './monitor-plugin.js';
import { CloseCodes, PROTOCOL_VERSION, type ServerMessage } from './protocol.js';
import { connectClient, refusedStatus, type TestClient } from './ws-client.test-helper.js';

const TOKEN = 'test-token-0123456789';
const warnings: string[] = [];
/** Called with each warning as it is logged (synchronously, inside the monitor). */
let onWarning: ((message: string) => void) | undefined;
const logger: Logger = {
  debug() {},
  info() {},
  warn: (m) => {
    warnings.push(m);
    onWarning?.(m);
  },
  error: (m) => void warnings.push(m),
};
const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function started(options: Partial<Parameters<typeof monitor>[0]> = {}) {
  const mon = monitor({ port: 0, token: TOKEN, ...options });
  const engine = createEngine({ plugins: [mon], logger });
  cleanup.push(() => engine.close());
  await engine.ready();
  const wsUrl = `${mon.url.replace('http', 'ws')}/ws`;
  return { mon, engine, wsUrl };
}

async function client(url: string, extra: { headers?: Record<string, string> } = {}): Promise<TestClient> {
  const c = await connectClient(url, { headers: { authorization: `Bearer ${TOKEN}`, ...extra.headers } });
  cleanup.push(() => c.ws.terminate());
  await c.waitFor((m) => m.type === 'hello');
  return c;
}

/** A workflow whose node `gate` waits until `open()` is called. */
function gated(name: string) {
  let open!: () => void;
  const gate = new Promise<void>((r) => {
    open = r;
  });
  const wf = workflow(name)
    .addNode('first', () => 1)
    .chain('gate', () => gate.then(() => 2))
    .chain('last', () => 3)
    .build();
  return { wf, open };
}

const isType =
  <T extends ServerMessage['type']>(type: T) =>
  (m: ServerMessage): m is Extract<ServerMessage, { type: T }> =>
    m.type === type;
const settledEvent = (id: string) => (m: ServerMessage) =>
  m.type === 'event' && m.event.executionId === id && m.event.type === 'workflow.completed';

describe('monitor: authentication before the upgrade', () => {
  it('refuses missing or wrong credentials with 401 and foreign origins with 403, without opening a socket', async () => {
    const { mon, wsUrl } = await started();
    expect(await refusedStatus(wsUrl)).toBe(401);
    expect(await refusedStatus(wsUrl, { headers: { authorization: 'Bearer wrong-token-value' } })).toBe(401);
    expect(await refusedStatus(`${wsUrl}?token=${TOKEN}x`)).toBe(401);
    expect(
      await refusedStatus(wsUrl, { headers: { authorization: `Bearer ${TOKEN}`, origin: 'https://evil.example' } }),
    ).toBe(403);
    expect(mon.stats()).toMatchObject({ clients: 0, refused: 4 });

    const viaHeader = await client(wsUrl);
    const hello = viaHeader.messages[0];
    expect(hello).toEqual({
      type: 'hello',
      protocol: 'flowlane-monitor',
      version: PROTOCOL_VERSION,
      heartbeatMs: 30_000,
    });
    const viaQuery = await connectClient(`${wsUrl}?token=${TOKEN}`, { headers: { origin: new URL(mon.url).origin } });
    cleanup.push(() => viaQuery.ws.terminate());
    await viaQuery.waitFor((m) => m.type === 'hello');
    expect(mon.stats().clients).toBe(2);
  });

  it('lets an authenticate(req) hook decide, and allowedOrigins admit other origins', async () => {
    const { wsUrl } = await started({
      token: undefined,
      authenticate: (req) => req.headers.cookie === 'session=ok',
      allowedOrigins: ['https://ops.example'],
    });
    expect(await refusedStatus(wsUrl, { headers: { cookie: 'session=no' } })).toBe(401);
    const c = await connectClient(wsUrl, { headers: { cookie: 'session=ok', origin: 'https://ops.example' } });
    cleanup.push(() => c.ws.terminate());
    await c.waitFor((m) => m.type === 'hello');
  });
});

describe('monitor: subscriptions and history', () => {
  it('sends each client only the runs it subscribed to (by executionId, by workflow, or all)', async () => {
    const { engine, wsUrl } = await started();
    const byId = await client(wsUrl);
    const byWorkflow = await client(wsUrl);
    const all = await client(wsUrl);
    byId.send({ type: 'subscribe', executionId: 'a-1' });
    byWorkflow.send({ type: 'subscribe', workflow: 'beta' });
    all.send({ type: 'subscribe', all: true });
    const early = await byId.waitFor(isType('history'));
    expect(early).toMatchObject({ executionId: 'a-1', events: [], truncated: false });
    expect(early.run).toBeUndefined();
    await byWorkflow.waitFor(isType('runs'));
    await all.waitFor(isType('runs'));

    const a = gated('alpha');
    const b = gated('beta');
    const runA1 = engine.run(a.wf, undefined, { executionId: 'a-1' });
    const runA2 = engine.run(a.wf, undefined, { executionId: 'a-2' });
    const runB = engine.run(b.wf, undefined, { executionId: 'b-1' });
    a.open();
    b.open();
    await Promise.all([runA1.result, runA2.result, runB.result]);
    await Promise.all([
      byId.waitFor(settledEvent('a-1')),
      byWorkflow.waitFor(settledEvent('b-1')),
      all.waitFor(settledEvent('a-1')),
      all.waitFor(settledEvent('a-2')),
      all.waitFor(settledEvent('b-1')),
    ]);
    const ids = (c: TestClient) => new Set(c.events().map((e) => e.executionId));
    expect(ids(byId)).toEqual(new Set(['a-1']));
    expect(ids(byWorkflow)).toEqual(new Set(['b-1']));
    expect(ids(all)).toEqual(new Set(['a-1', 'a-2', 'b-1']));
    const started1 = byId.messages.find((m) => m.type === 'event' && m.event.type === 'workflow.started');
    expect(started1).toMatchObject({
      description: {
        name: 'alpha',
        edges: [
          { from: 'first', to: 'gate' },
          { from: 'gate', to: 'last' },
        ],
      },
    });
    expect(byId.events().map((e) => `${e.type}${'nodeId' in e ? `:${e.nodeId}` : ''}`)).toEqual([
      'workflow.started',
      'node.started:first',
      'node.completed:first',
      'node.started:gate',
      'node.completed:gate',
      'node.started:last',
      'node.completed:last',
      'workflow.completed',
    ]);
    const report = [...all.messages].reverse().find(isType('report'));
    expect(report?.report.runs).toEqual({ running: 0, success: 3, failed: 0, cancelled: 0 });
    expect(report?.report.nodes).toEqual({ success: 9 });
  });

  it('gives a late subscriber the run history first, then live events, with no gap and no duplicate', async () => {
    const { engine, wsUrl } = await started();
    const g = gated('late');
    const run = engine.run(g.wf, undefined, { executionId: 'late-1' });
    const early = await client(wsUrl);
    early.send({ type: 'subscribe', executionId: 'late-1' });
    // The gate node is running: its start is already in the history the first subscriber gets.
    const first = await early.waitFor(isType('history'));
    expect(first.events.at(-1)).toMatchObject({ type: 'node.started', nodeId: 'gate' });

    const late = await client(wsUrl);
    late.send({ type: 'subscribe', executionId: 'late-1' });
    const h = await late.waitFor(isType('history'), 3000);
    expect(h.run).toMatchObject({ executionId: 'late-1', workflow: 'late', status: 'running', nodeCount: 3 });
    expect(h.description?.nodes.map((n) => n.id)).toEqual(['first', 'gate', 'last']);
    expect(h.events.map((e) => e.type)).toEqual(['workflow.started', 'node.started', 'node.completed', 'node.started']);
    g.open();
    await run.result;
    await Promise.all([early.waitFor(settledEvent('late-1')), late.waitFor(settledEvent('late-1'))]);
    const key = (e: FlowEvent) => JSON.stringify(e);
    expect(late.events().map(key)).toEqual(early.events().map(key));

    const afterwards = await client(wsUrl);
    afterwards.send({ type: 'subscribe', executionId: 'late-1' });
    const done = await afterwards.waitFor(isType('history'));
    expect(done.run).toMatchObject({ status: 'success', settledNodes: 3, failedNodes: 0 });
    expect(done.events.map(key)).toEqual(early.events().map(key));

    // unsubscribe: a second run under the same workflow reaches the all-subscriber but not this one
    afterwards.send({ type: 'unsubscribe', executionId: 'late-1' });
    afterwards.send({ type: 'subscribe', workflow: 'other' });
    await afterwards.waitFor(isType('runs'));
    const count = afterwards.events().length;
    const again = gated('late');
    again.open();
    await engine.run(again.wf, undefined, { executionId: 'late-2' }).result;
    const watcher = await client(wsUrl);
    watcher.send({ type: 'subscribe', executionId: 'late-2' });
    expect((await watcher.waitFor(isType('history'))).run?.status).toBe('success');
    expect(afterwards.events().length).toBe(count);
  });

  it("gives a settled run's history exactly as its events$ replay: every kind of event", async () => {
    const { engine, wsUrl } = await started();
    let calls = 0;
    const wf = workflow('mixed')
      .addNode(
        'flaky',
        () => {
          if (++calls < 2) throw new Error(`try ${calls}`);
          return 1;
        },
        { retry: { maxAttempts: 2, initialInterval: 1 } },
      )
      .addNode('chatty', (ctx) => {
        ctx.log.info('hello', { n: 1 });
        ctx.emitEvent('thing.done', { n: 2 });
        return 2;
      })
      .addNode(
        'broken',
        () => {
          throw new RangeError('no');
        },
        { onError: 'continue' },
      )
      .addNode('skipped', () => 0, { condition: () => false })
      .addNode(
        'primary',
        () => {
          throw new Error('down');
        },
        { fallback: 'backup' },
      )
      .addNode('backup', () => 'copy')
      .addNode('last', (ctx) => `${String(ctx.results.primary)}!`, { dependsOn: ['primary'] })
      .build();
    const run = engine.run(wf, undefined, { executionId: 'mixed-1' });
    const replay = await lastValueFrom(run.events$.pipe(toArray()));
    expect((await run.result).status).toBe('success');
    const c = await client(wsUrl);
    c.send({ type: 'subscribe', executionId: 'mixed-1' });
    const h = await c.waitFor(isType('history'));
    // The run has the bulk shapes, events with optional fields, and events of other types.
    const kinds = new Set(replay.map((e) => e.type));
    for (const t of ['node.started', 'node.completed', 'node.log', 'custom', 'node.failed', 'node.skipped'] as const)
      expect(kinds).toContain(t);
    expect(replay.some((e) => e.type === 'node.started' && e.attempt === 2)).toBe(true);
    expect(replay.some((e) => e.type === 'node.completed' && e.fallbackUsed === 'backup')).toBe(true);
    expect(h.truncated).toBe(false);
    expect(h.events).toEqual(replay);
    expect(JSON.stringify(h.events)).toBe(JSON.stringify(replay));
  });

  it('folds history, run summaries and the report on demand exactly as per-event recording would (subworkflows, evicted runs, a client that connects mid-run)', async () => {
    const mon = monitor({ port: 0, token: TOKEN, maxRuns: 3 });
    const engine = createEngine({ plugins: [mon], logger, executors: { remote: createLocalExecutor() } });
    cleanup.push(() => engine.close());
    await engine.ready();
    const wsUrl = `${mon.url.replace('http', 'ws')}/ws`;
    // The per-event truth: every event of every run, as the engine publishes it.
    const seen: FlowEvent[] = [];
    const sub = engine.events$.subscribe((e) => seen.push(e));
    cleanup.push(() => sub.unsubscribe());

    const child = workflow('child')
      .addNode('x', () => 1, { executor: 'remote' })
      .chain(
        'y',
        () => {
          throw new Error('child node down');
        },
        { onError: 'continue' },
      )
      .build();
    let open!: () => void;
    const gate = new Promise<void>((r) => {
      open = r;
    });
    const parent = (gated: boolean) =>
      workflow('parent')
        .addNode('a', () => 1, { executor: 'remote' })
        .subworkflow('sub', child, () => undefined, { dependsOn: ['a'] })
        .addNode('skipped', () => 0, { condition: () => false })
        .addNode('gate', () => (gated ? gate.then(() => 2) : 2), { dependsOn: ['sub'] })
        .chain('last', () => {
          throw new RangeError('last node down');
        })
        .build();
    // No client connected: six runs (three of them subworkflow runs); the three oldest are evicted.
    for (let i = 1; i <= 3; i++)
      expect((await engine.run(parent(false), undefined, { executionId: `p-${i}` }).result).status).toBe('failed');
    expect(mon.stats().clients).toBe(0);

    // A run in progress when a client connects: its history comes from the run's log, then live events.
    const live = engine.run(parent(true), undefined, { executionId: 'p-live' });
    const replay = lastValueFrom(live.events$.pipe(toArray()));
    while (!seen.some((e) => e.executionId === 'p-live' && e.type === 'node.started' && e.nodeId === 'gate'))
      await new Promise((r) => setTimeout(r, 5));
    const mid = await client(wsUrl);
    mid.send({ type: 'subscribe', executionId: 'p-live' });
    const h = await mid.waitFor(isType('history'));
    expect(h.run).toMatchObject({ status: 'running', settledNodes: 3, failedNodes: 0 });
    expect(h.events.at(-1)).toMatchObject({ type: 'node.started', nodeId: 'gate' });
    open();
    await live.result;
    await mid.waitFor(
      (m) => m.type === 'event' && m.event.executionId === 'p-live' && m.event.type === 'workflow.failed',
    );
    const own = (id: string, events: readonly FlowEvent[]) => events.filter((e) => e.executionId === id);
    const key = (e: FlowEvent) => JSON.stringify(e);
    // run.events$ also replays the subworkflow run's events; the monitor streams a run's own events.
    expect(mid.events().map(key)).toEqual(own('p-live', await replay).map(key));
    expect(mid.events().map(key)).toEqual(own('p-live', seen).map(key));

    // Settled runs, asked for afterwards: the subworkflow run of p-live, and p-live itself.
    const childId = seen.find((e) => e.parentExecutionId === 'p-live' && e.type === 'workflow.started')!.executionId;
    const later = await client(wsUrl);
    later.send({ type: 'subscribe', executionId: childId });
    const ch = await later.waitFor(isType('history'));
    expect(ch.events.map(key)).toEqual(own(childId, seen).map(key));
    expect(ch.run).toMatchObject({
      status: 'success',
      parentExecutionId: 'p-live',
      nodeCount: 2,
      settledNodes: 2,
      failedNodes: 1,
    });
    later.send({ type: 'subscribe', all: true });
    const runs = (await later.waitFor(isType('runs'))).runs;
    const report = (await later.waitFor(isType('report'))).report;
    // Kept: the newest three runs (maxRuns); summaries as if every event had been recorded as it came.
    expect(runs.map((r) => r.executionId)).toEqual([
      childId,
      'p-live',
      seen.filter((e) => e.type === 'workflow.started').at(-3)!.executionId,
    ]);
    const pl = runs.find((r) => r.executionId === 'p-live')!;
    const end = seen.find((e) => e.executionId === 'p-live' && e.type === 'workflow.failed')!;
    expect(pl).toMatchObject({ status: 'failed', settledNodes: 5, failedNodes: 1, endedAt: end.timestamp });
    // (a parent fails at its last node; its subworkflow run succeeds)
    expect(report.runs).toEqual({ running: 0, success: 2, failed: 1, cancelled: 0 });
    // Node counts and durations cover every run seen, evicted ones included.
    const finals = seen.filter((e) => ['node.completed', 'node.failed', 'node.skipped'].includes(e.type));
    const durations = finals.flatMap((e) => ('durationMs' in e && e.durationMs !== undefined ? [e.durationMs] : []));
    const runEnds = seen.flatMap((e) =>
      e.type === 'workflow.completed' || e.type === 'workflow.failed' ? [e.durationMs] : [],
    );
    const stats = (xs: number[]) => ({
      count: xs.length,
      avgMs: xs.reduce((a, b) => a + b, 0) / xs.length,
      maxMs: Math.max(...xs),
    });
    expect(report.nodes).toEqual({ success: 4 * 4, failed: 4 * 2, skipped: 4 });
    expect(report.byExecutor).toEqual({ remote: { success: 8 }, local: { success: 8, failed: 8, skipped: 4 } });
    expect(report.nodeDurations.count).toBe(durations.length);
    expect(report.nodeDurations.avgMs).toBeCloseTo(stats(durations).avgMs, 9);
    expect(report.nodeDurations.maxMs).toBe(stats(durations).maxMs);
    expect(report.runDurations).toEqual(stats(runEnds));
    expect(runEnds).toHaveLength(8);
    expect(mon.stats().events).toBe(seen.length);
  });

  it('describes no run graph while no client is connected; a client gets it (history, live) as JSON text from core', async () => {
    const mon = monitor({ port: 0, token: TOKEN });
    // The monitor's setup with core's graph handles counted: `json()` / `describe()` calls, by run.
    const described: string[] = [];
    const counted = definePlugin({
      name: mon.name,
      version: mon.version,
      flowlane: mon.flowlane,
      setup: (api) =>
        mon.setup(
          Object.create(api, {
            runGraph: {
              value: (id: string): RunGraph | undefined => {
                const g = api.runGraph(id);
                if (g === undefined) return undefined;
                return {
                  workflow: g.workflow,
                  describe: () => {
                    described.push(`describe ${id}`);
                    return g.describe();
                  },
                  json: () => {
                    described.push(id);
                    return g.json();
                  },
                  executors: () => g.executors(),
                };
              },
            },
          }),
        ),
    });
    // `describeRun` and `toJSON()` build the description's objects, which core then keeps with the workflow.
    const toJSON = vi.spyOn(Workflow.prototype, 'toJSON');
    cleanup.push(() => toJSON.mockRestore());
    const engine = createEngine({ plugins: [counted], logger, executors: { remote: createLocalExecutor() } });
    cleanup.push(() => engine.close());
    await engine.ready();
    const wsUrl = `${mon.url.replace('http', 'ws')}/ws`;
    const wf = workflow('drawn')
      .addNode('a', () => 1, { executor: { name: 'remote', target: 'box-1' } })
      .chain('b', () => 2)
      .addNode('c', () => 3, { executor: 'local' })
      .build();
    for (let i = 1; i <= 3; i++)
      expect((await engine.run(wf, undefined, { executionId: `d-${i}` }).result).status).toBe('success');
    expect(described).toEqual([]);
    expect(toJSON).not.toHaveBeenCalled();

    // The report needs each node's executor only: still nothing described.
    const c = await client(wsUrl);
    c.send({ type: 'subscribe', all: true });
    const report = (await c.waitFor(isType('report'))).report;
    expect(report.byExecutor).toEqual({ remote: { success: 3 }, local: { success: 6 } });
    expect(described).toEqual([]);

    // A settled run's history, then a live run's start: described then, as core's text.
    c.send({ type: 'subscribe', executionId: 'd-1' });
    const h = await c.waitFor(isType('history'));
    expect(described).toEqual(['d-1']);
    await engine.run(wf, undefined, { executionId: 'd-4' }).result;
    const live = await c.waitFor((m) => m.type === 'event' && m.event.type === 'workflow.started');
    expect(described).toEqual(['d-1', 'd-4']);
    expect(toJSON).not.toHaveBeenCalled();
    expect(h.description).toEqual(wf.toJSON());
    expect(live).toMatchObject({ event: { executionId: 'd-4' }, description: wf.toJSON() });
    await c.waitFor(settledEvent('d-4'));
    const last = [...c.messages].reverse().find(isType('report'));
    expect(last?.report.byExecutor).toEqual({ remote: { success: 4 }, local: { success: 8 } });
  });

  it('gives the history of a run nobody listened to (core kept its node events compact) as its events$ replay', async () => {
    const { engine, wsUrl } = await started();
    // A chain of 64 nodes, built in a loop (the builder's types track each id: a loop needs a plain view of it).
    type Chain = { addNode(id: string, fn: () => number, o?: { dependsOn: string[] }): Chain; build(): Workflow };
    let b = (workflow('quiet') as unknown as Chain).addNode('n0', () => 0);
    for (let i = 1; i < 64; i++) b = b.addNode(`n${i}`, () => i, { dependsOn: [`n${i - 1}`] });
    const run = engine.run(b.build(), undefined, { executionId: 'quiet-1' });
    expect((await run.result).status).toBe('success');
    const c = await client(wsUrl);
    c.send({ type: 'subscribe', executionId: 'quiet-1' });
    const h = await c.waitFor(isType('history'));
    const replay = await lastValueFrom(run.events$.pipe(toArray()));
    expect(replay).toHaveLength(2 + 2 * 64);
    expect(JSON.stringify(h.events)).toBe(JSON.stringify(replay));
    expect(h.run).toMatchObject({ status: 'success', settledNodes: 64, nodeCount: 64 });
  });

  it('reads runs it never saw from the history source (the durable-log seam)', async () => {
    const archived: FlowEvent[] = [
      { type: 'workflow.started', executionId: 'old-1', workflow: 'w', timestamp: 1, nodeCount: 0 },
      { type: 'workflow.completed', executionId: 'old-1', workflow: 'w', timestamp: 5, durationMs: 4 },
    ];
    const { wsUrl } = await started({
      history: { read: async (id) => (id === 'old-1' ? { events: archived } : undefined) },
    });
    const c = await client(wsUrl);
    c.send({ type: 'subscribe', executionId: 'old-1' });
    const h = await c.waitFor(isType('history'));
    expect(h.events).toEqual(archived);
  });

  it('bounds the runs and workflows one connection subscribes to by name (too-many-subscriptions); unsubscribing frees a place', async () => {
    const { wsUrl } = await started();
    const c = await client(wsUrl);
    for (let k = 0; k < 10_000; k++) c.send({ type: 'subscribe', workflow: `wf-${k}` });
    let answered = 0;
    await c.waitFor((m) => m.type === 'runs' && ++answered === 10_000, 30_000);
    c.send({ type: 'subscribe', workflow: 'wf-0' }); // already counted: answered as before
    c.send({ type: 'subscribe', executionId: 'one-more' });
    const refused = await c.waitFor(
      (m): m is Extract<typeof m, { type: 'error' }> => m.type === 'error' && m.code === 'too-many-subscriptions',
    );
    expect(refused.message).toContain('10000 subscriptions');
    expect(c.messages.filter(isType('runs'))).toHaveLength(10_001);
    c.send({ type: 'unsubscribe', workflow: 'wf-1' });
    c.send({ type: 'subscribe', executionId: 'one-more' });
    await c.waitFor((m) => m.type === 'history' && m.executionId === 'one-more');
    c.send({ type: 'subscribe', all: true }); // not counted
    await c.waitFor(isType('report'));
  }, 60_000);

  it('answers malformed frames with an error message and keeps the connection', async () => {
    const { wsUrl } = await started();
    const c = await client(wsUrl);
    c.send('not json' as unknown as object);
    c.ws.send('{oops');
    await c.waitFor((m) => m.type === 'error' && m.code === 'invalid-json');
    c.send({ type: 'subscribe', executionId: 'x', workflow: 'y' });
    c.send({ type: 'watch' });
    c.send({ type: 'subscribe', all: true, extra: 1 });
    await c.waitFor((m) => m.type === 'error' && m.message.includes('Unknown field'));
    const errors = c.messages.filter(isType('error')).map((m) => m.code);
    expect(errors).toEqual([
      'invalid-message',
      'invalid-json',
      'invalid-message',
      'invalid-message',
      'invalid-message',
    ]);
    c.send({ type: 'subscribe', all: true });
    await c.waitFor(isType('runs'));
  });

  it('answers a binary frame with invalid-message and closes a client that sends a frame over 64 KiB with 1009', async () => {
    const { engine, wsUrl } = await started();
    const c = await client(wsUrl);
    c.ws.send(Buffer.from('{"type":"subscribe","all":true}'), { binary: true });
    const e = await c.waitFor(isType('error'));
    expect(e).toMatchObject({ code: 'invalid-message', message: 'Send JSON text frames.' });
    c.ws.send(JSON.stringify({ type: 'subscribe', executionId: 'x'.repeat(64 * 1024) }));
    expect((await c.closed).code).toBe(1009);
    // The monitor and the engine go on: another client is served.
    const other = await client(wsUrl);
    other.send({ type: 'subscribe', all: true });
    await other.waitFor(isType('runs'));
    const after = workflow('after')
      .addNode('a', () => 1)
      .build();
    expect((await engine.run(after, undefined).result).status).toBe('success');
  });
});

describe('monitor: slow clients and heartbeats', () => {
  it('drops a client that stops reading (close code 4008) while the run and other clients go on', async () => {
    warnings.length = 0;
    const { mon, engine, wsUrl } = await started({ maxBufferedBytes: 64 * 1024 });
    const fast = await client(wsUrl);
    const slow = await client(wsUrl);
    fast.send({ type: 'subscribe', all: true });
    slow.send({ type: 'subscribe', all: true });
    await Promise.all([fast.waitFor(isType('runs')), slow.waitFor(isType('runs'))]);
    // Stop reading: the kernel buffers fill, then the server's send buffer grows past maxBufferedBytes.
    const socket = (slow.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    socket.pause();
    // Read again as soon as the monitor drops the client: the close frame queued behind the unread data must then
    // arrive as 4008. (Resuming only after the run, as before, let the 2 s grace period for clients that never read
    // expire first under CI load, and the client saw 1006.)
    onWarning = (m) => {
      if (m === 'monitor: dropped a slow client') socket.resume();
    };
    cleanup.push(() => {
      onWarning = undefined;
    });
    // 20,000 lines of ~0.6 KB: ≈ 12 MB, several times what the loopback kernel buffers (≈ 2.3 MB) and the 64 KiB limit
    // hold, so the paused client is dropped; small enough that the fast client reads it all in time on a loaded CI.
    const line = 'x'.repeat(500);
    const chatty = workflow('chatty')
      .addNode('talk', async (ctx) => {
        // In chunks of 100 lines with a timer turn between them: the fast client lives in this process too, and
        // reads only while the node yields; 1,000-line bursts (≈ 0.6–2 MB each) sometimes filled its socket as well
        // and it was dropped as slow.
        for (let i = 0; i < 200; i++) {
          for (let j = 0; j < 100; j++) ctx.log.info(line, { i, j });
          await new Promise((r) => setTimeout(r, 0));
        }
        return 'done';
      })
      .build();
    const result = await engine.run(chatty, undefined, { executionId: 'chatty-1' }).result;
    expect(result.status).toBe('success');
    await fast.waitFor(settledEvent('chatty-1'), 40_000);
    expect(mon.stats()).toMatchObject({ droppedSlowClients: 1, clients: 1 });
    expect(warnings).toContain('monitor: dropped a slow client');
    const closed = await slow.closed;
    expect(closed.code).toBe(CloseCodes.SLOW_CONSUMER);
    expect(fast.events().filter((e) => e.type === 'node.log')).toHaveLength(20_000);
  });

  it('pings clients and cuts one that stops answering', async () => {
    const { mon, wsUrl } = await started({ heartbeatInterval: 50 });
    const healthy = await client(wsUrl);
    const pinged = new Promise<void>((resolve) => healthy.ws.once('ping', () => resolve()));
    const mute = await connectClient(wsUrl, { headers: { authorization: `Bearer ${TOKEN}` }, autoPong: false });
    cleanup.push(() => mute.ws.terminate());
    await pinged;
    const closed = await mute.closed;
    expect(closed.code).toBe(1006);
    expect(healthy.ws.readyState).toBe(healthy.ws.OPEN);
    expect(mon.stats().clients).toBe(1);
  });
});

describe('monitor: servers', () => {
  it('serves the dashboard page with security headers and 404 for anything else', async () => {
    const { mon } = await started();
    const page = await fetch(mon.dashboardUrl('run-1'));
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await page.text()).toContain('<script type="module" src="/app.js">');
    for (const asset of ['/app.js', '/graph.js', '/style.css'])
      expect((await fetch(`${mon.url}${asset}`)).status).toBe(200);
    expect((await fetch(`${mon.url}/../package.json`)).status).toBe(404);
    expect((await fetch(`${mon.url}/nope`)).status).toBe(404);
    expect(mon.dashboardUrl('a b')).toBe(`${mon.url}/?run=a%20b`);
  });

  it("attaches to a user http.Server: /ws is the monitor, every other request stays the user's, and close leaves it open", async () => {
    const server = createServer((req, res) => {
      if (mon.handleRequest(req, res)) return;
      res.end(`user:${req.url}`);
    });
    const mon = monitor({ server, token: TOKEN });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    cleanup.push(() => new Promise<void>((r) => server.close(() => r())));
    const engine: Engine = createEngine({ plugins: [mon], logger });
    await engine.ready();
    const port = (server.address() as AddressInfo).port;
    expect(mon.url).toBe(`http://127.0.0.1:${port}`);
    expect(await (await fetch(`${mon.url}/api/x`)).text()).toBe('user:/api/x');
    expect(await (await fetch(`${mon.url}/`)).text()).toContain('Flowlane monitor');
    const c = await client(`ws://127.0.0.1:${port}/ws`);
    c.send({ type: 'subscribe', all: true });
    await c.waitFor(isType('runs'));
    await engine.close();
    expect((await c.closed).code).toBe(CloseCodes.GOING_AWAY);
    expect(server.listening).toBe(true);
    expect(await (await fetch(`${mon.url}/still`)).text()).toBe('user:/still');
  });

  it('closes its own server and every socket when the engine closes', async () => {
    const { mon, engine, wsUrl } = await started();
    const c = await client(wsUrl);
    const url = mon.url;
    await engine.close();
    expect((await c.closed).code).toBe(CloseCodes.GOING_AWAY);
    await expect(fetch(url)).rejects.toThrow();
  });

  it('settles close() while an upgrade still waits for an authenticate hook that never answers', async () => {
    let asked!: () => void;
    const hookCalled = new Promise<void>((r) => {
      asked = r;
    });
    const { engine, wsUrl } = await started({
      token: undefined,
      authenticate: () => {
        asked();
        return new Promise<boolean>(() => undefined);
      },
    });
    const ws = new WebSocket(wsUrl);
    cleanup.push(() => ws.terminate());
    const outcome = new Promise<string>((resolve) => {
      ws.once('open', () => resolve('open'));
      ws.once('error', () => resolve('error'));
    });
    await hookCalled;
    const closed = await Promise.race([
      engine.close().then(() => 'closed'),
      new Promise<string>((r) => setTimeout(() => r('still open after 5 s'), 5000).unref()),
    ]);
    expect(closed).toBe('closed');
    expect(await outcome).toBe('error'); // the pending upgrade's socket was cut, never upgraded
  });
});

describe('monitor: options', () => {
  it('rejects bad options with typed errors that say what to fix', () => {
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return MonitorError.is(e) ? `${e.code}: ${e.message}` : String(e);
      }
      return 'no error';
    };
    expect(code(() => monitor({ port: 0 }))).toMatch(/^FL_MONITOR_NO_AUTH/);
    expect(code(() => monitor({ port: 0, token: TOKEN, tokn: 'x' } as never))).toMatch(
      /FL_MONITOR_INVALID_OPTION: Invalid monitor\(\) option "tokn": unknown option; did you mean "token"\?/,
    );
    expect(code(() => monitor({ token: TOKEN }))).toMatch(/"port"/);
    expect(code(() => monitor({ port: 0, server: createServer(), token: TOKEN }))).toMatch(/not both/);
    expect(code(() => monitor({ port: 70000, token: TOKEN }))).toMatch(/"port": expected 0–65535/);
    expect(code(() => monitor({ port: 0, token: 'short' }))).toMatch(/at least 8 characters/);
    expect(code(() => monitor({ port: 0, token: TOKEN, maxBufferedBytes: 10 }))).toMatch(/maxBufferedBytes/);
    expect(code(() => monitor({ port: 0, token: TOKEN }).url)).toMatch(/^FL_MONITOR_NOT_LISTENING/);
  });

  it('reports a port in use as FL_MONITOR_SERVER_FAILED from engine.ready()', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    cleanup.push(() => new Promise<void>((r) => blocker.close(() => r())));
    const port = (blocker.address() as AddressInfo).port;
    const engine = createEngine({ plugins: [monitor({ port, token: TOKEN })], logger });
    cleanup.push(() => engine.close());
    await expect(engine.ready()).rejects.toThrow(/FL_MONITOR_SERVER_FAILED|could not listen/);
  });
});

describe('monitor: core compatibility', () => {
  it('declares the core of its own release: CORE_RANGE and the peer range start at the version it ships with', async () => {
    const { readFileSync } = await import('node:fs');
    const { CORE_VERSION } = await import('@flowlane/core');
    const { CORE_RANGE, PKG_VERSION } = await import('./version.js');
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version: string;
      peerDependencies: Record<string, string>;
    };
    // Lockstep releases: the monitor needs the core APIs of its own release (scripts/release/sync-versions.mjs moves
    // both ranges to `^<new core version>` and `>=<new core version> <1.0.0` at each release).
    expect(CORE_VERSION).toBe(PKG_VERSION);
    expect(CORE_RANGE).toBe(`^${PKG_VERSION}`);
    expect(pkg.peerDependencies['@flowlane/core']).toBe(`workspace:>=${PKG_VERSION} <1.0.0`);
  });

  it('refuses a core without the APIs it is built on with FL_MONITOR_CORE_INCOMPATIBLE, at engine.ready()', async () => {
    // The monitor's setup, given the API of a core build that predates run watchers, or run graph handles.
    for (const api of ['watchRuns', 'runGraph'] as const) {
      const mon = monitor({ port: 0, token: TOKEN });
      const older = definePlugin({
        name: mon.name,
        version: mon.version,
        flowlane: mon.flowlane,
        setup: (a) => mon.setup(Object.create(a, { [api]: { value: undefined } })),
      });
      const engine = createEngine({ plugins: [older], logger });
      cleanup.push(() => engine.close());
      const err = await engine.ready().then(
        () => undefined,
        (e: unknown) => e,
      );
      // Core reports a failed setup with the plugin's own error as the cause.
      const cause = (err as Error).cause;
      expect(MonitorError.is(cause, 'FL_MONITOR_CORE_INCOMPATIBLE')).toBe(true);
      expect((cause as Error).message).toContain(`needs PluginApi.${api} of @flowlane/core`);
      expect(mon.stats().clients).toBe(0);
    }
  });
});
