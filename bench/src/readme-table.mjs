#!/usr/bin/env node
// Prints the README's "Current numbers" table from a results file: one row per workload (full size), the floor's
// median (and the hand-written form that was tightest for async nodes), the no-Promise loop's ratio (the physical
// limit), and each system's ratio to the floor (peers as ms/node · ×, with @size when measured smaller). Rows that a
// later `--merge` re-measured show the floor of their own processes, and the rows they replaced are listed below the
// table as first measured. Then, where the rows carry the memory pass (100k-node workloads), its table: each system's
// peak RSS alone in its process, its ratio to the floor's measured the same way, and the heap a finished run keeps.
//   node src/readme-table.mjs [results/latest.json]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const file = process.argv[2] ?? join(import.meta.dirname, '..', 'results', 'latest.json');
const { results, node, machine } = JSON.parse(readFileSync(file, 'utf8'));
const rows = results.filter((r) => /^W\d/.test(r.workload));
const base = (w) => w.replace(/ @\d+$/, '');
const workloads = [...new Set(rows.map((r) => base(r.workload)))];
const SYSTEMS = ['loop', 'rxjs', 'flowlane', 'flowlane-plugins', 'pgraph', 'mastra', 'langgraph'];
const PEERS = new Set(['mastra', 'langgraph']);

const cell = (w, system) => {
  const all = rows.filter((r) => base(r.workload) === w && r.system === system);
  if (all.length === 0) return '—';
  const ok = all.find((r) => r.status.startsWith('ok'));
  const first = all[0];
  const note = first.status.startsWith('ok') ? '' : first.status.startsWith('skipped') ? 'skipped' : first.status;
  if (ok === undefined) return note;
  const at = ok.workload.match(/ @(\d+)$/)?.[1];
  const size = at === undefined ? '' : ` (@${at}${note === '' ? '' : `; ${note} at full size`})`;
  const own = ok.remeasured === undefined ? '' : ` (re-measured, floor ${ok.floorMs} ms in the same run)`;
  if (system === 'flowlane') return `**${ok.medianMs} ms · ${ok.ratioToFloor}×**${own}`;
  if (PEERS.has(system)) return `${ok.msPerNode} ms/node · ${Math.round(ok.ratioToFloor)}×${size}`;
  return `${ok.ratioToFloor}×${size}${own}`;
};

console.log(
  `Node ${node}, ${machine.mode} run, ${machine.cores} cores, ${machine.durationS} s${
    machine.merged
      ? `; merged later: ${machine.merged.map((m) => `${m.only}${m.systems ? ` (${m.systems})` : ''}`).join(', ')}`
      : ''
  }\n`,
);
const heading = (s) => (s === 'flowlane' ? '**flowlane**' : s === 'loop' ? 'loop (no Promise)' : s);
console.log(`| workload | floor ms (form) | ${SYSTEMS.map(heading).join(' | ')} |`);
console.log(`|---|--:|${SYSTEMS.map(() => '--:').join('|')}|`);
for (const w of workloads) {
  const floor = rows.find((r) => r.workload === w && r.system === 'floor');
  const form = floor?.floorForm === undefined || floor.floorForm === 'then' ? '' : ` (${floor.floorForm})`;
  console.log(`| ${w} | ${floor?.medianMs ?? '—'}${form} | ${SYSTEMS.map((s) => cell(w, s)).join(' | ')} |`);
}

// Rows a later `--merge` replaced, as they were first measured: a row that fell short stays on record.
const replaced = (machine.merged ?? []).flatMap((m) =>
  (m.replaced ?? [])
    .filter((r) => /^W\d/.test(r.workload) && r.system !== 'floor')
    .map((r) => ({ r, now: results.find((x) => x.workload === r.workload && x.system === r.system), m })),
);
if (replaced.length > 0) {
  console.log('\nRe-measured rows, as first measured and as re-measured (each with the floor of its own processes):\n');
  for (const { r, now, m } of replaced)
    console.log(
      `- ${r.workload} · ${r.system}: ${r.ratioToFloor ?? r.status}× (${r.medianMs} ms${r.floorMs === undefined ? '' : `, floor ${r.floorMs} ms`}) in the ${machine.mode} run → ${now?.ratioToFloor ?? now?.status ?? 'not re-measured'}× (${now?.medianMs} ms, floor ${now?.floorMs} ms) re-measured ${m.date.slice(0, 10)}`,
    );
}

// The memory pass (run.mjs, memory-worker.mjs): rows of the ≥ 100k-node workloads carry `peakRssMb` & co.
const memRows = rows.filter((r) => r.peakRssMb !== undefined);
if (memRows.length > 0) {
  console.log(
    '\nPeak RSS at 100k nodes (memory pass: a fresh process per system running only that system, ' +
      `${memRows[0].memoryProcs ?? '?'} processes, median; heap after a full GC):\n`,
  );
  console.log('| workload | system | peak RSS MB | × floor | heap built MB | + finished run MB | left after drop MB |');
  console.log('|---|---|--:|--:|--:|--:|--:|');
  for (const r of memRows)
    console.log(
      `| ${r.workload} | ${r.system} | ${r.peakRssMb} | ${r.peakRssRatio ?? '—'} | ${r.heapBuiltMb} | ${r.heapRunMb} | ${r.heapAfterDropMb} |`,
    );
}

// Flowlane's per-node speed-up over each peer (peer ms/node ÷ Flowlane ms/node; the peer's row may be at a reduced
// size, Flowlane's is at full size — at reduced sizes Flowlane is faster per node still, so this understates it).
console.log('\n| workload | Flowlane ms/node | × faster than mastra | × faster than langgraph |');
console.log('|---|--:|--:|--:|');
for (const w of workloads) {
  const f = rows.find((r) => r.workload === w && r.system === 'flowlane' && r.status.startsWith('ok'));
  if (f === undefined) continue;
  const vs = (peer) => {
    const p = rows.find((r) => base(r.workload) === w && r.system === peer && r.status.startsWith('ok'));
    return p === undefined ? '—' : `${Math.round(p.msPerNode / f.msPerNode)}×`;
  };
  console.log(`| ${w} | ${f.msPerNode} | ${vs('mastra')} | ${vs('langgraph')} |`);
}
