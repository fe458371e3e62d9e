// Flowlane with a durable execution log: the `flowlane` system of flowlane.mjs (same workflow, same per-run checks)
// on an engine whose runs are journaled. `options.store` picks the store, used by the D1 case (../durability.mjs):
//   none    createEngine() — no execution store, nothing journaled (D1's baseline)
//   memory  createEngine({ executions: createMemoryExecutionStore() })
//   redis   createEngine({ plugins: [redisStore({ url, stores: ['executions'] })] }) on the local Redis whose URL the
//           parent passes in `options.redisUrl` (started by @flowlane/testing, no persistence)
// Every run is also checked in the store after the last one (outside the timed region): the last run is logged as
// finished with 2 records per node + start + end.
import { createRequire } from 'node:module';
import { createMemoryExecutionStore } from '@flowlane/core';
import { redisStore } from '@flowlane/store-redis';
import { prepare as prepareFlowlane } from './flowlane.mjs';

const require = createRequire(import.meta.url);
const versionOf = (pkg) => require(`${pkg}/package.json`).version;

export const name = 'flowlane-durable';
export const version = versionOf('@flowlane/core');

export const STORES = {
  none: { system: 'flowlane', what: 'createEngine() — no execution store (baseline)', package: '@flowlane/core' },
  memory: {
    system: 'flowlane+memory-log',
    what: 'createEngine({ executions: createMemoryExecutionStore() })',
    package: '@flowlane/core',
  },
  redis: {
    system: 'flowlane+redis-log',
    what: "redisStore({ url, stores: ['executions'] }) — local redis-server, no persistence",
    package: '@flowlane/store-redis',
  },
};
export const storeVersion = (key) => versionOf(STORES[key].package);

export async function prepare(w, options = {}) {
  const key = options.store ?? 'memory';
  const engineOptions =
    key === 'none'
      ? {}
      : key === 'memory'
        ? { executions: createMemoryExecutionStore({ maxFinished: 50 }) }
        : {
            plugins: [
              redisStore({
                url: options.redisUrl,
                prefix: `bench:${process.pid}:`,
                retentionMs: 10_000,
                stores: ['executions'],
              }),
            ],
          };
  let last;
  const impl = prepareFlowlane(w, {
    engine: { ...engineOptions, logger: { debug() {}, info() {}, warn: console.error, error: console.error } },
    verify: (run) => {
      last = run.executionId;
    },
  });
  return {
    ...impl,
    async close() {
      if (key !== 'none' && last !== undefined) {
        const engine = impl.engine;
        const s = await engine.runs.get(last);
        const nodes = w.graph.n;
        if (s?.status !== 'success' || s.records < 2 * nodes + 2)
          throw new Error(`store ${key}: last run logged as ${s?.status} with ${s?.records} records`);
      }
      await impl.close();
    },
  };
}
