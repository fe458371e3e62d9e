// D2 per-process CPU probe (issue 16): CPU time per 1,000 jobs of the coordinator (or raw producer), one worker
// process and redis-server, for raw BullMQ and for Flowlane on BullMQ built from one or more trees, in alternating
// fresh processes (round k runs every variant once, in turn), so load changes hit every variant alike.
//
//   node src/bullmq-cpu.mjs [--procs=5] [--runs=10] [--warm=2] [--workers=1] [--concurrency=16] [--prof=DIR] \
//     [raw] [raw-prio] [raw-bulk] [after=../] [before=/work/wt/before-s3]
//
// A variant `name=ROOT` loads `@flowlane/core` and `@flowlane/queue-bullmq` from the built tree at ROOT (its
// `packages/core/dist` and `plugins/queue-bullmq/dist`); `raw` is plain Queue.add + QueueEvents + Worker, `raw-prio`
// the same with every job prioritized as a Flowlane node without `priority` is (BullMQ's prioritized set), `raw-bulk`
// Flowlane-shaped jobs (format-2 data, own job ids, priority, kept an hour) sent in one `addBulk` per run, as a
// coordinator sends a turn's dispatches, to a raw worker: BullMQ's share of a coordinator's cost; `raw-shaped` the
// same jobs each sent with its own `Queue.add`. Each variant
// process runs `--warm` untimed runs, then `--runs` timed runs of D2_NODES (default 1,000) nodes; CPU: the coordinator
// by `process.cpuUsage()`, the worker from /proc (10 ms ticks), redis-server from `INFO cpu` (µs). Prints min and
// median over processes of each part, per 1,000 jobs. `--prof=DIR` runs coordinator and worker with --cpu-prof.
// `--workers=N` runs N worker processes (their CPU summed); each sees about 1/N of every run's jobs, so give it N times
// the warm-up (`--warm`) to compare steady states. Env: D2_CALLS=1 prints Redis calls per 1,000 jobs by command,
// D2_TRACE=1 the workers' CPU of every run, warm-ups included, D2_GC=1 the coordinator's GC pauses by kind (ms per
// 1,000 jobs, from `perf_hooks`).
import 'reflect-metadata';
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';

const NODES = Number(process.env.D2_NODES ?? 1000);
const WORKERS = Number(process.env.D2_WORKERS ?? 1);
const opt = (name, dflt) => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a === undefined ? dflt : a.slice(name.length + 3);
};
const self = fileURLToPath(import.meta.url);
const here = fileURLToPath(new URL('.', import.meta.url));
const load = async (root) => ({
  core: await import(pathToFileURL(resolve(root, 'packages/core/dist/index.js')).href),
  qb: await import(pathToFileURL(resolve(root, 'plugins/queue-bullmq/dist/index.js')).href),
});
const workflowOf = (core) => {
  let b = core.workflow('d2', { version: '1' });
  for (let i = 0; i < NODES; i++) b = b.addNode(`n${i}`, () => i * 2, { runOn: 'd2' });
  return b.build();
};
const procCpuMs = (pid) => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const x = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(x[11]) + Number(x[12])) * 10;
};
const { Redis } = await import('ioredis');
const redisCpuMs = async (c) => {
  const info = await c.info('cpu');
  const n = (k) => Number(new RegExp(`${k}:([\\d.]+)`).exec(info)[1]);
  return (n('used_cpu_user') + n('used_cpu_sys')) * 1000;
};

const [mode] = process.argv.slice(2);
if (mode === '--worker') {
  // node bullmq-cpu.mjs --worker <raw|ROOT> <url> <concurrency>
  const [, kind, url, conc] = process.argv.slice(2);
  let close;
  if (kind.startsWith('raw')) {
    const { Worker } = await import('bullmq');
    const connection = new Redis(url, { maxRetriesPerRequest: null });
    const worker = new Worker('raw', async (job) => job.data.i * 2, {
      connection,
      prefix: 'd2',
      concurrency: Number(conc),
    });
    await worker.waitUntilReady();
    close = async () => {
      await worker.close();
      connection.disconnect();
    };
  } else {
    const { core, qb } = await load(kind);
    const worker = await qb.createWorker({
      connection: url,
      group: 'd2',
      queuePrefix: 'd2',
      workflows: [workflowOf(core)],
      concurrency: Number(conc),
    });
    close = () => worker.close();
  }
  console.log('READY');
  process.on('SIGTERM', () => void close().then(() => process.exit(0)));
} else if (mode === '--coordinator') {
  // node bullmq-cpu.mjs --coordinator <raw|ROOT> <url> <concurrency> <runs> <warm> <profdir|->
  const [, kind, url, conc, runsS, warmS, prof] = process.argv.slice(2);
  const admin = new Redis(url);
  await admin.flushall();
  const workers = Array.from({ length: WORKERS }, () =>
    spawn(
      process.execPath,
      [...(prof === '-' ? [] : ['--cpu-prof', `--cpu-prof-dir=${prof}`]), self, '--worker', kind, url, conc],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    ),
  );
  await Promise.all(
    workers.map(
      (worker) => new Promise((r) => createInterface({ input: worker.stdout }).on('line', (l) => l === 'READY' && r())),
    ),
  );
  const exited = Promise.all(workers.map((worker) => new Promise((r) => worker.on('exit', r))));
  const workersCpuMs = () => workers.reduce((sum, worker) => sum + procCpuMs(worker.pid), 0);
  let once;
  let close;
  if (kind.startsWith('raw')) {
    const { Queue, QueueEvents } = await import('bullmq');
    const connection = new Redis(url, { maxRetriesPerRequest: null });
    const queue = new Queue('raw', { connection, prefix: 'd2' });
    const events = new QueueEvents('raw', { connection: connection.duplicate(), prefix: 'd2' });
    await events.waitUntilReady();
    await new Promise((r) => setTimeout(r, 200));
    let done = 0;
    let finish;
    events.on('completed', () => {
      if (++done === NODES) finish();
    });
    const opts = { removeOnComplete: { age: 60 }, removeOnFail: { age: 60 } };
    // raw-prio: every job with the BullMQ priority a Flowlane node without `priority` gets (prioritized set).
    if (kind === 'raw-prio') opts.priority = 1_048_576;
    const bulkOpts = { priority: 1_048_576, attempts: 1, removeOnComplete: { age: 3600 }, removeOnFail: { age: 3600 } };
    let round = 0;
    once = async () => {
      done = 0;
      const all = new Promise((r) => {
        finish = r;
      });
      if (kind === 'raw-shaped') {
        // raw-shaped: the jobs of raw-bulk, each sent with its own Queue.add (as raw does).
        const r = ++round;
        const data = (i) => ({ f: 2, w: 'd2', v: '1', e: `run-${r}`, a: 1, p: '{"input":{}}', i });
        await Promise.all(
          Array.from({ length: NODES }, (_, i) =>
            queue.add(`n${i}`, data(i), { ...bulkOpts, jobId: `run-${r}.n${i}.1.abcd${i.toString(36)}` }),
          ),
        );
      } else if (kind === 'raw-bulk') {
        // raw-bulk: Flowlane-shaped jobs (format-2 data, node id as name, own job ids, priority, kept an hour) in one
        // addBulk, as the coordinator sends a turn's dispatches.
        const r = ++round;
        await queue.addBulk(
          Array.from({ length: NODES }, (_, i) => ({
            name: `n${i}`,
            data: { f: 2, w: 'd2', v: '1', e: `run-${r}`, a: 1, p: '{"input":{}}', i },
            opts: { ...bulkOpts, jobId: `run-${r}.n${i}.1.abcd${i.toString(36)}` },
          })),
        );
      } else await Promise.all(Array.from({ length: NODES }, (_, i) => queue.add('job', { i }, opts)));
      await all;
    };
    close = async () => {
      await events.close();
      await queue.close();
      connection.disconnect();
    };
  } else {
    const { core, qb } = await load(kind);
    const wf = workflowOf(core);
    const engine = core.createEngine({
      plugins: [qb.bullmqDispatch({ connection: url, queuePrefix: 'd2', groups: ['d2'] })],
    });
    once = async () => {
      const r = await engine.run(wf, {}).result;
      if (r.status !== 'success' || r.outputs[`n${NODES - 1}`] !== (NODES - 1) * 2)
        throw new Error(`D2 run failed: ${r.error?.message}`);
    };
    close = () => engine.close();
  }
  // D2_TRACE=1: the workers' CPU of every run, warm-ups included (how it falls as each process warms up).
  const trace = [];
  const traced = async () => {
    const w = workersCpuMs();
    await once();
    if (process.env.D2_TRACE) trace.push(workersCpuMs() - w);
  };
  for (let k = 0; k < Number(warmS); k++) await traced();
  await admin.config('RESETSTAT');
  // D2_GC=1: the coordinator's garbage-collection pauses during the timed runs, by kind.
  const gc = {};
  const { PerformanceObserver, constants: pc } = await import('node:perf_hooks');
  const gcKinds = {
    [pc.NODE_PERFORMANCE_GC_MINOR]: 'minor',
    [pc.NODE_PERFORMANCE_GC_MAJOR]: 'major',
    [pc.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
    [pc.NODE_PERFORMANCE_GC_WEAKCB]: 'weak callbacks',
  };
  const gcObserver = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = gcKinds[e.detail?.kind] ?? 'other';
      gc[kind] = (gc[kind] ?? 0) + e.duration;
    }
  });
  if (process.env.D2_GC) gcObserver.observe({ entryTypes: ['gc'] });
  const c0 = process.cpuUsage();
  const w0 = workersCpuMs();
  const r0 = await redisCpuMs(admin);
  const t0 = performance.now();
  for (let k = 0; k < Number(runsS); k++) await traced();
  const wall = performance.now() - t0;
  const c1 = process.cpuUsage(c0);
  const w1 = workersCpuMs();
  const r1 = await redisCpuMs(admin);
  const per = 1000 / (NODES * Number(runsS));
  const calls = {};
  for (const m of (await admin.info('commandstats')).matchAll(/cmdstat_([^:]+):calls=(\d+),usec=(\d+)/g))
    calls[m[1]] = [Math.round(Number(m[2]) * per), Math.round(Number(m[3]) * per) / 1000];
  if (process.env.D2_CALLS) console.error(kind, JSON.stringify(calls));
  if (process.env.D2_GC) {
    gcObserver.disconnect();
    const perJobs = Object.fromEntries(Object.entries(gc).map(([k, v]) => [k, Math.round(v * per * 10) / 10]));
    console.error(kind, 'coordinator GC ms per 1,000 jobs:', JSON.stringify(perJobs));
  }
  if (process.env.D2_TRACE) console.error(kind, `workers' CPU ms per run (${NODES} jobs):`, trace.join(' '));
  console.log(
    JSON.stringify({
      coordinator: ((c1.user + c1.system) / 1000) * per,
      worker: (w1 - w0) * per,
      redis: (r1 - r0) * per,
      wall: wall * per,
    }),
  );
  await close();
  for (const worker of workers) worker.kill('SIGTERM');
  await exited;
  admin.disconnect();
  process.exit(0);
} else {
  const { startRedis } = await import('@flowlane/testing');
  const variants = process.argv
    .slice(2)
    .filter((a) => !a.startsWith('--'))
    .map((a) => (a.startsWith('raw') ? [a, a] : [a.split('=')[0], resolve(here, '..', a.split('=')[1])]));
  const procs = Number(opt('procs', 5));
  const prof = opt('prof', '-');
  const redis = await startRedis();
  const out = new Map(variants.map(([name]) => [name, []]));
  try {
    for (let p = 0; p < procs; p++)
      for (const [name, kind] of variants) {
        process.env.D2_WORKERS = opt('workers', '1');
        const args = [kind, redis.url, opt('concurrency', '16'), opt('runs', '10'), opt('warm', '2'), prof];
        const line = execFileSync(
          process.execPath,
          [...(prof === '-' ? [] : ['--cpu-prof', `--cpu-prof-dir=${prof}`]), self, '--coordinator', ...args],
          { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
        );
        const r = JSON.parse(line.trim().split('\n').at(-1));
        r.total = r.coordinator + r.worker + r.redis;
        out.get(name).push(r);
        console.error(name, JSON.stringify(Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Math.round(v)]))));
      }
  } finally {
    await redis.dispose();
  }
  const q = (xs, f) => Math.round(f([...xs].sort((a, b) => a - b)));
  const min = (s) => s[0];
  const med = (s) => s[Math.floor(s.length / 2)];
  console.log(
    `| variant | coordinator | worker | redis | total | wall ms | (ms per 1,000 jobs, min / median of ${procs} processes)`,
  );
  console.log('|---|--:|--:|--:|--:|--:|');
  for (const [name, rs] of out) {
    const cell = (k) =>
      `${q(
        rs.map((r) => r[k]),
        min,
      )} / ${q(
        rs.map((r) => r[k]),
        med,
      )}`;
    console.log(
      `| ${name} | ${cell('coordinator')} | ${cell('worker')} | ${cell('redis')} | ${cell('total')} | ${cell('wall')} |`,
    );
  }
}
