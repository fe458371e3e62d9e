// Flowlane with a plugin-runtime stack: the `flowlane` system of flowlane.mjs (same workflow, same per-run checks)
// on an engine whose plugins are a metrics exporter. Logging middleware off: `@flowlane/middleware-logging` is not
// installed (its per-node log lines would measure the logger, not the engine).
// `options.exporter` picks the exporter (default `prometheus`), used by the E1 case (../exporters.mjs):
//   none        createEngine() — no plugin (E1's baseline)
//   prometheus  prometheus() — default registry, no /metrics server (a scrape is not part of a run)
//   datadog     datadog() pointed at a UDP socket bound in this process that nobody reads (closed after)
// After the last run the exporter's output is checked once (outside the timed region): Prometheus' registry counted
// every run, DataDog sent datagrams.
import { createSocket } from 'node:dgram';
import { createRequire } from 'node:module';
import { datadog } from '@flowlane/metrics-datadog';
import { prometheus } from '@flowlane/metrics-prometheus';
import { prepare as prepareFlowlane } from './flowlane.mjs';

const require = createRequire(import.meta.url);
const versionOf = (pkg) => require(`${pkg}/package.json`).version;

export const name = 'flowlane-plugins';
export const version = versionOf('@flowlane/core');

export const EXPORTERS = {
  none: { system: 'flowlane', what: 'createEngine() — no exporter (baseline)', package: '@flowlane/core' },
  prometheus: {
    system: 'flowlane+prometheus',
    what: 'createEngine({ plugins: [prometheus()] }) — own registry, no server',
    package: '@flowlane/metrics-prometheus',
  },
  datadog: {
    system: 'flowlane+datadog',
    what: 'createEngine({ plugins: [datadog({ host, port })] }) — a local UDP port nobody reads, 1 s flush',
    package: '@flowlane/metrics-datadog',
  },
};
export const exporterVersion = (key) => versionOf(EXPORTERS[key].package);

async function exporter(key) {
  if (key === 'none') return { plugins: [], verify: async () => {}, dispose: async () => {} };
  if (key === 'prometheus') {
    const plugin = prometheus();
    return {
      plugins: [plugin],
      async verify(runs) {
        const text = await plugin.metrics();
        const m = /flowlane_workflow_runs_total\{[^}]*status="success"[^}]*\} (\d+)/.exec(text);
        if (m === null || Number(m[1]) < runs) throw new Error(`prometheus counted ${m?.[1] ?? 0}/${runs} runs`);
      },
      dispose: async () => {},
    };
  }
  if (key === 'datadog') {
    const sink = createSocket('udp4');
    await new Promise((resolve) => sink.bind(0, '127.0.0.1', resolve));
    let datagrams = 0;
    sink.on('message', () => datagrams++); // counted, not parsed: the OS delivers, nobody works on them
    const plugin = datadog({ host: '127.0.0.1', port: sink.address().port });
    return {
      plugins: [plugin],
      async verify() {
        await new Promise((resolve) => setTimeout(resolve, 50));
        if (datagrams === 0) throw new Error('datadog sent no datagram');
      },
      dispose: () => new Promise((resolve) => sink.close(resolve)),
    };
  }
  throw new Error(`unknown exporter ${key}`);
}

export async function prepare(w, options = {}) {
  const key = options.exporter ?? 'prometheus';
  const ex = await exporter(key);
  let runs = 0;
  const impl = prepareFlowlane(w, {
    engine: { plugins: ex.plugins },
    verify: () => {
      runs++;
    },
  });
  return {
    ...impl,
    async close() {
      await impl.close(); // datadog: sends what is left
      await ex.verify(runs);
      await ex.dispose();
    },
  };
}
