import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createEngine, workflow } from '@flowlane/core';
import { docSnippetsSuite, flowControlBackendConformance, type RedisService, startRedis } from '@flowlane/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { durableJob, RESUME_PREFIX } from './flow-resume-workflow.test-helper.js';
import { redisStore } from './index.js';
import { createRedisFlowControlBackend } from './redis-flow-control.js';

const child = fileURLToPath(new URL('./flow-child.test-helper.ts', import.meta.url));
const resumeChild = fileURLToPath(new URL('./flow-resume-child.test-helper.ts', import.meta.url));
const tsx = createRequire(import.meta.url).resolve('tsx');
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

// docs/flow-control.md: every block runs here with its printed output checked (the core-only ones too).
docSnippetsSuite({
  docs: [fileURLToPath(new URL('../../../docs/flow-control.md', import.meta.url))],
  imports: {
    '@flowlane/store-redis': fileURLToPath(new URL('./index.ts', import.meta.url)),
    '@flowlane/core': fileURLToPath(import.meta.resolve('@flowlane/core')),
  },
  minSnippets: 3,
  outDir: fileURLToPath(new URL('../.snippets-flow-control/', import.meta.url)),
});

const redis: RedisService = await startRedis();
afterAll(() => redis.dispose());

flowControlBackendConformance(
  'redis',
  () => {
    const client = new Redis(redis.url, { maxRetriesPerRequest: null });
    const backend = createRedisFlowControlBackend(client, { prefix: `conf:${Math.random()}:`, leaseMs: 10_000 });
    const stop = backend.dispose?.bind(backend);
    return Object.assign(backend, {
      async dispose() {
        await stop?.();
        await client.quit();
      },
    });
  },
  { clock: 'server' },
);

interface Child {
  readonly proc: ChildProcess;
  /** Resolves with the first stdout line starting with `prefix` (undefined if the process exits first). */
  line(prefix: string): Promise<string | undefined>;
  readonly exited: Promise<void>;
}

function startChild(args: readonly string[], script = child): Child {
  const proc = spawn(process.execPath, ['--import', tsx, script, redis.url, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
  });
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const lines: string[] = [];
  const waiting: { prefix: string; resolve: (l: string | undefined) => void }[] = [];
  createInterface({ input: proc.stdout! }).on('line', (l) => {
    lines.push(l);
    for (const w of waiting.splice(0))
      if (l.startsWith(w.prefix)) w.resolve(l);
      else waiting.push(w);
  });
  const exited = new Promise<void>((resolve) =>
    proc.on('exit', (code, signal) => {
      if (signal === null && code !== 0) console.error(`flow child exited ${code}:\n${stderr}`);
      for (const w of waiting.splice(0)) w.resolve(undefined);
      resolve();
    }),
  );
  return {
    proc,
    exited,
    line: (prefix) =>
      new Promise((resolve) => {
        const seen = lines.find((l) => l.startsWith(prefix));
        if (seen !== undefined) resolve(seen);
        else if (proc.exitCode !== null || proc.signalCode !== null) resolve(undefined);
        else waiting.push({ prefix, resolve });
      }),
  };
}

describe('flow control across processes on a real Redis', () => {
  let r: Redis;
  beforeAll(() => {
    r = new Redis(redis.url, { maxRetriesPerRequest: null });
  });
  afterAll(async () => {
    await r.quit();
  });

  it('3 engines, 300 runs over 10 tenants with limit 2: never more than 2 of a tenant at once across engines', async () => {
    await r.del('fcx:observed');
    const children = [0, 1, 2].map((i) => startChild(['run', String(i * 100), '100']));
    const done = await Promise.all(children.map((c) => c.line('DONE ')));
    await Promise.all(children.map((c) => c.exited));
    for (const d of done) expect(JSON.parse(d!.slice(5))).toEqual(Array(100).fill('success'));
    const observed = (await r.lrange('fcx:observed', 0, -1)).map((l) => l.split(' '));
    expect(observed).toHaveLength(300);
    const peak = new Map<string, number>();
    for (const [tenant, n] of observed) peak.set(tenant!, Math.max(peak.get(tenant!) ?? 0, Number(n)));
    expect(peak.size).toBe(10);
    for (const p of peak.values()) expect(p).toBeLessThanOrEqual(2);
    // The limit was reached (the check is not vacuous), in more than one of the processes.
    expect([...peak.values()].some((p) => p === 2)).toBe(true);
    const pidsAtTwo = new Set(observed.filter(([, n]) => n === '2').map(([, , pid]) => pid));
    expect(pidsAtTwo.size).toBeGreaterThan(1);
    for (let t = 0; t < 10; t++) expect(await r.get(`fcx:active:t${t}`)).toBe('0');
  });

  it('two engines on one Redis share a rate window: never more than `limit` starts in any `period`', async () => {
    const starts: number[] = [];
    const wf = workflow('partner-api', { rateLimit: { key: (ctx) => ctx.input.partner, limit: 3, period: 500 } })
      .input<{ partner: string }>()
      .addNode('call', () => void starts.push(Date.now()))
      .build();
    const make = () =>
      createEngine({
        logger: quiet,
        plugins: [redisStore({ url: redis.url, prefix: `rate-${process.pid}:`, stores: ['flowControl'] })],
      });
    const a = make();
    const b = make();
    try {
      const runs = Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? a : b).run(wf, { partner: 'p' }));
      for (const r of runs) expect((await r.result).status).toBe('success');
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
    starts.sort((x, y) => x - y);
    expect(starts).toHaveLength(8);
    // Windows are measured on Redis's clock at admission; a node records its start a little later, so allow 50 ms
    // of scheduling jitter (8 runs without the shared window would all start within a few ms).
    for (let i = 0; i + 3 < starts.length; i++) expect(starts[i + 3]! - starts[i]!).toBeGreaterThanOrEqual(450);
  });

  it("a kill -9'd engine's slots stay held while it lives (renewed) and come back after the lease", async () => {
    await r.del('fcx:active:held');
    const holder = startChild(['hold', '0', '0']);
    expect(await holder.line('HOLDING')).toBe('HOLDING');
    const engine = createEngine({
      logger: quiet,
      plugins: [
        redisStore({
          url: redis.url,
          prefix: 'fcx:',
          stores: ['flowControl'],
          flowControl: { leaseMs: 1_000, pollIntervalMs: 20 },
        }),
      ],
    });
    try {
      const started: number[] = [];
      const wf = workflow('tenant-work', { concurrency: { key: (ctx) => ctx.input.tenant, limit: 2 } })
        .input<{ tenant: string }>()
        .addNode('work', () => void started.push(Date.now()))
        .build();
      const run = engine.run(wf, { tenant: 'held' });
      // Twice the lease: the live holder renews its slots, so the run must still be waiting.
      await new Promise((done) => setTimeout(done, 2_000));
      expect(started).toEqual([]);
      const killedAt = Date.now();
      holder.proc.kill('SIGKILL');
      await holder.exited;
      const result = await run.result;
      expect(result.status).toBe('success');
      expect(started).toHaveLength(1);
      // Not before the last renewal's lease could run out, and well within a generous bound after it.
      expect(started[0]! - killedAt).toBeGreaterThanOrEqual(600); // last renewal ≤ lease/3 before the kill
      expect(started[0]! - killedAt).toBeLessThan(15_000);
    } finally {
      await engine.close();
    }
  });

  it("a run resumed after its engine's kill -9 takes over its own slot (no double count) and counts against the key again", async () => {
    const slots = `${RESUME_PREFIX}fc:slots:durable-job:concurrency:acme`;
    const holder = startChild(['dur-1'], resumeChild);
    expect(await holder.line('HOLDING')).toBe('HOLDING');
    expect(await r.zrange(slots, 0, -1)).toEqual(['dur-1']);
    holder.proc.kill('SIGKILL');
    await holder.exited;

    const entered = new Map<string, () => void>();
    const go = new Map<string, () => void>();
    const inside: string[] = [];
    const log: string[] = [];
    const waitFor = (m: Map<string, () => void>, id: string) => new Promise<void>((r) => m.set(id, r));
    const enteredOld = waitFor(entered, 'dur-1');
    const enteredFresh = waitFor(entered, 'dur-2');
    const wf = durableJob(async (id) => {
      inside.push(id);
      log.push(`in ${id} with ${inside.length} inside`);
      const release = waitFor(go, id);
      entered.get(id)?.();
      await release;
      inside.splice(inside.indexOf(id), 1);
      log.push(`out ${id}`);
    });
    // The slot lease (2 min) outlives the test: only the resumed run itself can free dur-1's slot in time.
    const engine = createEngine({
      logger: quiet,
      workflows: [wf],
      plugins: [
        redisStore({
          url: redis.url,
          prefix: RESUME_PREFIX,
          stores: ['executions', 'flowControl'],
          flowControl: { leaseMs: 120_000, pollIntervalMs: 20 },
        }),
      ],
    });
    try {
      const resumed = await engine.resume('dur-1');
      await enteredOld; // admitted at once: its own slot (held by the dead engine) is taken over, not counted twice
      const fresh = engine.run(wf, { tenant: 'acme' }, { executionId: 'dur-2' });
      // While the resumed run is inside, acme's only slot is its own and the new run waits (many polls later).
      for (let i = 0; i < 10; i++) {
        await new Promise((done) => setTimeout(done, 20));
        expect(await r.zrange(slots, 0, -1)).toEqual(['dur-1']);
      }
      expect(log).toEqual(['in dur-1 with 1 inside']);
      go.get('dur-1')!();
      expect((await resumed.result).status).toBe('success');
      await enteredFresh; // the resumed run gave the slot back when it ended
      expect(await r.zrange(slots, 0, -1)).toEqual(['dur-2']);
      go.get('dur-2')!();
      expect((await fresh.result).status).toBe('success');
      expect(log).toEqual(['in dur-1 with 1 inside', 'out dur-1', 'in dur-2 with 1 inside', 'out dur-2']);
      expect(await r.zcard(slots)).toBe(0);
    } finally {
      await engine.close();
    }
  });

  it('cancelOn across engines: an event emitted on one engine cancels matching runs on another (Redis pub/sub)', async () => {
    const prefix = `cancel-${process.pid}:`;
    const channel = `${prefix}fc:event:order.cancelled`;
    const subscribers = async () => Number(((await r.pubsub('NUMSUB', channel)) as [string, number])[1]);
    const make = () =>
      createEngine({
        logger: quiet,
        plugins: [redisStore({ url: redis.url, prefix, stores: ['flowControl'], flowControl: { pollIntervalMs: 20 } })],
      });
    const entered: string[] = [];
    const order = workflow('order', {
      concurrency: { key: (ctx) => ctx.input.customer, limit: 1 },
      cancelOn: [
        {
          event: 'order.cancelled',
          match: (event, ctx) => (event.payload as { orderId: string }).orderId === ctx.input.orderId,
        },
      ],
    })
      .input<{ orderId: string; customer: string }>()
      .addNode('fulfil', (ctx) => {
        entered.push(ctx.input.orderId);
        // Holds until the run is cancelled.
        return new Promise((_resolve, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)));
      })
      .build();
    const emitter = workflow('support-desk')
      .input<{ orderId: string }>()
      .addNode('cancel', (ctx) => ctx.emitEvent('order.cancelled', { orderId: ctx.input.orderId }))
      .build();
    const a = make();
    const b = make();
    try {
      await Promise.all([a.ready(), b.ready()]);
      const running = a.run(order, { orderId: 'o-1', customer: 'c-1' });
      const waiting = a.run(order, { orderId: 'o-2', customer: 'c-1' }); // waits for c-1's slot on engine a
      const other = a.run(order, { orderId: 'o-3', customer: 'c-2' });
      let otherSettled = false;
      void other.result.then(() => {
        otherSettled = true;
      });
      while (entered.length < 2 || (await subscribers()) < 1) await new Promise((done) => setTimeout(done, 5));
      expect(entered.sort()).toEqual(['o-1', 'o-3']);

      // From outside any run on engine b: the waiting run on engine a is cancelled.
      b.emit('order.cancelled', { orderId: 'o-2' });
      const w = await waiting.result;
      expect(w.status).toBe('cancelled');
      expect(w.error?.message).toContain('cancelOn: event "order.cancelled"');
      // From a run on engine b (ctx.emitEvent): the running run on engine a is cancelled, its node aborted.
      expect((await b.run(emitter, { orderId: 'o-1' }).result).status).toBe('success');
      const r1 = await running.result;
      expect(r1.status).toBe('cancelled');
      expect(r1.error?.message).toContain('cancelOn: event "order.cancelled"');
      expect(entered).not.toContain('o-2'); // cancelled while it waited: never started
      // Events for o-1 and o-2 did not match o-3: it still runs until its own event comes.
      expect(otherSettled).toBe(false);
      b.emit('order.cancelled', { orderId: 'o-3' });
      expect((await other.result).status).toBe('cancelled');
      // Every listening run settled: engine a left the channel.
      while ((await subscribers()) > 0) await new Promise((done) => setTimeout(done, 5));
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('a run that ends just before engine.close() gives its slot back in Redis (QUIT does not overtake the release)', async () => {
    const prefix = `close-${process.pid}:`;
    const errors: string[] = [];
    const logger = {
      ...quiet,
      error: (m: string, f?: Record<string, unknown>) => void errors.push(`${m} ${String(f?.error)}`),
    };
    const wf = workflow('one-at-a-time', { concurrency: { key: () => 'k', limit: 1 } })
      .addNode('a', () => 1)
      .build();
    for (let i = 0; i < 3; i++) {
      const engine = createEngine({
        logger,
        plugins: [redisStore({ url: redis.url, prefix, stores: ['flowControl'] })],
      });
      expect((await engine.run(wf, {}).result).status).toBe('success');
      await engine.close();
      // The slot was still held until its lease (30 s) ran out, and "Connection is closed." was logged.
      expect(await r.zcard(`${prefix}fc:slots:one-at-a-time:concurrency:k`)).toBe(0);
    }
    expect(errors).toEqual([]);
  });

  it('shareEvents: false keeps events on their engine; a payload JSON cannot carry is logged, not thrown', async () => {
    const prefix = `noshare-${process.pid}:`;
    const errors: string[] = [];
    const logger = {
      ...quiet,
      error: (m: string, f?: Record<string, unknown>) => void errors.push(`${m} ${String(f?.error)}`),
    };
    const a = createEngine({
      logger,
      plugins: [redisStore({ url: redis.url, prefix, stores: ['flowControl'], flowControl: { shareEvents: false } })],
    });
    try {
      await a.ready();
      const wf = workflow('listener', { cancelOn: [{ event: 'stop' }] })
        .addNode(
          'wait',
          (ctx) => new Promise((_r, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason))),
        )
        .build();
      const run = a.run(wf, {});
      expect(await r.pubsub('NUMSUB', `${prefix}fc:event:stop`)).toEqual([`${prefix}fc:event:stop`, 0]);
      a.emit('stop', { big: 1n }); // local only: no publish, nothing to serialise
      expect((await run.result).status).toBe('cancelled');
      expect(errors).toEqual([]);
    } finally {
      await a.close();
    }
    const b = createEngine({ logger, plugins: [redisStore({ url: redis.url, prefix, stores: ['flowControl'] })] });
    try {
      await b.ready();
      b.emit('anything', { big: 1n });
      while (errors.length === 0) await new Promise((done) => setTimeout(done, 5));
      expect(errors[0]).toMatch(
        /flow-control backend failed .*FL_REDIS_UNSERIALIZABLE|cannot keep the value of "anything"/,
      );
    } finally {
      await b.close();
    }
  });
});
