// D2 (issue 16): distributed execution on BullMQ. Nodes/s through Flowlane (bullmqDispatch + createWorker, one
// workflow of D2_NODES independent trivial nodes) against raw BullMQ jobs/s (the same number of jobs added with
// Queue.add one by one — as a coordinator dispatches them — and waited for through QueueEvents, same Redis, same
// worker processes and concurrency), for 1 to 4 worker processes. `node src/bullmq.mjs [--reps=N] [--concurrency=C]`
// writes results/bullmq.json and prints a table. Needs redis-server.
import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createEngine } from '@flowlane/core';
import { bullmqDispatch } from '@flowlane/queue-bullmq';
import { startRedis } from '@flowlane/testing';
import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { D2_NODES, d2Workflow } from './bullmq-workflow.mjs';

const arg = (name, dflt) => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a === undefined ? dflt : Number(a.split('=')[1]);
};
const REPS = arg('reps', 3);
const CONC = arg('concurrency', 16);
const workerScript = fileURLToPath(new URL('./bullmq-worker.mjs', import.meta.url));

function startWorkers(mode, url, n) {
  const procs = [];
  for (let k = 0; k < n; k++) {
    const proc = spawn(process.execPath, [workerScript, mode, url, String(CONC)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const ready = new Promise((resolve) =>
      createInterface({ input: proc.stdout }).on('line', (l) => l === 'READY' && resolve()),
    );
    const exited = new Promise((resolve) => proc.on('exit', resolve));
    procs.push({ proc, ready, exited });
  }
  return procs;
}
async function stop(procs) {
  for (const p of procs) p.proc.kill('SIGTERM');
  await Promise.all(procs.map((p) => p.exited));
}

async function raw(url) {
  const connection = new Redis(url, { maxRetriesPerRequest: null });
  const queue = new Queue('raw', { connection, prefix: 'd2' });
  const eventsConnection = connection.duplicate();
  const events = new QueueEvents('raw', { connection: eventsConnection, prefix: 'd2' });
  await events.waitUntilReady();
  // QueueEvents starts its XREAD from '$' a moment after it is ready: events before that would be missed.
  await new Promise((r) => setTimeout(r, 200));
  let done = 0;
  let finish;
  const all = new Promise((r) => {
    finish = r;
  });
  events.on('completed', () => {
    if (++done === D2_NODES) finish();
  });
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: D2_NODES }, (_, i) =>
      queue.add('job', { i }, { removeOnComplete: { age: 60 }, removeOnFail: { age: 60 } }),
    ),
  );
  await all;
  const ms = performance.now() - t0;
  await events.close();
  await queue.close();
  eventsConnection.disconnect();
  connection.disconnect();
  return ms;
}

async function flowlane(engine, wf) {
  const t0 = performance.now();
  const r = await engine.run(wf, {}).result;
  const ms = performance.now() - t0;
  if (r.status !== 'success' || r.outputs[`n${D2_NODES - 1}`] !== (D2_NODES - 1) * 2)
    throw new Error(`D2 run failed: ${r.error?.message}`);
  return ms;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const redis = await startRedis();
const rows = [];
try {
  const wf = d2Workflow();
  for (let n = 1; n <= 4; n++) {
    const admin = new Redis(redis.url);
    await admin.flushall();
    admin.disconnect();
    const rawWorkers = startWorkers('raw', redis.url, n);
    await Promise.all(rawWorkers.map((w) => w.ready));
    await raw(redis.url); // warm-up
    const rawMs = [];
    for (let k = 0; k < REPS; k++) rawMs.push(await raw(redis.url));
    await stop(rawWorkers);

    const flWorkers = startWorkers('flowlane', redis.url, n);
    await Promise.all(flWorkers.map((w) => w.ready));
    const engine = createEngine({
      plugins: [bullmqDispatch({ connection: redis.url, queuePrefix: 'd2', groups: ['d2'] })],
    });
    await flowlane(engine, wf); // warm-up
    const flMs = [];
    for (let k = 0; k < REPS; k++) flMs.push(await flowlane(engine, wf));
    await engine.close();
    await stop(flWorkers);

    const rawPerS = D2_NODES / (median(rawMs) / 1000);
    const flPerS = D2_NODES / (median(flMs) / 1000);
    rows.push({
      workers: n,
      concurrency: CONC,
      jobs: D2_NODES,
      rawJobsPerS: Math.round(rawPerS),
      flowlaneNodesPerS: Math.round(flPerS),
      ratio: Math.round((flPerS / rawPerS) * 1000) / 1000,
    });
    console.log(rows.at(-1));
  }
} finally {
  await redis.dispose();
}
writeFileSync(
  new URL('../results/bullmq.json', import.meta.url),
  `${JSON.stringify({ id: 'D2', node: process.version, reps: REPS, rows }, null, 2)}\n`,
);
console.log('| D2 workers | raw BullMQ jobs/s | Flowlane nodes/s | ratio |');
console.log('|--:|--:|--:|--:|');
for (const r of rows)
  console.log(`| ${r.workers} | ${r.rawJobsPerS} | ${r.flowlaneNodesPerS} | ${Math.round(r.ratio * 100)} % |`);
