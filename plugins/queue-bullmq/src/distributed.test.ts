import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createEngine, type FlowEvent, type SystemEvent, secretEnvName, workflow } from '@flowlane/core';
import { describe, expect, it } from 'vitest';
import { bullmqDispatch } from './dispatch.js';
import {
  bigWorkflow,
  failingWorkflow,
  NODES,
  sleepWorkflow,
  smallWorkflow,
  timeoutWorkflow,
} from './dist-workflow.test-helper.js';
import { useRedis } from './redis.test-helper.js';
import { createWorker } from './worker.js';

const child = fileURLToPath(new URL('./worker-child.test-helper.ts', import.meta.url));
const coordinatorChild = fileURLToPath(new URL('./coordinator-child.test-helper.ts', import.meta.url));
const tsx = createRequire(import.meta.url).resolve('tsx');
const SECRET = 's3cr3t-token-value';

interface WorkerChild {
  readonly proc: ChildProcess;
  readonly ready: Promise<void>;
  readonly exited: Promise<void>;
}

function startWorker(url: string, group: string, id: string, concurrency: number): WorkerChild {
  const proc = spawn(process.execPath, ['--import', tsx, child, url, group, id, String(concurrency)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      FL_TEST_REDIS: url,
      [secretEnvName('TOKEN')]: SECRET,
    },
  });
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  let onReady!: () => void;
  const ready = new Promise<void>((r) => {
    onReady = r;
  });
  createInterface({ input: proc.stdout! }).on('line', (line) => {
    if (line === 'READY') onReady();
  });
  const exited = new Promise<void>((resolve) =>
    proc.on('exit', (code, signal) => {
      if (signal === null && code !== 0) console.error(`worker ${id} exited ${code}:\n${stderr}`);
      onReady();
      resolve();
    }),
  );
  return { proc, ready, exited };
}

async function stopAll(workers: readonly WorkerChild[]): Promise<void> {
  for (const w of workers) if (w.proc.exitCode === null && w.proc.signalCode === null) w.proc.kill('SIGTERM');
  await Promise.all(workers.map((w) => w.exited));
}

/** Pids of processes whose command line contains `needle` (read from /proc). */
function pidsRunning(needle: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0').join(' ').includes(needle)) out.push(Number(d));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

describe('bullmqDispatch + createWorker with real worker processes and a real Redis', () => {
  const svc = useRedis();

  it('runs nodes on workers: codec, dependency results, actor, logs and events back (redacted), remote errors, payload limit, worker.up/down', async () => {
    await svc.client.flushall();
    const workers = [startWorker(svc.redis.url, 'cpu', 'w-cpu', 2), startWorker(svc.redis.url, 'gpu', 'w-gpu', 2)];
    const engine = createEngine({
      plugins: [bullmqDispatch({ connection: svc.redis.url, groups: ['cpu', 'gpu'], heartbeatInterval: 200 })],
    });
    const system: SystemEvent[] = [];
    engine.systemEvents$.subscribe((e) => system.push(e));
    try {
      await Promise.all(workers.map((w) => w.ready));
      const events: FlowEvent[] = [];
      engine.events$.subscribe((e) => events.push(e));
      const r = await engine.run(smallWorkflow, { at: new Date(5), n: 41n }, { actor: { id: 'ada' } }).result;
      expect(r.error?.message).toBeUndefined();
      expect(r.status).toBe('success');
      const a = r.outputs.a as { at: Date; n: bigint; set: Set<number>; worker: string };
      expect(a.at).toEqual(new Date(5));
      expect(a.n).toBe(42n);
      expect([...a.set]).toEqual([1, 2]);
      expect(a.worker).toBe('w-cpu');
      expect(r.outputs.b).toEqual({ seen: 42n, actor: 'ada' });
      expect(r.outputs.c).toBe('here');
      const log = events.find((e) => e.type === 'node.log' && e.nodeId === 'a') as { message: string } | undefined;
      expect(log?.message).toBe('using [REDACTED]');
      const custom = events.find((e) => e.type === 'custom') as { name: string; payload: unknown } | undefined;
      expect(custom?.name).toBe('a.progress');
      expect(custom?.payload).toEqual({ token: '[REDACTED]', half: true });
      expect(JSON.stringify(events)).not.toContain(SECRET);

      const f = await engine.run(failingWorkflow, {}).result;
      expect(f.status).toBe('failed');
      expect(f.nodes.x?.attempts).toBe(2);
      expect(f.error?.message).toContain('boom on the worker');
      expect(f.nodes.big?.status).toBe('failed');
      expect(f.nodes.big?.error?.message).toContain('bytes encoded, over the 1000-byte limit');

      await expect
        .poll(
          () =>
            system
              .filter((e) => e.type === 'worker.up')
              .map((e) => e.workerId)
              .sort(),
          { timeout: 10_000 },
        )
        .toEqual(['w-cpu', 'w-gpu']);
      expect(system[0]?.scheduler).toBe('@flowlane/queue-bullmq');
      workers[1]!.proc.kill('SIGKILL');
      await expect
        .poll(() => system.some((e) => e.type === 'worker.down' && e.workerId === 'w-gpu'), { timeout: 10_000 })
        .toBe(true);
    } finally {
      await engine.close();
      await stopAll(workers);
    }
  });

  it('3 worker processes run 1,000 nodes across two groups; kill -9 one mid-run: all complete, bodies once (≤ twice for the killed worker’s in-flight jobs), results equal the in-process run', async () => {
    await svc.client.flushall();
    const CONC = 4;
    const workers = [
      startWorker(svc.redis.url, 'cpu', 'cpu-1', CONC),
      startWorker(svc.redis.url, 'cpu', 'cpu-2', CONC),
      startWorker(svc.redis.url, 'gpu', 'gpu-1', CONC),
    ];
    const wf = bigWorkflow();
    const local = createEngine();
    const expected = await local.run(wf, { k: 3 }).result;
    await local.close();
    expect(expected.status).toBe('success');

    const engine = createEngine({ plugins: [bullmqDispatch({ connection: svc.redis.url, groups: ['cpu', 'gpu'] })] });
    try {
      await Promise.all(workers.map((w) => w.ready));
      const run = engine.run(wf, { k: 3 });
      let done = 0;
      let killed = false;
      const retried: string[] = [];
      const victim = workers[0]!;
      let armed = false;
      let finished = false;
      run.events$.subscribe((e) => {
        if (e.type === 'node.retrying') retried.push(e.error.message);
        if (e.type === 'node.completed' && ++done >= 300) armed = true;
      });
      // Once 300 nodes are done, kill -9 the victim while it runs one of the 250 ms nodes (so it has a job in flight).
      // It is frozen (SIGSTOP) before the second look: a node seen running can no longer finish between the look and
      // the kill, which a loaded machine once allowed (the kill then found nothing in flight and nothing was retried).
      const killer = (async () => {
        while (!killed && !finished) {
          if (armed && (await svc.client.scard('test:long:cpu-1')) > 0) {
            victim.proc.kill('SIGSTOP');
            // What it sent before it stopped reaches Redis.
            await new Promise((r) => setTimeout(r, 50));
            if ((await svc.client.scard('test:long:cpu-1')) > 0) {
              killed = true;
              victim.proc.kill('SIGKILL');
            } else victim.proc.kill('SIGCONT');
          } else await new Promise((r) => setTimeout(r, 5));
        }
      })();
      const r = await run.result;
      finished = true;
      await killer;
      expect(killed).toBe(true);
      expect(r.status).toBe('success');
      expect(r.outputs).toEqual(expected.outputs);
      const bodies = await svc.client.hgetall('test:bodies');
      expect(Object.keys(bodies)).toHaveLength(NODES);
      const counts = Object.values(bodies).map(Number);
      const twice = counts.filter((c) => c === 2).length;
      // The killed worker's jobs came back as lost workers and were retried by the nodes' retry policy.
      expect(retried.length).toBeGreaterThan(0);
      expect(retried.length).toBeLessThanOrEqual(CONC);
      for (const m of retried) expect(m).toContain('was lost: job stalled');
      expect(counts.every((c) => c === 1 || c === 2)).toBe(true);
      expect(twice).toBeLessThanOrEqual(CONC);
      // Only cpu nodes can have run twice (the killed worker was a cpu worker).
      for (const [id, c] of Object.entries(bodies)) if (Number(c) === 2) expect(Number(id.slice(1)) % 2).toBe(0);
    } finally {
      await engine.close();
      await stopAll(workers);
    }
  });

  it('cancelling a run whose node is `sleep 300` on a worker kills the command within 2 s', async () => {
    await svc.client.flushall();
    const workers = [startWorker(svc.redis.url, 'cpu', 'sleeper', 1)];
    const engine = createEngine({ plugins: [bullmqDispatch({ connection: svc.redis.url, groups: ['cpu'] })] });
    try {
      await workers[0]!.ready;
      const run = engine.run(sleepWorkflow, {});
      await expect.poll(() => pidsRunning('sleep 300.4242').length, { timeout: 15_000 }).toBeGreaterThan(0);
      const t0 = Date.now();
      run.cancel('test');
      const r = await run.result;
      expect(r.status).toBe('cancelled');
      await expect.poll(() => pidsRunning('sleep 300.4242').length, { timeout: 2000, interval: 50 }).toBe(0);
      expect(Date.now() - t0).toBeLessThan(2000);

      // A node timeout reaches the worker too: the attempt fails with FL_TIMEOUT and the command is killed.
      const timed = await engine.run(timeoutWorkflow, {}).result;
      expect(timed.status).toBe('failed');
      expect(timed.nodes.sleep?.error?.code).toBe('FL_TIMEOUT');
      await expect.poll(() => pidsRunning('sleep 300.4343').length, { timeout: 2000, interval: 50 }).toBe(0);
    } finally {
      await engine.close();
      await stopAll(workers);
    }
  });

  it('kill -9 the coordinator mid-run: a second coordinator resumes from the log, adopts dispatched jobs and finishes', async () => {
    await svc.client.flushall();
    const workers = [startWorker(svc.redis.url, 'cpu', 'cpu-a', 4), startWorker(svc.redis.url, 'gpu', 'gpu-a', 4)];
    const local = createEngine();
    const expected = await local.run(bigWorkflow(), { k: 3 }).result;
    await local.close();
    const coordinator = (mode: 'start' | 'resume') => {
      const proc = spawn(process.execPath, ['--import', tsx, coordinatorChild, svc.redis.url, 'failover-1', mode], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
      });
      let stderr = '';
      proc.stderr!.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      const result = new Promise<{ status: string; outputs: Record<string, unknown>; error?: string } | undefined>(
        (resolve) => {
          createInterface({ input: proc.stdout! }).on('line', (line) => {
            if (line.startsWith('RESULT ')) resolve(JSON.parse(line.slice(7)) as never);
          });
          proc.on('exit', (code, signal) => {
            if (signal === null && code !== 0) console.error(`coordinator exited ${code}:\n${stderr}`);
            resolve(undefined);
          });
        },
      );
      const exited = new Promise<void>((r) => proc.on('exit', () => r()));
      return { proc, result, exited };
    };
    try {
      await Promise.all(workers.map((w) => w.ready));
      const first = coordinator('start');
      await expect
        .poll(() => svc.client.hlen('test:bodies'), { timeout: 20_000, interval: 20 })
        .toBeGreaterThanOrEqual(300);
      first.proc.kill('SIGKILL');
      await first.exited;
      const before = await svc.client.hlen('test:bodies');
      expect(before).toBeLessThan(NODES);
      const second = coordinator('resume');
      const r = await second.result;
      expect(r?.error).toBeUndefined();
      expect(r?.status).toBe('success');
      expect(r?.outputs).toEqual(JSON.parse(JSON.stringify(expected.outputs)));
      const counts = Object.values(await svc.client.hgetall('test:bodies')).map(Number);
      expect(counts).toHaveLength(NODES);
      // Jobs in flight when the coordinator died were adopted, not sent again: every body ran once.
      expect(counts.filter((c) => c !== 1)).toEqual([]);
      await second.exited;
    } finally {
      await stopAll(workers);
    }
  });

  it('closing a worker lets its running job finish: the run completes and close() settles after it', async () => {
    await svc.client.flushall();
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let started!: () => void;
    const running = new Promise<void>((r) => {
      started = r;
    });
    const wf = workflow('graceful', { version: '1' })
      .addNode(
        'slow',
        async () => {
          started();
          await gate;
          return 'finished';
        },
        { runOn: 'cpu' },
      )
      .build();
    const worker = await createWorker({ connection: svc.redis.url, group: 'cpu', workflows: [wf] });
    const engine = createEngine({ plugins: [bullmqDispatch({ connection: svc.redis.url, groups: ['cpu'] })] });
    try {
      const run = engine.run(wf, {});
      await running;
      let closed = false;
      const closing = worker.close().then(() => {
        closed = true;
      });
      await new Promise((r) => setTimeout(r, 200));
      expect(closed).toBe(false);
      release();
      const r = await run.result;
      expect((r.outputs as Record<string, unknown>).slow).toBe('finished');
      await closing;
      expect(closed).toBe(true);
    } finally {
      await engine.close();
      await worker.close();
    }
  });
});
