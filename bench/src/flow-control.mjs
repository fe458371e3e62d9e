// F1 (issue 20): flow control between runs. Two figures, in-process, on the engine's default (asyncScheduler) clock:
// 1. Admission overhead: N one-node runs started at once and awaited, flow control off (a plain workflow) vs on
//    (`concurrency: { key, limit: 1_000 }` over 100 keys + `rateLimit` with a limit never reached + `fairness`), so
//    every run goes through the gate's queue, a slot and a window without waiting. Alternating off/on repetitions
//    after a warm-up; median per run, and on ÷ off (goal ≤ 1.2).
// 2. Fairness: one key floods 10,000 runs, 9 keys submit 10 each after it, `maxConcurrentRuns: 4`, each run a
//    1 ms real-time node; reports after how many of the flood's runs the last small-key run finished (goal < 200).
// Usage: node src/flow-control.mjs [--runs=20000] [--reps=7]   (prints a JSON row; --merge writes results/flow-control.json)
import { writeFileSync } from 'node:fs';
import { createEngine, workflow } from '@flowlane/core';

const arg = (name, dflt) => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a === undefined ? dflt : Number(a.split('=')[1]);
};
const N = arg('runs', 20_000);
const REPS = arg('reps', 7);
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const plain = workflow('plain')
  .input()
  .addNode('n', (ctx) => ctx.input.i + 1)
  .build();
const gated = workflow('gated', {
  concurrency: { key: (ctx) => ctx.input.i % 100, limit: 1_000 },
  rateLimit: { key: (ctx) => ctx.input.i % 100, limit: 1_000_000, period: 60_000 },
  fairness: 'round-robin',
})
  .input()
  .addNode('n', (ctx) => ctx.input.i + 1)
  .build();

async function once(wf) {
  const engine = createEngine({ logger: quiet });
  const t0 = performance.now();
  const runs = [];
  for (let i = 0; i < N; i++) runs.push(engine.run(wf, { i }).result);
  const results = await Promise.all(runs);
  const ms = performance.now() - t0;
  for (const r of results) if (r.status !== 'success') throw new Error(`run ${r.executionId}: ${r.status}`);
  await engine.close();
  return ms;
}

async function overhead() {
  await once(plain);
  await once(gated);
  const off = [];
  const on = [];
  for (let k = 0; k < REPS; k++) {
    off.push(await once(plain));
    on.push(await once(gated));
  }
  const offMs = median(off);
  const onMs = median(on);
  return {
    runs: N,
    reps: REPS,
    offUsPerRun: Math.round((offMs * 1000) / N) / 1,
    onUsPerRun: Math.round((onMs * 1000) / N) / 1,
    ratio: Math.round((onMs / offMs) * 100) / 100,
  };
}

async function fairness() {
  const engine = createEngine({ logger: quiet, maxConcurrentRuns: 4 });
  let floodDone = 0;
  let lastSmallAt = -1;
  let smallDone = 0;
  const wf = workflow('tenants', { concurrency: { key: (ctx) => ctx.input.tenant, limit: 4 } })
    .input()
    .addNode('work', async (ctx) => {
      await new Promise((r) => setTimeout(r, 1));
      if (ctx.input.tenant === 'flood') floodDone++;
      else {
        smallDone++;
        lastSmallAt = floodDone;
      }
    })
    .build();
  const runs = [];
  for (let i = 0; i < 10_000; i++) runs.push(engine.run(wf, { tenant: 'flood' }).result);
  for (let t = 1; t <= 9; t++) for (let i = 0; i < 10; i++) runs.push(engine.run(wf, { tenant: `t${t}` }).result);
  // Stop once every small run finished (the rest of the flood is cancelled by close).
  while (smallDone < 90) await new Promise((r) => setTimeout(r, 5));
  await engine.close();
  await Promise.all(runs);
  return {
    floodRuns: 10_000,
    smallKeys: 9,
    smallRunsEach: 10,
    maxConcurrentRuns: 4,
    floodFinishedWhenLastSmallFinished: lastSmallAt,
  };
}

const row = { id: 'F1', node: process.version, overhead: await overhead(), fairness: await fairness() };
console.log(JSON.stringify(row, null, 2));
if (process.argv.includes('--merge'))
  writeFileSync(new URL('../results/flow-control.json', import.meta.url), `${JSON.stringify(row, null, 2)}\n`);
