// Workload D1 (issue 15): the cost of durable executions. W1 (chain 1k), W3 (random DAG 10k) and W4 (100 concurrent
// runs of a 100-node DAG) run by Flowlane with no execution store (baseline), the in-memory store and the Redis store
// on a local redis-server (started here by @flowlane/testing, no persistence), each reported as a ratio to the
// baseline and as the extra µs per node. Same method as S1/E1: every case a system of its own in fresh child
// processes (floor warm-up, system warm-up, alternating floor/system repetitions, every run checked against the
// reference checksum, records and events, and the last run checked in the store), and process p of every case runs
// before process p + 1 of any. Cases: systems/flowlane-durable.mjs.
// Rows keep the schema of results/latest.json and add `ratioToNone` (median ÷ no-store median) and `usPerNode`
// (median − no-store median, per node, µs).
import { startRedis } from '@flowlane/testing';
import { measureCases } from './ratio-case.mjs';
import { STORES, storeVersion } from './systems/flowlane-durable.mjs';
import { instantiate } from './workloads.mjs';

export const ID = 'D1';
const BASES = ['W1', 'W3', 'W4'];
const ORDER = ['none', 'memory', 'redis'];

/** Runs D1 and returns its rows (per base workload and variant: floor, then each store). */
export async function runDurability(ctx) {
  const { round } = ctx;
  const rows = [];
  const redis = await startRedis();
  try {
    for (const base of BASES)
      for (const variant of ctx.variants) {
        const w = instantiate(base, variant);
        rows.push(
          ...(await measureCases(ctx, {
            label: `D1 durability ${base} ${w.name} (${variant})`,
            base,
            variant,
            w,
            system: 'flowlane-durable',
            order: ORDER,
            options: (key) => ({ store: key, redisUrl: redis.url }),
            describe: (key) => ({ system: STORES[key].system, version: storeVersion(key) }),
            floorExtra: () => ({}),
            extra: (ms, baseMs) => ({
              ratioToNone: ms === null || baseMs === null ? null : round(ms / baseMs),
              usPerNode: ms === null || baseMs === null ? null : round(((ms - baseMs) * 1000) / w.totalNodes),
            }),
          })),
        );
      }
  } finally {
    await redis.dispose();
  }
  return rows;
}

/** The D1 rows as a small table: workload × store, extra µs/node and ratio to no store. */
export function durabilityTable(results) {
  const rows = results.filter((r) => r.workload.startsWith('D1 ') && r.system !== 'floor');
  if (rows.length === 0) return '';
  const lines = ['D1: durable executions — extra µs per node and × the engine without an execution store'];
  for (const r of rows) {
    const cell = r.medianMs === null ? r.status : `${r.medianMs} ms · +${r.usPerNode} µs/node · ${r.ratioToNone}× none`;
    lines.push(`  ${r.workload.slice(3).padEnd(52)} ${r.system.padEnd(20)} ${cell}`);
  }
  return lines.join('\n');
}
