// M1's CPU-time A/B (issue 17): process CPU time (`process.cpuUsage()`, user + system) per run of W3 (10k nodes,
// seed 42), plain or async, in one process per (case, repetition). Wall-clock medians of different processes were
// noise on the loaded 2-core machine; CPU time is far less sensitive to other sessions' load. Each timed run
// includes one `setImmediate` turn after the run settles, so the monitor's deferred work (its flush) is counted.
//
//   node src/monitor-cpu.mjs [--repeats 7] [--runs 40] [--warmup 10] [--variants plain,async]
//                            [--cases none,none2,noop,watch,fold,folddesc,wsload,http,hub,monitor,…,fast,slow]
//                            [--node system|PATH] [--alt-monitor path/to/dist/index.js]  (default: Node 24, as `pnpm bench`)
//
// Cases: none = createEngine() (any other unknown name too: `none2` is an A/A control); noop = an exporter whose
// handle() does nothing (the cost of any exporter hook, which makes core build every event object); watch = a run
// watcher (`api.watchRuns`) that does nothing; fold = a run watcher that asks core for each settled run's summary
// (`run.summary()`, read from the compact log) — the floor of the monitor's approach; folddesc = `fold` that also
// reads each run's graph when it starts (`api.describeRun`, as the monitor did before `api.runGraph`: core builds the
// description once per workflow and keeps it, ≈ 4.9 MB of objects for W3); foldgraph = `fold` that takes each run's
// graph handle when it starts and reads its executors (`api.runGraph(id).executors()`, as the monitor does now:
// nothing is described);
// wsload = `fold` with `@flowlane/monitor` (and `ws`) imported but unused; http = `fold` plus an idle listening
// `http.Server`; hub = the monitor attached to an `http.Server` that never listens (recorder, hub, `ws` server, no
// listening socket); monitor = monitor({ port: 0, token }), no client; monitor1 = the same with `maxEvents: 1` (keeps
// no settled run); monitor-nohb = `monitor` with `heartbeatInterval: 0` (no timer); fast = `monitor` plus a `ws` client in a separate process,
// subscribed to everything and reading every message (its CPU is not in the engine process's figure); each run waits
// until the client has read the previous run's last event; slow = the monitor with a `ws` client in a separate process,
// subscribed to everything, whose socket is paused right after subscribing: with maxBufferedBytes 256 KiB (as in M1)
// it is dropped (close code 4008) within the first (warm-up) runs — checked at the end.
// Processes are started alternately (case A, B, C, … then again); a case's figure is the minimum over repetitions of
// each process's median per-run CPU time, its median, and `paired`: the median over repetitions of the process's
// median ÷ that repetition's `none` (started next to it). `--heap` (a `--child` run under `--expose-gc`): prints the
// heap the process keeps after its runs (two `gc()`), e.g. `node --expose-gc src/monitor-cpu.mjs --child monitor --heap`.
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { resolveNode } from './node-bin.mjs';

const { values: a } = parseArgs({
  options: {
    child: { type: 'string' },
    node: { type: 'string' },
    'alt-monitor': { type: 'string' },
    variant: { type: 'string', default: 'plain' },
    variants: { type: 'string', default: 'plain,async' },
    cases: { type: 'string', default: 'none,noop,monitor,fast,slow' },
    heap: { type: 'boolean', default: false },
    repeats: { type: 'string', default: '7' },
    runs: { type: 'string', default: '40' },
    warmup: { type: 'string', default: '10' },
  },
});

const TOKEN = 'bench-token-0123456789';
const tick = () => new Promise((r) => setImmediate(r));
const median = (xs) => {
  const s = [...xs].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function child(key, variant) {
  const { instantiate } = await import('./workloads.mjs');
  const { prepare } = await import('./systems/flowlane.mjs');
  const w = instantiate('W3', variant);
  let plugins = [];
  let mon;
  if (key === 'noop') {
    const { definePlugin } = await import('@flowlane/core');
    plugins = [
      definePlugin({
        name: 'noop-exporter',
        version: '0.0.0',
        flowlane: '>=0.0.0',
        setup(api) {
          api.metrics.addExporter({ name: 'noop', handle() {} });
        },
      }),
    ];
  } else if (key === 'watch' || key === 'fold' || key === 'wsload' || key === 'folddesc' || key === 'foldgraph') {
    // `folddesc`: `fold` that also reads each run's graph when it starts (`api.describeRun`), as the monitor did;
    // `foldgraph`: `fold` that takes each run's graph handle and its executors (`api.runGraph`), as it does now.
    // `wsload`: `fold` with the monitor's modules (and `ws`) loaded but not used.
    // The floor of the monitor's approach: a run watcher that does nothing (`watch`), or that only asks core for
    // each settled run's summary (`fold`: what the monitor adds to the report per run).
    const { definePlugin } = await import('@flowlane/core');
    if (key === 'wsload') await import('@flowlane/monitor');
    plugins = [
      definePlugin({
        name: 'watch',
        version: '0.0.0',
        flowlane: '>=0.0.0',
        setup(api) {
          api.watchRuns({
            name: 'watch',
            started:
              key === 'folddesc'
                ? (run) => void api.describeRun(run.executionId)
                : key === 'foldgraph'
                  ? (run) => void api.runGraph(run.executionId)?.executors()
                  : () => {},
            settled: key === 'watch' ? () => {} : (run) => void run.summary(),
          });
        },
      }),
    ];
  } else if (key === 'http' || key === 'hub') {
    // Isolation cases: `http` = `fold` plus an idle listening `http.Server`; `hub` = the monitor attached to an
    // `http.Server` that never listens (recorder, hub and `ws` server, no listening socket).
    // (`getBuiltinModule`, as the monitor: an ES import of `node:http` loads undici, `http2` and `assert` on Node 22+.)
    const { createServer } = process.getBuiltinModule('node:http');
    const srv = createServer();
    if (key === 'http') {
      await new Promise((r) => srv.listen(0, '127.0.0.1', r));
      const { definePlugin } = await import('@flowlane/core');
      plugins = [
        definePlugin({
          name: 'watch',
          version: '0.0.0',
          flowlane: '>=0.0.0',
          setup(api) {
            api.watchRuns({ name: 'watch', started() {}, settled: (run) => void run.summary() });
            return () => new Promise((r) => srv.close(r));
          },
        }),
      ];
    } else {
      const { monitor } = await import('@flowlane/monitor');
      mon = monitor({ server: srv, token: TOKEN });
      plugins = [mon];
    }
  } else if (key.startsWith('monitor') || key.startsWith('fast') || key.startsWith('slow')) {
    // `monitor-alt` / `fast-alt`: the same with another build of the package (`--alt-monitor path/to/index.js`),
    // to A/B two implementations.
    const { monitor } = await import(key.endsWith('-alt') ? pathToFileURL(a['alt-monitor']).href : '@flowlane/monitor');
    mon = monitor({
      port: 0,
      token: TOKEN,
      maxBufferedBytes: (key.startsWith('slow') ? 256 : 64 * 1024) * 1024,
      // `monitor1`: keeps no settled run (each is folded into the report and evicted as it settles).
      ...(key === 'monitor1' ? { maxEvents: 1 } : {}),
      // `monitor-nohb`: no heartbeat timer.
      ...(key === 'monitor-nohb' ? { heartbeatInterval: 0 } : {}),
    });
    plugins = [mon];
  }
  const impl = prepare(w, { engine: { plugins } });
  await impl.engine.ready();
  let reader;
  if (key.startsWith('fast') || key.startsWith('slow')) {
    const mode = key.startsWith('slow') ? 'slow' : 'reader';
    reader = spawn(process.execPath, [fileURLToPath(import.meta.url), '--child', `${mode}:${mon.url}`], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise((resolve, reject) => {
      reader.stdout.once('data', resolve);
      reader.once('exit', (c) => reject(new Error(`reader exited ${c}`)));
    });
  }
  const runs = Number(a.runs);
  const warm = Number(a.warmup);
  const cpu = [];
  for (let r = 0; r < warm + runs; r++) {
    const c0 = process.cpuUsage();
    // `fast`: the next run starts once the client has read this one's last event (it keeps up; it is never dropped).
    const read =
      reader === undefined || key.startsWith('slow') ? undefined : new Promise((r) => reader.stdout.once('data', r));
    const out = await impl.run();
    await tick();
    await read;
    const c = process.cpuUsage(c0);
    if (out[0][1].status !== 'success') throw new Error('run failed');
    if (r >= warm) cpu.push((c.user + c.system) / 1000);
  }
  // `--heap` (with `--expose-gc`, `--child` only): the heap after the runs, collected twice — what the process keeps.
  if (a.heap) {
    globalThis.gc();
    globalThis.gc();
    const m = process.memoryUsage();
    process.stderr.write(
      `${key} ${variant}: heap used ${(m.heapUsed / 1e6).toFixed(2)} MB, external ${(m.external / 1e6).toFixed(2)} MB\n`,
    );
  }
  await impl.close();
  if (reader !== undefined && reader.exitCode === null && reader.signalCode === null) {
    // (A dropped or closed client's process has exited already.)
    const exited = new Promise((r) => reader.once('exit', r));
    reader.kill();
    await exited;
  }
  if (mon !== undefined && mon.stats().events < (warm + runs) * 2 * w.graph.n) throw new Error('events missing');
  if (key.startsWith('fast') && mon.stats().droppedSlowClients !== 0) throw new Error('fast client dropped');
  if (key.startsWith('slow') && mon.stats().droppedSlowClients !== 1)
    throw new Error(`slow client not dropped: ${JSON.stringify(mon.stats())} reader exit ${reader.exitCode}`);
  process.stdout.write(`${JSON.stringify({ key, variant, median: median(cpu), min: Math.min(...cpu) })}\n`);
}

async function reader(url, slow) {
  const { default: WebSocket } = await import('ws');
  const ws = new WebSocket(`${url.replace('http', 'ws')}/ws`, { headers: { authorization: `Bearer ${TOKEN}` } });
  ws.on('message', (data) => {
    const text = String(data);
    if (text.startsWith('{"type":"runs"')) {
      // slow: stops reading, so the monitor's send buffer for it fills up (`ws.pause()`: pausing the raw socket is
      // undone by ws when its receiver drains).
      if (slow) ws.pause();
      process.stdout.write('subscribed\n');
    } else if (text.includes('"type":"workflow.completed"')) process.stdout.write('run\n');
  });
  ws.on('open', () => ws.send(JSON.stringify({ type: 'subscribe', all: true })));
  // A paused socket does not keep the process alive: this does, until the monitor closes the connection.
  setInterval(() => undefined, 60_000);
  ws.on('close', () => process.exit(0));
}

let nodeBin;
const nodeVersion = () => spawnSync(nodeBin, ['-p', 'process.version'], { encoding: 'utf8' }).stdout.trim();
function runChild(key, variant) {
  nodeBin ??= resolveNode(a.node);
  return new Promise((resolve, reject) => {
    const p = spawn(
      nodeBin,
      [
        fileURLToPath(import.meta.url),
        '--child',
        key,
        '--variant',
        variant,
        '--runs',
        a.runs,
        '--warmup',
        a.warmup,
        ...(a['alt-monitor'] === undefined ? [] : ['--alt-monitor', a['alt-monitor']]),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.once('exit', (code) =>
      code === 0
        ? resolve(JSON.parse(out.trim().split('\n').pop()))
        : reject(new Error(`${key} ${variant}: exit ${code}`)),
    );
  });
}

if (a.child?.startsWith('reader:')) await reader(a.child.slice('reader:'.length), false);
else if (a.child?.startsWith('slow:')) await reader(a.child.slice('slow:'.length), true);
else if (a.child !== undefined) await child(a.child, a.variant);
else {
  const cases = a.cases.split(',');
  for (const variant of a.variants.split(',')) {
    const best = Object.fromEntries(cases.map((k) => [k, []]));
    for (let r = 0; r < Number(a.repeats); r++)
      for (const k of cases) best[k].push((await runChild(k, variant)).median);
    const none = Math.min(...(best.none ?? [Number.NaN]));
    const medNone = median(best.none ?? [Number.NaN]);
    console.log(
      `W3-10k ${variant} on Node ${nodeVersion()}: CPU ms per run (min, and median, over ${a.repeats} processes of each one's median)`,
    );
    for (const k of cases) {
      const m = Math.min(...best[k]);
      // Paired: each repetition's process median ÷ `none`'s of the same repetition (started next to it), median.
      const paired = best.none === undefined ? Number.NaN : median(best[k].map((x, r) => x / best.none[r]));
      console.log(
        `  ${k.padEnd(8)} ${m.toFixed(2).padStart(7)} ms  ×none ${(m / none).toFixed(3)}   median ${median(best[k]).toFixed(2)} ms ×none ${(median(best[k]) / medNone).toFixed(3)}   paired ×none ${paired.toFixed(3)}   all: ${best[k].map((x) => x.toFixed(1)).join(' ')}`,
      );
    }
  }
}
