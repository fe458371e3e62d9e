import { setTimeout as sleep } from 'node:timers/promises';
import { workflow } from '@flowlane/core';
import { Redis } from 'ioredis';

let counter: Redis | undefined;
/** Counts a node body on Redis (`FL_TEST_REDIS` in coordinator processes), to check how often each ran. */
async function count(key: string): Promise<void> {
  const url = process.env.FL_TEST_REDIS;
  if (url === undefined) return;
  counter ??= new Redis(url);
  await counter.hincrby('test:bodies', key, 1);
}
export function closeCounter(): void {
  counter?.disconnect();
  counter = undefined;
}

/**
 * The child of the hierarchical tests (runs on the `eu` coordinator): `a` reports its process and emits a custom
 * event, `b` fails when asked or waits for cancellation when asked.
 */
export const euChild = workflow('eu-child', { version: '1' })
  .input<{ n: number; fail?: boolean; hang?: boolean; slowMs?: number; failOnce?: string }>()
  .addNode('a', async (ctx) => {
    ctx.emitEvent('eu.progress', { n: ctx.input.n });
    await count(`${ctx.executionId}:a`);
    return { pid: process.pid, doubled: ctx.input.n * 2 };
  })
  .chain('b', async (ctx) => {
    if (ctx.input.slowMs !== undefined) await sleep(ctx.input.slowMs);
    if (ctx.input.failOnce !== undefined && (await counter?.incr(ctx.input.failOnce)) === 1)
      throw new Error('first child run fails');
    if (ctx.input.fail === true) throw new Error(`boom in eu for ${ctx.input.n}`);
    if (ctx.input.hang === true)
      await new Promise((_, reject) => {
        ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason), { once: true });
      });
    return ctx.results.a.doubled + 1;
  })
  .build();

/** The parent of the hierarchical tests: `remote` runs {@link euChild} on a coordinator of group `eu`. */
export const hierParent = workflow('hier-parent', { version: '1' })
  .input<{ n: number; fail?: boolean; hang?: boolean; slowMs?: number }>()
  .addNode('prep', (ctx) => ctx.input.n + 1)
  .subworkflow('remote', euChild, (ctx) => ({ ...ctx.input, n: ctx.results.prep }), {
    dependsOn: ['prep'],
    runOn: 'eu',
  })
  .chain('after', (ctx) => ({ fromChild: ctx.results.remote.b, pid: ctx.results.remote.a?.pid }))
  .build();

/** The whole-run workflow the 200-run tests enqueue: two 60 ms steps, bodies counted per run. */
export const countedRun = workflow('counted', { version: '1' })
  .input<{ k: number }>()
  .addNode('first', async (ctx) => {
    await sleep(60);
    await count(`${ctx.executionId}:first`);
    return { pid: process.pid, k: ctx.input.k };
  })
  .chain('second', async (ctx) => {
    // Longer than the first: the crash test kills a coordinator while one of its runs is here.
    await sleep(200);
    await count(`${ctx.executionId}:second`);
    return ctx.results.first.k * 3 + 1;
  })
  .build();

/** Like {@link hierParent}, with a retry policy on the remote subworkflow node. */
export const hierRetry = workflow('hier-retry', { version: '1' })
  .input<{ n: number; failOnce: string }>()
  .subworkflow('remote', euChild, (ctx) => ctx.input, { runOn: 'eu', retry: { maxAttempts: 2, initialInterval: 10 } })
  .build();
