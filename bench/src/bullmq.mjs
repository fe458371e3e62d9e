// D2 (issue 16): distributed execution on BullMQ. Nodes/s through Flowlane (bullmqDispatch + createWorker, one
// workflow of D2_NODES independent trivial nodes) against raw BullMQ jobs/s (the same number of jobs added with
// Queue.add one by one — as a coordinator dispatches them — and waited for through QueueEvents, same Redis, same
// worker processes and concurrency), for 1 to 4 worker processes; also raw BullMQ with all jobs added in one
// Queue.addBulk (the batched baseline: Flowlane batches a tick's dispatches too). `node src/bullmq.mjs [--reps=N]
// [--warm=W] [--concurrency=C] [--root=DIR] [--out=FILE]` writes results/bullmq.json (or FILE) and prints a table. Needs
// redis-server. `--root=DIR` runs Flowlane from another built tree (its packages/core and plugins/queue-bullmq dist),
// e.g. a checkout of main for a before/after comparison.
// Each row also has the CPU time all processes (this coordinator/producer, the workers, redis-server) spent per 1,000
// jobs: on a 2-core machine shared with other work, wall-clock throughput swings with the load, CPU time far less.
import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startRedis } from '@flowlane/testing';
import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { D2_NODES, d2Workflow, loadFlowlane } from './bullmq-workflow.mjs';

const arg = (name, dflt) => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a === undefined ? dflt : Number(a.split('=')[1]);
};
const REPS = arg('reps', 3);
// Untimed runs per worker process before timing: V8 warms up (compiles the hot path) in each worker process on its own,
// and with n workers each one sees 1/n of a run's jobs, so a row with n workers gets WARM × n warm-up runs (≈ WARM ×
// D2_NODES jobs per worker), raw and Flowlane alike. With one warm-up run, the 4-worker rows timed mostly warm-up.
const WARM = arg('warm', 4);
const sarg = (name) => process.argv.find((x) => x.startsWith(`--${name}=`))?.slice(name.length + 3);
const ROOT = sarg('root');
const OUT = sarg('out');
const { core, qb } = await loadFlowlane(ROOT);
const CONC = arg('concurrency', 16);
const workerScript = fileURLToPath(new URL('./bullmq-worker.mjs', import.meta.url));

function startWorkers(mode, url, n) {
  const procs = [];
  for (let k = 0; k < n; k++) {
    const proc = spawn(process.execPath, [workerScript, mode, url, String(CONC), ROOT ?? ''], {
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

async function raw(url, bulk = false) {
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
  const opts = { removeOnComplete: { age: 60 }, removeOnFail: { age: 60 } };
  if (bulk) await queue.addBulk(Array.from({ length: D2_NODES }, (_, i) => ({ name: 'job', data: { i }, opts })));
  else await Promise.all(Array.from({ length: D2_NODES }, (_, i) => queue.add('job', { i }, opts)));
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

/** CPU ms (user + system) of a process, from /proc (clock ticks of 10 ms). */
const procCpuMs = (pid) => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const x = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(x[11]) + Number(x[12])) * 10;
};
/** CPU ms of this process, the worker processes (together) and redis-server. */
const cpuNow = (workers, redisPid) => {
  const own = process.cpuUsage();
  return [(own.user + own.system) / 1000, workers.reduce((a, w) => a + procCpuMs(w.proc.pid), 0), procCpuMs(redisPid)];
};
/** Per-process CPU of the timed repetitions of one variant: this process, the workers, redis-server. */
const splits = new Map();
/** Runs `fn` (which returns wall ms) and returns [wall ms, CPU ms over all processes]; adds the split to `key`. */
const measure = async (workers, redisPid, fn, key) => {
  const c0 = cpuNow(workers, redisPid);
  const ms = await fn();
  const d = cpuNow(workers, redisPid).map((c, n) => c - c0[n]);
  const sum = splits.get(key) ?? [0, 0, 0];
  splits.set(
    key,
    sum.map((c, n) => c + d[n]),
  );
  return [ms, d[0] + d[1] + d[2]];
};
/** ms per 1,000 jobs of each process over the `REPS` repetitions of `key`. */
const split = (key) => {
  const [own, workers, redis] = splits.get(key).map((c) => Math.round((c * 1000) / (D2_NODES * REPS)));
  return { own, workers, redis };
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const redis = await startRedis();
const redisPid = await (async () => {
  const c = new Redis(redis.url);
  const info = await c.info('server');
  c.disconnect();
  return Number(/process_id:(\d+)/.exec(info)[1]);
})();
const rows = [];
try {
  const wf = d2Workflow(core);
  for (let n = 1; n <= 4; n++) {
    const admin = new Redis(redis.url);
    await admin.flushall();
    admin.disconnect();
    const rawWorkers = startWorkers('raw', redis.url, n);
    await Promise.all(rawWorkers.map((w) => w.ready));
    for (let k = 0; k < WARM * n; k++) await raw(redis.url, k % 2 === 1); // warm-up
    const rawMs = [];
    const bulkMs = [];
    const rawCpu = [];
    const bulkCpu = [];
    // Alternate the two raw variants so load changes hit both alike.
    for (let k = 0; k < REPS; k++) {
      const [a, ac] = await measure(rawWorkers, redisPid, () => raw(redis.url), `raw${n}`);
      rawMs.push(a);
      rawCpu.push(ac);
      const [b, bc] = await measure(rawWorkers, redisPid, () => raw(redis.url, true), `bulk${n}`);
      bulkMs.push(b);
      bulkCpu.push(bc);
    }
    await stop(rawWorkers);

    const flWorkers = startWorkers('flowlane', redis.url, n);
    await Promise.all(flWorkers.map((w) => w.ready));
    const engine = core.createEngine({
      plugins: [qb.bullmqDispatch({ connection: redis.url, queuePrefix: 'd2', groups: ['d2'] })],
    });
    for (let k = 0; k < WARM * n; k++) await flowlane(engine, wf); // warm-up
    const flMs = [];
    const flCpu = [];
    for (let k = 0; k < REPS; k++) {
      const [f, fc] = await measure(flWorkers, redisPid, () => flowlane(engine, wf), `fl${n}`);
      flMs.push(f);
      flCpu.push(fc);
    }
    await engine.close();
    await stop(flWorkers);

    const rawPerS = D2_NODES / (median(rawMs) / 1000);
    const flPerS = D2_NODES / (median(flMs) / 1000);
    const bulkPerS = D2_NODES / (median(bulkMs) / 1000);
    rows.push({
      workers: n,
      concurrency: CONC,
      jobs: D2_NODES,
      rawJobsPerS: Math.round(rawPerS),
      flowlaneNodesPerS: Math.round(flPerS),
      ratio: Math.round((flPerS / rawPerS) * 1000) / 1000,
      rawBulkJobsPerS: Math.round(bulkPerS),
      ratioVsBulk: Math.round((flPerS / bulkPerS) * 1000) / 1000,
      cpuMsPer1000: {
        raw: Math.round((median(rawCpu) * 1000) / D2_NODES),
        rawBulk: Math.round((median(bulkCpu) * 1000) / D2_NODES),
        flowlane: Math.round((median(flCpu) * 1000) / D2_NODES),
      },
      cpuRatio: Math.round((median(rawCpu) / median(flCpu)) * 1000) / 1000,
      // Mean over the timed repetitions, per process: producer/coordinator (own), all workers, redis-server.
      cpuSplitMsPer1000: { raw: split(`raw${n}`), rawBulk: split(`bulk${n}`), flowlane: split(`fl${n}`) },
    });
    console.log(rows.at(-1));
  }
} finally {
  await redis.dispose();
}
writeFileSync(
  OUT ?? new URL('../results/bullmq.json', import.meta.url),
  `${JSON.stringify({ id: 'D2', node: process.version, reps: REPS, warm: WARM, ...(ROOT === undefined ? {} : { root: ROOT }), rows }, null, 2)}\n`,
);
console.log(
  '| D2 workers | raw BullMQ jobs/s | Flowlane nodes/s | ratio | raw addBulk jobs/s | ratio vs addBulk | CPU ms / 1,000: raw · addBulk · Flowlane | CPU ratio |',
);
console.log('|--:|--:|--:|--:|--:|--:|--:|--:|');
for (const r of rows)
  console.log(
    `| ${r.workers} | ${r.rawJobsPerS} | ${r.flowlaneNodesPerS} | ${Math.round(r.ratio * 100)} % | ${r.rawBulkJobsPerS} | ${Math.round(r.ratioVsBulk * 100)} % | ${r.cpuMsPer1000.raw} · ${r.cpuMsPer1000.rawBulk} · ${r.cpuMsPer1000.flowlane} | ${Math.round(r.cpuRatio * 100)} % |`,
  );
console.log(
  '\n| D2 workers | raw: producer · workers · redis | Flowlane: coordinator · workers · redis (CPU ms / 1,000, mean) |',
);
console.log('|--:|--:|--:|');
for (const r of rows) {
  const f = (x) => `${x.own} · ${x.workers} · ${x.redis}`;
  console.log(`| ${r.workers} | ${f(r.cpuSplitMsPer1000.raw)} | ${f(r.cpuSplitMsPer1000.flowlane)} |`);
}
