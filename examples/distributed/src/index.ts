import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createEngine, type SystemEvent } from '@flowlane/core';
import { bullmqDispatch } from '@flowlane/queue-bullmq';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { hierarchicalWorkflow, shardsWorkflow, tasksWorkflow } from './workflows.js';

export { hierarchicalWorkflow, regionReport, shardsWorkflow, TASKS, tasksWorkflow } from './workflows.js';

const workerEntry = fileURLToPath(new URL('./worker.ts', import.meta.url));
const coordinatorEntry = fileURLToPath(new URL('./coordinator.ts', import.meta.url));
const tsx = createRequire(import.meta.url).resolve('tsx');

/** What {@link runDistributedDemo} observed. */
export interface DemoSummary {
  /** Seed 004: the order the task bodies started in (a retry appears twice). */
  readonly order: readonly string[];
  readonly attempts: Readonly<Record<string, number>>;
  /** Seed 003: shards run per worker process. */
  readonly shardsPerWorker: Readonly<Record<string, number>>;
  /** `worker.up` / `worker.down` seen on `engine.systemEvents$`. */
  readonly health: readonly string[];
  /** Seed 003 hierarchical: each child run's report (with the coordinator that ran it) and the parent's summary. */
  readonly hierarchy: {
    readonly reports: Readonly<Record<string, { region: string; total: number; coordinator: string }>>;
    readonly total: number;
    /** Events of the child runs seen on the parent run's stream (with `parentExecutionId`), by type. */
    readonly childEvents: readonly string[];
  };
}

function startWorker(
  url: string,
  group: string,
  id: string,
  entry = workerEntry,
): { proc: ChildProcess; ready: Promise<void>; exited: Promise<void> } {
  const proc = spawn(process.execPath, ['--import', tsx, entry, url, group, id], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', EXAMPLE_REDIS: url },
  });
  const ready = new Promise<void>((resolve) => {
    createInterface({ input: proc.stdout! }).on('line', (l) => l === 'READY' && resolve());
    proc.on('exit', () => resolve());
  });
  const exited = new Promise<void>((resolve) => proc.on('exit', () => resolve()));
  return { proc, ready, exited };
}

/**
 * Runs seed 004's distributed orchestrator (priorities, attempts) and seed 003's distributed strategy (three worker
 * processes, health) and hierarchical strategy (two child coordinator processes running the parent's subworkflows)
 * against the Redis at `url`, with real processes; stops them all before returning.
 */
export async function runDistributedDemo(url: string): Promise<DemoSummary> {
  const redis = new Redis(url);
  const health: string[] = [];
  const engine = createEngine({
    plugins: [
      bullmqDispatch({ connection: url, groups: ['tasks', 'shards', 'child-1', 'child-2'], heartbeatInterval: 200 }),
    ],
    logger: { debug() {}, info() {}, warn() {}, error: (m) => console.error(m) },
  });
  engine.systemEvents$.subscribe((e: SystemEvent) => {
    if (e.type === 'worker.up' || e.type === 'worker.down') health.push(`${e.type} ${e.workerId}`);
  });
  const shardWorkers = ['node-1', 'node-2', 'node-3'].map((id) => startWorker(url, 'shards', id));
  const workers = [...shardWorkers];
  try {
    await Promise.all(shardWorkers.map((w) => w.ready));

    // Seed 004: submit every task first, then start the worker, so the queue hands them out by priority.
    await redis.del('example:order');
    const tasks = engine.run(tasksWorkflow(), {});
    // A connection given to BullMQ stays the caller's: close it too, or it keeps the process alive (and reconnecting
    // to a Redis that is gone) after the demo.
    const queueConnection = redis.duplicate();
    const queue = new Queue('tasks', { connection: queueConnection, prefix: 'flowlane' });
    while ((await queue.getJobCountByTypes('prioritized', 'wait')) < 5) await new Promise((r) => setTimeout(r, 20));
    await queue.close();
    queueConnection.disconnect();
    const taskWorker = startWorker(url, 'tasks', 'tasks-1');
    workers.push(taskWorker);
    const t = await tasks.result;
    if (t.status !== 'success') throw new Error(`tasks failed: ${t.error?.message}`);
    const order = await redis.lrange('example:order', 0, -1);
    const attempts: Record<string, number> = {};
    for (const [id, n] of Object.entries(t.nodes)) attempts[id] = n.attempts;

    // Seed 003: twelve shards over three worker processes, then a health change.
    const s = await engine.run(shardsWorkflow(), {}).result;
    if (s.status !== 'success') throw new Error(`shards failed: ${s.error?.message}`);
    const shardsPerWorker = (s.outputs as Record<string, unknown>).merge as Record<string, number>;
    shardWorkers[2]!.proc.kill('SIGKILL');
    while (!health.includes('worker.down node-3')) await new Promise((r) => setTimeout(r, 50));

    // Seed 003 hierarchical: the parent delegates one subworkflow to each child coordinator process.
    const children = ['child-1', 'child-2'].map((g) => startWorker(url, g, g, coordinatorEntry));
    workers.push(...children);
    await Promise.all(children.map((c) => c.ready));
    const parent = engine.run(hierarchicalWorkflow, { eu: [10, 20], us: [5] });
    const childEvents: string[] = [];
    parent.events$.subscribe((e) => {
      if (e.parentExecutionId === parent.executionId) childEvents.push(e.type);
    });
    const h = await parent.result;
    if (h.status !== 'success') throw new Error(`hierarchical failed: ${h.error?.message}`);
    type Report = { region: string; total: number; coordinator: string };
    const out = h.outputs as Record<string, { report: Report } | { total: number }>;
    const reports = {
      'child-1': (out['child-1'] as { report: Report }).report,
      'child-2': (out['child-2'] as { report: Report }).report,
    };
    const total = (out.summary as { total: number }).total;
    return { order, attempts, shardsPerWorker, health: [...health], hierarchy: { reports, total, childEvents } };
  } finally {
    await engine.close();
    for (const w of workers) if (w.proc.exitCode === null && w.proc.signalCode === null) w.proc.kill('SIGTERM');
    await Promise.all(workers.map((w) => w.exited));
    redis.disconnect();
  }
}
