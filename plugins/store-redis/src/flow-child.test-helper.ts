/**
 * Child process of the flow-control test: `node --import tsx flow-child.test-helper.ts <redisUrl> <mode> <from> <count>`.
 * One engine with the Redis flow-control backend and a workflow limited to 2 runs per tenant. Its node records, in
 * Redis, how many runs of its tenant are inside nodes across all processes when it starts.
 * - `run`: runs `count` jobs (job i has tenant `t<i % 10>`), prints `DONE <json statuses>` and exits.
 * - `hold`: starts 2 runs of tenant `held` whose nodes never finish, prints `HOLDING` once both are inside their
 *   node, and waits to be killed.
 */
import 'reflect-metadata';
import { createEngine, workflow } from '@flowlane/core';
import { Redis } from 'ioredis';
import { redisStore } from './index.js';

const [url, mode, from, count] = process.argv.slice(2) as [string, string, string, string];
const r = new Redis(url, { maxRetriesPerRequest: null });
const engine = createEngine({
  plugins: [
    redisStore({ url, prefix: 'fcx:', stores: ['flowControl'], flowControl: { leaseMs: 1_000, pollIntervalMs: 10 } }),
  ],
  logger: { debug() {}, info() {}, warn() {}, error: (m, f) => console.error(m, f) },
});
const tenantWork = workflow('tenant-work', { concurrency: { key: (ctx) => ctx.input.tenant, limit: 2 } })
  .input<{ tenant: string; hold: boolean }>()
  .addNode('work', async (ctx) => {
    const active = `fcx:active:${ctx.input.tenant}`;
    const now = await r.incr(active);
    await r.rpush('fcx:observed', `${ctx.input.tenant} ${now} ${process.pid}`);
    if (ctx.input.hold) await new Promise(() => undefined);
    await new Promise((done) => setTimeout(done, 2 + Math.floor(Math.random() * 8)));
    await r.decr(active);
  })
  .build();

if (mode === 'hold') {
  void engine.run(tenantWork, { tenant: 'held', hold: true });
  void engine.run(tenantWork, { tenant: 'held', hold: true });
  while (Number(await r.get('fcx:active:held')) < 2) await new Promise((done) => setTimeout(done, 5));
  console.log('HOLDING');
} else {
  const runs = Array.from({ length: Number(count) }, (_, i) =>
    engine.run(tenantWork, { tenant: `t${(Number(from) + i) % 10}`, hold: false }),
  );
  const results = await Promise.all(runs.map((x) => x.result));
  console.log(`DONE ${JSON.stringify(results.map((x) => x.status))}`);
  await engine.close();
  await r.quit();
}
