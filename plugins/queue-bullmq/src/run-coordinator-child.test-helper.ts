/**
 * Coordinator process of the run-queue tests: `node --import tsx run-coordinator-child.test-helper.ts <redisUrl>
 * <enqueued 0|1> <groups,comma-separated> <concurrency>`. An engine with the Redis execution log and bullmqDispatch
 * serving whole runs; prints `READY`; closes on SIGTERM. The tests kill it with SIGKILL mid-way.
 */
import 'reflect-metadata';
import { createEngine } from '@flowlane/core';
import { redisStore } from '@flowlane/store-redis';
import { bullmqDispatch } from './dispatch.js';
import { closeCounter, countedRun, euChild } from './runs-workflow.test-helper.js';

const [url, enqueued, groups, concurrency] = process.argv.slice(2) as [string, string, string, string];
const served = groups === '' ? [] : groups.split(',');
const engine = createEngine({
  plugins: [
    redisStore({ url, prefix: 'log:' }),
    bullmqDispatch({
      connection: url,
      groups: [],
      serve: {
        enqueued: enqueued === '1',
        groups: served,
        concurrency: Number(concurrency),
        // Short enough that a killed coordinator's runs are taken over within seconds, long enough that a live one
        // whose lock renewal (every lockDuration / 2) is held up by a loaded CI machine keeps its runs: at 2,000 ms a
        // stall of about 1 s could let the other coordinator take over a run that was still running.
        lockDuration: 5000,
        stalledInterval: 1000,
      },
    }),
  ],
  workflows: [euChild, countedRun],
  leaseMs: 60_000,
  logger: { debug() {}, info() {}, warn() {}, error: (m, f) => console.error(m, f) },
});
await engine.ready();
process.stdout.write('READY\n');
process.on('SIGTERM', () => {
  void engine.close().then(() => {
    closeCounter();
    process.exit(0);
  });
});
