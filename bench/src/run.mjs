#!/usr/bin/env node
// Orchestrates the benchmark: one fresh child process per system × workload × variant (× process index), all on the
// same Node binary; prints the table and writes results/latest.json (results/quick.json with --quick).
//
// Options: --quick, --only=W1,S1 (workload id prefixes: W5 = W5a + W5b; S1 = the scheduler case;
// E1 = the metrics-exporter case; M1 = the live-monitor case; D1 = the durable-execution case; X1 = the SSH pool case),
// --systems=flowlane,rxjs, --procs=N, --node=system|PATH, --out=FILE, --merge (with --only: replace only the selected
// workloads' rows of the existing output file — with --systems too, only those systems' rows — keep the rest, and
// note the partial run under `machine.merged`, with the rows it replaced, as they were measured).
// Every row carries the floor measured in its own processes (`floorMs`, `floorForm`), so a merged row's ratio and
// floor come from the same run; a merged row is never put next to a floor measured under other conditions.
// `--key value` works as well as `--key=value`.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ID as DURABILITY_ID, durabilityTable, runDurability } from './durability.mjs';
import { ID as EXPORTERS_ID, exporterTable, runExporters } from './exporters.mjs';
import { ID as MONITOR_ID, monitorTable, runMonitor } from './monitor.mjs';
import { resolveNode } from './node-bin.mjs';
import { ensurePeers, PEER_SYSTEMS } from './peers.mjs';
import { runSchedulers, ID as SCHEDULERS_ID, schedulerTable } from './schedulers.mjs';
import { runSshPool, ID as SSH_POOL_ID, sshPoolTable } from './ssh-pool.mjs';
import { instantiate, VARIANTS, WORKLOADS } from './workloads.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const benchDir = resolve(here, '..');
const repoRoot = resolve(benchDir, '..');

const argv = process.argv.slice(2).filter((a) => a !== '--');
const args = Object.fromEntries(
  argv
    .map((a, i) => {
      if (!a.startsWith('--')) return undefined; // the value of the previous `--key value`
      const [k, v] = a.slice(2).split('=');
      const next = argv[i + 1];
      return [k, v ?? (next !== undefined && !next.startsWith('--') ? next : true)];
    })
    .filter((kv) => kv !== undefined),
);
const quick = args.quick === true;
const TIMEOUT_MS = 120_000;
const PEERS = new Set(['mastra', 'langgraph']);
const ALL_SYSTEMS = ['loop', 'rxjs', 'flowlane', 'flowlane-plugins', 'pgraph', 'mastra', 'langgraph'];
/** Flowlane with the plugin-runtime stack runs the workloads the issue-8 target covers (W1–W6). */
const PLUGINS_WORKLOADS = /^W[1-6]/;
const systems = typeof args.systems === 'string' ? args.systems.split(',') : ALL_SYSTEMS;
const only = typeof args.only === 'string' ? args.only.split(',') : undefined;
const selected = (id) => only === undefined || only.some((prefix) => id.startsWith(prefix));

/** Method settings. Full: the issue's method. Quick: the same harness with fewer repetitions, for development. */
const METHOD = quick
  ? { procs: 1, warmupMs: 300, reps: 11, peerProcs: 1, peerBudgetMs: 1500 }
  : { procs: 3, warmupMs: 500, reps: 31, peerProcs: 3, peerBudgetMs: 4000 };
if (args.procs !== undefined) METHOD.procs = METHOD.peerProcs = Number(args.procs);
/**
 * Quick mode runs the peers only on these (workload → size) at reduced size, plain functions only; W5 and p-graph
 * run with plain functions only.
 */
const QUICK_PEER_SIZES = { W1: 1000, W3: 1000, W4: 10 };
/** What V8 prints when a process dies of its heap limit (`FATAL ERROR: Reached heap limit …`, `node::Abort()`). */
const OUT_OF_MEMORY = /heap limit|heap out of memory|JavaScript heap|node::Abort\(\)|node-[\d.]+\/bin\/node\]/;
/** A slow peer (median run above this) is measured in one process: at 100×+ the floor, spread does not matter. */
const SLOW_RUN_MS = 1000;

/**
 * The memory pass: workloads of at least this many nodes per run get a peak-RSS measurement of their own, one fresh
 * process per system that runs only that system (memory-worker.mjs), so every system's peak — the floor's included — is
 * measured the same way.
 */
const MEMORY_MIN_NODES = 100_000;
/** Memory pass: processes per (workload, system) (median), and the same warm-up and measured runs for every system. */
const MEMORY = { procs: 3, warmupRuns: 3, runs: 5 };

function runChild(nodeBin, spec, script = 'worker.mjs', nodeArgs = []) {
  return new Promise((resolveChild) => {
    const child = spawn(nodeBin, [...nodeArgs, join(here, script), JSON.stringify(spec)], {
      cwd: benchDir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let timedOut = false;
    let timer;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, TIMEOUT_MS);
    };
    arm();
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      const s = String(d);
      if (s.includes('.')) arm();
      err += s.replace(/^\.+$/gm, '');
    });
    child.on('close', () => {
      clearTimeout(timer);
      if (timedOut) return resolveChild({ status: 'timeout', reason: `no run finished within ${TIMEOUT_MS / 1000} s` });
      const line = out.trim().split('\n').pop();
      try {
        resolveChild(JSON.parse(line));
      } catch {
        resolveChild({ status: 'failed', reason: `no result (stderr: ${err.trim().slice(-400)})` });
      }
    });
  });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? null : s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const round = (x, d = 3) => (x === null || x === undefined ? null : Number(x.toPrecision(d + 1)));

async function main() {
  const nodeBin = resolveNode(args.node);
  const nodeVersion = spawnSync(nodeBin, ['--version'], { encoding: 'utf8' }).stdout.trim();
  // The peer systems are a project of their own (bench/peers), installed on the first run that needs one.
  if (peersNeeded()) ensurePeers({ nodeBin });
  const started = Date.now();
  console.log(
    `Flowlane bench (${quick ? 'quick' : 'full'}): all systems on Node ${nodeVersion}; ${METHOD.procs} process(es) per ` +
      `system × workload, ${METHOD.warmupMs} ms warm-up, ${METHOD.reps} alternating floor/system repetitions, no gc().`,
  );
  const results = [];
  const timedOutAt = new Map(); // `${system}:${workload}` → smallest size that timed out

  for (const def of WORKLOADS) {
    if (!selected(def.id)) continue;
    for (const variant of VARIANTS) {
      const label = `${def.id} ${def.name} (${variant})`;
      const floorRuns = [];
      const rows = [];
      for (const system of systems) {
        const peer = PEERS.has(system);
        const sizes = [];
        if (quick && variant === 'async' && (system === 'pgraph' || def.id.startsWith('W5'))) continue;
        if (system === 'flowlane-plugins' && !PLUGINS_WORKLOADS.test(def.id)) continue;
        if (quick && peer) {
          if (variant !== 'plain' || QUICK_PEER_SIZES[def.id] === undefined) continue;
          sizes.push(QUICK_PEER_SIZES[def.id]);
        } else {
          for (let s = def.size; s >= Math.max(1, def.size / 100); s = Math.round(s / 10)) sizes.push(s);
        }
        for (const size of sizes) {
          const workload = size === def.size ? label : `${label} @${size}`;
          const key = `${system}:${def.id}`;
          if (timedOutAt.has(key) && timedOutAt.get(key) <= size) {
            results.push(
              row(workload, system, null, 'skipped: the other variant timed out (or ran out of memory) at this size'),
            );
            continue;
          }
          const spec = {
            system,
            workload: def.id,
            variant,
            size,
            warmupMs: METHOD.warmupMs,
            minReps: peer ? 3 : METHOD.reps,
            maxReps: METHOD.reps,
            budgetMs: peer ? METHOD.peerBudgetMs : Number.POSITIVE_INFINITY,
          };
          const procs = peer ? METHOD.peerProcs : METHOD.procs;
          const runs = [];
          let failure;
          for (let p = 0; p < procs; p++) {
            const r = await runChild(nodeBin, spec);
            if (r.status !== 'ok') {
              failure = r;
              break;
            }
            runs.push(r);
            if (peer && r.systemMs > SLOW_RUN_MS) break;
          }
          if (failure !== undefined) {
            // A child that died of V8's heap limit (a peer at 100k nodes) is treated like a timeout: recorded, then
            // measured at the next smaller size.
            const oom = failure.status === 'failed' && OUT_OF_MEMORY.test(failure.reason ?? '');
            const status =
              failure.status === 'skipped'
                ? `skipped: ${failure.reason}`
                : oom
                  ? 'failed: out of memory (V8 heap limit)'
                  : failure.status;
            if (failure.status === 'timeout' || oom) timedOutAt.set(key, size);
            results.push(row(workload, system, failure.version ?? null, status));
            printLive(results.at(-1), failure.reason);
            if (failure.status === 'timeout' || oom) continue; // measure at the next smaller size
            break;
          }
          if (size === def.size) floorRuns.push(...runs);
          const w = instantiate(def.id, variant, size);
          const sysMs = median(runs.map((r) => r.systemMs));
          const ratio = median(runs.map((r) => r.systemMs / r.floorMs));
          results.push({
            workload,
            system,
            version: runs[0].version,
            medianMs: round(sysMs),
            msPerNode: round(sysMs / w.totalNodes),
            rssMb: round(median(runs.map((r) => r.rssMb))),
            ratioToFloor: round(ratio),
            floorMs: round(median(runs.map((r) => r.floorMs))),
            floorForm: formsOf(runs),
            status: 'ok',
          });
          if (size !== def.size) {
            // the floor at the reduced size, measured in the same processes
            const f = median(runs.map((r) => r.floorMs));
            results.at(-1).status = `ok (floor ${round(f)} ms at this size)`;
          }
          printLive(results.at(-1));
          break; // finished at this size: the largest it finishes
        }
      }
      if (floorRuns.length > 0) {
        const w = instantiate(def.id, variant, def.size);
        const f = median(floorRuns.map((r) => r.floorMs));
        const floorRow = {
          workload: label,
          system: 'floor',
          version: 'hand-written',
          medianMs: round(f),
          msPerNode: round(f / w.totalNodes),
          rssMb: round(median(floorRuns.map((r) => r.floorRssMb))),
          ratioToFloor: 1,
          floorMs: round(f),
          floorForm: formsOf(floorRuns),
          ...trialOf(floorRuns),
          status: 'ok',
        };
        rows.push(floorRow);
        printLive(floorRow);
      }
      const firstOfWorkload = results.findIndex((r) => r.workload.startsWith(label));
      results.splice(firstOfWorkload === -1 ? results.length : firstOfWorkload, 0, ...rows);
      if (floorRuns.length > 0 && def.size >= MEMORY_MIN_NODES) {
        const measured = results.filter((r) => r.workload === label && r.status === 'ok');
        await memoryPass(nodeBin, def.id, variant, measured, formsOf(floorRuns).split('/')[0]);
      }
    }
  }
  // What the Flowlane-only ratio cases below (S1, E1, M1, D1) are given to run their child processes and report.
  const caseCtx = {
    runChild: (spec) => runChild(nodeBin, spec),
    method: METHOD,
    variants: VARIANTS,
    median,
    round,
    print: printLive,
  };
  // S1: each scheduler plugin on W3's DAG as a ratio to the FIFO scheduler (schedulers.mjs); a Flowlane-only case.
  if (selected(SCHEDULERS_ID) && systems.includes('flowlane')) results.push(...(await runSchedulers(caseCtx)));
  // E1: each metrics exporter on W3's DAG as a ratio to no exporter (exporters.mjs); a Flowlane-only case.
  if (selected(EXPORTERS_ID) && systems.includes('flowlane')) results.push(...(await runExporters(caseCtx)));

  // M1: the live monitor (no client, a client that never reads) on W3's DAG as a ratio to no monitor (monitor.mjs).
  if (selected(MONITOR_ID) && systems.includes('flowlane')) results.push(...(await runMonitor(caseCtx)));

  // D1: the execution log's cost (no store / memory / Redis) on W1, W3, W4 (durability.mjs); a Flowlane-only case.
  if (selected(DURABILITY_ID) && systems.includes('flowlane')) results.push(...(await runDurability(caseCtx)));

  // X1: the SSH executor's connection pool against a new connection per command, on a real OpenSSH server.
  if (selected(SSH_POOL_ID) && systems.includes('flowlane'))
    results.push(
      ...(await runSshPool({
        nodeBin,
        quick,
        round,
        print: printLive,
        version: JSON.parse(readFileSync(join(repoRoot, 'plugins/executor-ssh/package.json'), 'utf8')).version,
      })),
    );

  const report = {
    machine: {
      cpu: os.cpus()[0]?.model ?? 'unknown',
      cores: os.availableParallelism(),
      memGb: round(os.totalmem() / 2 ** 30, 2),
      os: `${os.type()} ${os.release()} ${os.arch()}`,
      mode: quick ? 'quick' : 'full',
      durationS: Math.round((Date.now() - started) / 1000),
    },
    node: nodeVersion,
    date: new Date().toISOString(),
    results,
  };
  const outFile =
    typeof args.out === 'string' ? resolve(args.out) : join(benchDir, 'results', quick ? 'quick.json' : 'latest.json');
  mkdirSync(dirname(outFile), { recursive: true });
  const written = args.merge === true && only !== undefined && existsSync(outFile) ? merge(outFile, report) : report;
  writeFileSync(outFile, `${JSON.stringify(written, null, 2)}\n`);
  console.log(`\n${table(results)}\n`);
  const sched = schedulerTable(results);
  if (sched !== '') console.log(`${sched}\n`);
  const exp = exporterTable(results);
  if (exp !== '') console.log(`${exp}\n`);
  const mon = monitorTable(results);
  if (mon !== '') console.log(`${mon}\n`);
  const dur = durabilityTable(results);
  if (dur !== '') console.log(`${dur}\n`);
  const ssh = sshPoolTable(results);
  if (ssh !== '') console.log(`${ssh}\n`);
  console.log(`Wrote ${outFile} in ${report.machine.durationS} s.`);
  const failed = results.filter((r) => r.status === 'failed');
  if (failed.length > 0) {
    console.error(`${failed.length} failed: ${failed.map((r) => `${r.workload} / ${r.system}`).join('; ')}`);
    process.exitCode = 1;
  }
}

/**
 * The memory pass of one workload × variant (rows: its full-size `ok` rows, the floor's first): for each system, MEMORY.procs
 * fresh processes that run only that system (started alternately: floor, a, b, floor, …), each the same warm-up and
 * measured runs, checked. Adds to each row `peakRssMb` (median of the processes' maxRSS), `peakRssRatio` (÷ the
 * floor's, measured the same way), and the heap after a full GC: `heapBuiltMb` (system + built workflow, before any
 * run), `heapRunMb` (added by a finished run while it is referenced), `heapAfterDropMb` (left once it is dropped).
 */
async function memoryPass(nodeBin, workload, variant, rows, floorForm) {
  const all = new Map(rows.map((r) => [r.system, []]));
  for (let p = 0; p < MEMORY.procs; p++)
    for (const r of rows) {
      const spec = { system: r.system, workload, variant, form: floorForm, ...MEMORY };
      const m = await runChild(nodeBin, spec, 'memory-worker.mjs', ['--expose-gc']);
      if (m.status === 'ok') all.get(r.system).push(m);
      else console.log(`  memory pass ${workload} (${variant}) · ${r.system}: ${m.status} ${m.reason ?? ''}`);
    }
  const floorPeak = median((all.get('floor') ?? []).map((m) => m.peakRssMb));
  for (const r of rows) {
    const ms = all.get(r.system);
    if (ms.length === 0) continue;
    const of = (k) => round(median(ms.map((m) => m[k])));
    r.peakRssMb = of('peakRssMb');
    r.peakRssRatio = floorPeak === null ? null : round(median(ms.map((m) => m.peakRssMb)) / floorPeak);
    r.heapBuiltMb = of('heapBuiltMb');
    r.heapRunMb = of('heapRunMb');
    r.heapAfterDropMb = of('heapAfterDropMb');
    r.memoryProcs = ms.length;
    console.log(
      `  memory ${r.workload} · ${r.system}: peak RSS ${r.peakRssMb} MB ×${r.peakRssRatio} floor ` +
        `(${ms.map((m) => Math.round(m.peakRssMb)).join('/')}); heap built ${r.heapBuiltMb} MB, run +${r.heapRunMb} MB, ` +
        `after drop +${r.heapAfterDropMb} MB`,
    );
  }
}

/** Whether this run measures a peer system (p-graph, Mastra, LangGraph) on any workload (S1/E1/X1 are Flowlane-only). */
function peersNeeded() {
  return WORKLOADS.some(
    (def) =>
      selected(def.id) &&
      systems.some((s) => PEER_SYSTEMS.has(s) && (!quick || !PEERS.has(s) || QUICK_PEER_SIZES[def.id] !== undefined)),
  );
}

/** `--merge`: the existing report with the selected workloads' rows replaced by this run's (in place, else appended). */
function merge(file, report) {
  const old = JSON.parse(readFileSync(file, 'utf8'));
  // With --systems, only those systems' rows of the selected workloads are replaced (the floor rows stay: they are
  // the median over every process of the workload in the original run; each merged row brings its own `floorMs`,
  // measured in its own processes, and readme-table.mjs shows it beside the row).
  const mergedSystems = typeof args.systems === 'string' ? new Set(args.systems.split(',')) : undefined;
  const replacedRow = (r) =>
    selected(r.workload.split(' ')[0]) && (mergedSystems === undefined || mergedSystems.has(r.system));
  if (mergedSystems !== undefined) report.results = report.results.filter((r) => mergedSystems.has(r.system));
  const replaced = replacedRow;
  const at = old.results.findIndex(replaced);
  const kept = old.results.filter((r) => !replaced(r));
  // The rows this run replaces stay in the file as they were measured (`machine.merged[].replaced`): a row that fell
  // short in the full run is still reported (readme-table.mjs prints both), not silently swapped for a better one.
  const sameMerge = (m) => m.only === only.join(',') && (m.systems ?? null) === (mergedSystems ? args.systems : null);
  // Merging the same selection again keeps the rows of the full run as first measured, not the previous merge's.
  const replacedRows = (old.machine.merged ?? []).find(sameMerge)?.replaced ?? old.results.filter(replaced);
  for (const r of report.results) r.remeasured = report.date;
  const results = at === -1 ? [...kept, ...report.results] : kept.toSpliced(at, 0, ...report.results);
  const { mode, durationS } = report.machine;
  const merged = [
    ...(old.machine.merged ?? []).filter((m) => !sameMerge(m)),
    {
      only: only.join(','),
      ...(mergedSystems ? { systems: args.systems } : {}),
      mode,
      durationS,
      node: report.node,
      date: report.date,
      replaced: replacedRows,
    },
  ];
  return { ...old, machine: { ...old.machine, merged }, results };
}

/** The floor form(s) the processes used (`then`, `await`, `direct`; several when processes chose differently). */
function formsOf(runs) {
  return [...new Set(runs.map((r) => r.floorForm ?? 'then'))].join('/');
}

/** Each floor form's trial median (ms), the median over the processes that tried it (async workloads only). */
function trialOf(runs) {
  const forms = {};
  for (const r of runs) for (const [f, ms] of Object.entries(r.floorForms ?? {})) (forms[f] ??= []).push(ms);
  const names = Object.keys(forms);
  return names.length === 0 ? {} : { floorForms: Object.fromEntries(names.map((f) => [f, round(median(forms[f]))])) };
}

function row(workload, system, version, status) {
  return { workload, system, version, medianMs: null, msPerNode: null, rssMb: null, ratioToFloor: null, status };
}

function printLive(r, reason) {
  const ms = r.medianMs === null ? '—' : `${r.medianMs} ms`;
  const ratio =
    (r.ratioToFloor === null ? '' : ` ×${r.ratioToFloor}`) +
    (r.ratioToFifo === undefined || r.ratioToFifo === null ? '' : ` (×${r.ratioToFifo} fifo)`) +
    (r.ratioToNone === undefined || r.ratioToNone === null ? '' : ` (×${r.ratioToNone} none)`);
  console.log(`  ${r.workload} · ${r.system}: ${ms}${ratio} ${r.status}${reason ? ` (${reason})` : ''}`);
}

function table(rows) {
  const head = [
    'workload',
    'system',
    'median ms',
    'ms/node',
    'RSS MB (timing proc)',
    '× floor',
    'floor ms (same procs)',
    'status',
    'peak RSS MB alone (× floor) · run heap MB',
  ];
  const fmt = (x) => (x === null || x === undefined ? '—' : String(x));
  const body = rows.map((r) => [
    r.workload,
    r.system,
    fmt(r.medianMs),
    fmt(r.msPerNode),
    fmt(r.rssMb),
    fmt(r.ratioToFloor),
    r.floorMs === undefined ? '—' : `${r.floorMs}${r.floorForm && r.floorForm !== 'then' ? ` (${r.floorForm})` : ''}`,
    r.status,
    r.peakRssMb === undefined ? '—' : `${r.peakRssMb} (×${r.peakRssRatio}) · +${r.heapRunMb}`,
  ]);
  const widths = head.map((h, k) => Math.max(h.length, ...body.map((b) => b[k].length)));
  const line = (cells) =>
    `| ${cells.map((c, k) => (k >= 2 && k <= 6 ? c.padStart(widths[k]) : c.padEnd(widths[k]))).join(' | ')} |`;
  return [
    line(head),
    `|${widths.map((n, k) => (k >= 2 && k <= 6 ? `${'-'.repeat(n + 1)}:` : '-'.repeat(n + 2))).join('|')}|`,
    ...body.map(line),
  ].join('\n');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
