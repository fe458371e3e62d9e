// Flowlane with the live monitor (@flowlane/monitor), for the M1 case (../monitor.mjs): the `flowlane` system of
// flowlane.mjs (same workflow, same per-run checks) on an engine whose plugin is the monitor.
// `options.monitor` picks the case:
//   none     createEngine() — no plugin (M1's baseline)
//   monitor  monitor({ port: 0, token }) — listening, recording every event, no client
//   slow     the same, plus a real `ws` client subscribed to everything that stops reading at once (its socket is
//            paused): the monitor's send buffer for it grows past maxBufferedBytes (256 KiB here), then it is
//            dropped (close code 4008); every case uses the same monitor options
// After the last run (outside the timed region) the monitor's counters are checked: it saw every event, and in
// `slow` the client was dropped.
import { createRequire } from 'node:module';
import { monitor } from '@flowlane/monitor';
import WebSocket from 'ws';
import { prepare as prepareFlowlane } from './flowlane.mjs';

const require = createRequire(import.meta.url);
export const name = 'flowlane-monitor';
export const version = require('@flowlane/monitor/package.json').version;

export const MONITOR_CASES = {
  none: { system: 'flowlane', what: 'createEngine() — no monitor (baseline)', package: '@flowlane/core' },
  monitor: {
    system: 'flowlane+monitor',
    what: 'monitor({ port: 0, token }) — no client',
    package: '@flowlane/monitor',
  },
  slow: {
    system: 'flowlane+monitor+slow',
    what: 'monitor + a ws client subscribed to all that never reads (dropped past 256 KiB unsent)',
    package: '@flowlane/monitor',
  },
};
export const monitorVersion = (key) => require(`${MONITOR_CASES[key].package}/package.json`).version;

const TOKEN = 'bench-token-0123456789';

export async function prepare(w, options = {}) {
  const key = options.monitor ?? 'monitor';
  if (key === 'none') return prepareFlowlane(w, {});
  // A small send buffer so the never-reading client is dropped within the first runs even in --quick mode.
  const mon = monitor({ port: 0, token: TOKEN, maxBufferedBytes: 256 * 1024 });
  const impl = prepareFlowlane(w, { engine: { plugins: [mon] } });
  let client;
  if (key === 'slow') {
    // Plugin setup runs in the background from createEngine(): wait until the monitor listens.
    for (let i = 0; i < 200; i++) {
      try {
        void mon.url;
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 5));
      }
    }
    client = new WebSocket(`${mon.url.replace('http', 'ws')}/ws`, { headers: { authorization: `Bearer ${TOKEN}` } });
    await new Promise((resolve, reject) => {
      client.once('open', resolve);
      client.once('error', reject);
    });
    const subscribed = new Promise((resolve) =>
      client.on('message', (data) => {
        if (JSON.parse(String(data)).type === 'runs') resolve();
      }),
    );
    client.send(JSON.stringify({ type: 'subscribe', all: true }));
    await subscribed; // the monitor now sends it every event
    client._socket.pause();
  }
  return {
    ...impl,
    async close() {
      await impl.close();
      const stats = mon.stats(); // after close: every queued event has been recorded
      client?.terminate();
      if (stats.events === 0) throw new Error('the monitor saw no event');
      if (key === 'slow' && stats.droppedSlowClients !== 1)
        throw new Error(`slow client not dropped: ${JSON.stringify(stats)}`);
    },
  };
}
