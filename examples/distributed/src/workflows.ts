import { workflow } from '@flowlane/core';
import { Redis } from 'ioredis';

let redis: Redis | undefined;
/** Where task bodies record what ran (set by the worker process from EXAMPLE_REDIS). */
function journal(): Redis | undefined {
  const url = process.env.EXAMPLE_REDIS;
  if (url === undefined) return undefined;
  redis ??= new Redis(url);
  return redis;
}
/** Close the journal connection (worker shutdown). */
export function closeJournal(): void {
  redis?.disconnect();
  redis = undefined;
}

/** Seed 004's tasks: `{ id, priority }`; `flaky` fails its first attempt (the queue's `attempts: 3`). */
export const TASKS = [
  { id: 'send-newsletter', priority: 1 },
  { id: 'charge-cards', priority: 10 },
  { id: 'rebuild-search', priority: 5 },
  { id: 'flaky-export', priority: 3, flaky: true },
  { id: 'cleanup-tmp', priority: 0 },
] as const;

/**
 * Seed 004's `DistributedOrchestrator.submitTask(task, { priority, attempts: 3 })`: every task is a node on the
 * `tasks` worker group, its `priority` becomes the BullMQ job priority, `attempts: 3` the node's retry policy.
 */
export function tasksWorkflow() {
  // biome-ignore lint/suspicious/noExplicitAny: built from a list
  let b: any = workflow('distributed-tasks', { version: '1' });
  for (const t of TASKS)
    b = b.addNode(
      t.id,
      async (ctx: { attempt: number; workerId: string | undefined }) => {
        await journal()?.rpush('example:order', t.id);
        if ('flaky' in t && ctx.attempt === 1) throw new Error(`${t.id}: upstream timed out`);
        return { task: t.id, attempt: ctx.attempt, worker: ctx.workerId };
      },
      { runOn: 'tasks', priority: t.priority, retry: { maxAttempts: 3, initialInterval: 50 } },
    );
  return b.build();
}

/**
 * Seed 003's distributed strategy (`nodes: ['node-1', 'node-2', 'node-3']`, round-robin, health checks): twelve
 * shards on the `shards` group, which three worker processes share as competing consumers.
 */
export function shardsWorkflow() {
  // biome-ignore lint/suspicious/noExplicitAny: built from a list
  let b: any = workflow('distributed-shards', { version: '1' });
  for (let i = 0; i < 12; i++)
    b = b.addNode(
      `shard-${i}`,
      async (ctx: { workerId: string | undefined }) => {
        await new Promise((r) => setTimeout(r, 30));
        return { shard: i, worker: ctx.workerId };
      },
      { runOn: 'shards', retry: { maxAttempts: 3, initialInterval: 50 } },
    );
  return b
    .addNode(
      'merge',
      (ctx: { results: Record<string, { worker: string }> }) => {
        const perWorker: Record<string, number> = {};
        for (const r of Object.values(ctx.results)) perWorker[r.worker] = (perWorker[r.worker] ?? 0) + 1;
        return perWorker;
      },
      { dependsOn: Array.from({ length: 12 }, (_, i) => `shard-${i}`), runOn: 'local' },
    )
    .build();
}

/** The coordinator a process serves (set by `src/coordinator.ts` from its argument). */
let coordinatorName = 'parent';
export function setCoordinatorName(name: string): void {
  coordinatorName = name;
}

/** Seed 003's child orchestrators' work: one region's report, run on the coordinator of that region's group. */
export const regionReport = workflow('region-report', { version: '1' })
  .input<{ region: string; orders: readonly number[] }>()
  .addNode('total', (ctx) => ctx.input.orders.reduce((a, b) => a + b, 0))
  .chain('report', (ctx) => ({
    region: ctx.input.region,
    total: ctx.results.total,
    coordinator: coordinatorName,
  }))
  .build();

/**
 * Seed 003's hierarchical orchestration (`new Orchestrator({ name: 'child-1', parent })`): the parent run delegates
 * each region's subworkflow to another coordinator with `runOn: '<coordinator group>'`.
 */
export const hierarchicalWorkflow = workflow('hierarchical', {
  version: '1',
})
  .input<{ eu: readonly number[]; us: readonly number[] }>()
  .subworkflow('child-1', regionReport, (ctx) => ({ region: 'eu', orders: ctx.input.eu }), { runOn: 'child-1' })
  .subworkflow('child-2', regionReport, (ctx) => ({ region: 'us', orders: ctx.input.us }), { runOn: 'child-2' })
  .addNode('summary', (ctx) => ({ total: (ctx.results['child-1'].total ?? 0) + (ctx.results['child-2'].total ?? 0) }), {
    dependsOn: ['child-1', 'child-2'],
  })
  .build();
