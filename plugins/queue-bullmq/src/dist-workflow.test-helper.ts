import { workflow } from '@flowlane/core';
import { Redis } from 'ioredis';

export const NODES = 1000;
export const WIDTH = 100;

let counter: Redis | undefined;
/** Counts each node body on Redis (`FL_TEST_REDIS` set in worker processes), to check exactly-once. */
async function count(nodeId: string): Promise<void> {
  const url = process.env.FL_TEST_REDIS;
  if (url === undefined) return;
  counter ??= new Redis(url);
  await counter.hincrby('test:bodies', nodeId, 1);
}
/** `test:long:<workerId>` lists the long nodes running on a worker. */
async function running(workerId: string | undefined, nodeId: string, on: boolean): Promise<void> {
  if (counter === undefined) return;
  const key = `test:long:${workerId}`;
  await (on ? counter.sadd(key, nodeId) : counter.srem(key, nodeId));
}
export function closeCounter(): void {
  counter?.disconnect();
  counter = undefined;
}

/** 1,000 nodes in 10 layers of 100; even nodes on group `cpu`, odd on `gpu`; each depends on the one a layer up. */
export function bigWorkflow() {
  // biome-ignore lint/suspicious/noExplicitAny: a generated graph
  let b: any = workflow('big', { version: '1' });
  for (let i = 0; i < NODES; i++) {
    const dep = i >= WIDTH ? `n${i - WIDTH}` : undefined;
    b = b.addNode(
      `n${i}`,
      async (ctx: {
        input: { k: number };
        results: Record<string, unknown>;
        nodeId: string;
        workerId: string | undefined;
      }) => {
        await count(ctx.nodeId);
        // Every 20th node (all on `cpu`) runs 250 ms and is listed as running on its worker while it does, so the
        // kill test can kill a worker while it certainly has a job in flight.
        const long = i % 20 === 0;
        if (long) await running(ctx.workerId, ctx.nodeId, true);
        await new Promise((r) => setTimeout(r, long ? 250 : 2));
        if (long) await running(ctx.workerId, ctx.nodeId, false);
        return { v: ((dep === undefined ? 0 : (ctx.results[dep] as { v: number }).v) + i * ctx.input.k) % 1_000_003 };
      },
      {
        ...(dep === undefined ? {} : { dependsOn: [dep] }),
        runOn: i % 2 === 0 ? 'cpu' : 'gpu',
        priority: i % 7,
        retry: { maxAttempts: 3, initialInterval: 10 },
      },
    );
  }
  return b.build();
}

/** One node running `sleep 300` through the worker's local executor. */
export const sleepWorkflow = workflow('sleepy', { version: '1' })
  .addNode('sleep', (ctx) => ctx.exec('sleep', { args: ['300.4242'] }), { runOn: 'cpu' })
  .build();

/** A node whose attempt times out on the coordinator after 500 ms while its worker runs `sleep 300`. */
export const timeoutWorkflow = workflow('timing-out', { version: '1' })
  .addNode('sleep', (ctx) => ctx.exec('sleep', { args: ['300.4343'] }), { runOn: 'cpu', timeout: 500 })
  .build();

/** Nodes exercising the codec, logs, events and a remote failure. */
export const smallWorkflow = workflow('small', { version: '1' })
  .addNode(
    'a',
    async (ctx) => {
      const token = await ctx.getSecret('TOKEN');
      ctx.log.info(`using ${token}`, { token });
      ctx.emitEvent('a.progress', { token, half: true });
      const input = ctx.input as { at: Date; n: bigint };
      return { at: input.at, n: input.n + 1n, set: new Set([1, 2]), worker: ctx.workerId };
    },
    { runOn: 'cpu' },
  )
  .addNode('b', (ctx) => ({ seen: (ctx.results.a as { n: bigint }).n, actor: ctx.actor?.id }), {
    dependsOn: ['a'],
    runOn: 'gpu',
  })
  .addNode('c', () => 'here', { runOn: 'local', dependsOn: ['b'] })
  .build();

export const failingWorkflow = workflow('failing', { version: '1' })
  .addNode(
    'x',
    () => {
      throw new Error('boom on the worker');
    },
    { runOn: 'cpu', retry: { maxAttempts: 2, initialInterval: 1 } },
  )
  .addNode('big', () => 'x'.repeat(2000), { runOn: 'cpu', onError: 'continue' })
  .build();
