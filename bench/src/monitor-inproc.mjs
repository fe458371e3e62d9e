// M1's in-process A/B (issue 17): three engines in ONE process — no plugin, a `fold` run watcher (`run.summary()` of
// each settled run) and `monitor({ port: 0, token })` with no client — run W3 (10k nodes, seed 42) in turn, the order
// rotating every round, each timed run's CPU time (`process.cpuUsage()`, user + system, one `setImmediate` turn after
// the run included) kept per engine. Load changes hit the three alike (they alternate every few ms), so this shows the
// monitor's own per-run work against `fold`'s; what a plugin costs the whole process (memory kept, modules loaded) is
// shared by the three and is NOT in these figures — that is what `src/monitor-cpu.mjs` (one process per case) measures.
//
//   node src/monitor-inproc.mjs [--variant plain|async] [--rounds 90] [--warmup 10] [--max-events 200000]
import { parseArgs } from 'node:util';
import { definePlugin } from '@flowlane/core';
import { monitor } from '@flowlane/monitor';
import { prepare } from './systems/flowlane.mjs';
import { instantiate } from './workloads.mjs';

const { values: a } = parseArgs({
  options: {
    variant: { type: 'string', default: 'async' },
    rounds: { type: 'string', default: '90' },
    warmup: { type: 'string', default: '10' },
    'max-events': { type: 'string', default: '200000' },
  },
});
const tick = () => new Promise((r) => setImmediate(r));
const median = (xs) => {
  const s = [...xs].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fold = definePlugin({
  name: 'fold',
  version: '0.0.0',
  flowlane: '>=0.0.0',
  setup(api) {
    api.watchRuns({ name: 'fold', started() {}, settled: (run) => void run.summary() });
  },
});
const mon = monitor({ port: 0, token: 'bench-token-0123456789', maxEvents: Number(a['max-events']) });
const cases = { none: [], fold: [fold], monitor: [mon] };
const keys = Object.keys(cases);
const impls = {};
for (const k of keys) {
  impls[k] = prepare(instantiate('W3', a.variant), { engine: { plugins: cases[k] } });
  await impls[k].engine.ready();
}
const cpu = Object.fromEntries(keys.map((k) => [k, []]));
const warm = Number(a.warmup);
for (let r = 0; r < warm + Number(a.rounds); r++)
  for (let j = 0; j < keys.length; j++) {
    const k = keys[(j + r) % keys.length];
    const c0 = process.cpuUsage();
    const out = await impls[k].run();
    await tick();
    const c = process.cpuUsage(c0);
    if (out[0][1].status !== 'success') throw new Error('run failed');
    if (r >= warm) cpu[k].push((c.user + c.system) / 1000);
  }
for (const k of keys) await impls[k].close();
const none = median(cpu.none);
console.log(
  `W3-10k ${a.variant} on Node ${process.version}, one process, ${a.rounds} rounds: CPU ms per run (median, min)\n${keys
    .map(
      (k) =>
        `  ${k.padEnd(8)} ${median(cpu[k]).toFixed(2).padStart(6)} ×none ${(median(cpu[k]) / none).toFixed(3)}   min ${Math.min(...cpu[k]).toFixed(2)}`,
    )
    .join('\n')}`,
);
