import type { NodeOptions } from '../builder/types.js';
import { workflow } from '../builder/workflow-builder.js';
import type { Workflow } from '../workflow.js';

/**
 * A seeded PRNG (mulberry32): the same sequence (so the same DAG) for the same seed. The same generator as
 * `@flowlane/testing`'s `seededRandom`, kept here because core cannot dev-depend on `@flowlane/testing` (which
 * depends on core: a workspace cycle).
 */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Test helper: a random DAG of `n` nodes (≤ 3 random earlier parents each) mixing plain and async nodes, nodes that
 * fail once then succeed under `retry`, cached nodes (hits from the second run of an engine on), nodes that fail for
 * good with `onError: 'continue'`, and — when `fatal` — one node that fails the run (the rest cancelled or skipped).
 */
export function randomDagWorkflow(n: number, seed: number, fatal = false): Workflow<unknown, object> {
  const rand = rng(seed);
  const attempts = new Map<string, number>();
  // biome-ignore lint/suspicious/noExplicitAny: a builder whose node ids are only known at run time.
  let b: any = workflow(`random-${n}-${seed}`);
  const fatalAt = fatal ? Math.floor(n / 2) : -1;
  for (let i = 0; i < n; i++) {
    const id = `n${i}`;
    const parents: string[] = [];
    if (i > 0) for (let k = Math.floor(rand() * 4); k > 0; k--) parents.push(`n${Math.floor(rand() * i)}`);
    const deps = [...new Set(parents)];
    const kind = rand();
    const isAsync = rand() < 0.5;
    const options: { -readonly [K in keyof NodeOptions<string>]: NodeOptions<string>[K] } = {};
    if (deps.length > 0) options.dependsOn = deps;
    let body: (results: Record<string, unknown>) => unknown = (r) =>
      deps.reduce((s, d) => s + (typeof r[d] === 'number' ? (r[d] as number) : 0), 1) % 1_000_007;
    if (i === fatalAt) {
      body = () => {
        throw new Error(`node ${id} failed for good`);
      };
    } else if (kind < 0.1) {
      options.retry = { maxAttempts: 2, initialInterval: 0 };
      const inner = body;
      body = (r) => {
        const made = (attempts.get(id) ?? 0) + 1;
        attempts.set(id, made);
        if (made % 2 === 1) throw new Error(`node ${id}: transient`);
        return inner(r);
      };
    } else if (kind < 0.2) {
      options.cache = { ttl: 60_000, keyFn: () => `${id}-key` };
    } else if (kind < 0.25) {
      options.onError = 'continue';
      body = () => {
        throw new Error(`node ${id} failed`);
      };
    }
    const fn = body;
    b = b.addNode(
      id,
      isAsync
        ? async (ctx: { results: Record<string, unknown> }) => fn(ctx.results)
        : (ctx: { results: Record<string, unknown> }) => fn(ctx.results),
      options,
    );
  }
  return b.build() as Workflow<unknown, object>;
}

/** The bottom frame of a stack captured in a promise reaction that Node's tick queue drained (in JSON too). */
const TICK_FRAME =
  /(?:\n|\\n) {4}at process\.processTicksAndRejections \(node:internal\/process\/task_queues:\d+:\d+\)/g;

/**
 * `value` (events, records, a result's JSON) with the `processTicksAndRejections` frame dropped from every stack it
 * holds. Whether a promise reaction runs under that frame or under V8's own microtask checkpoint (no JS frame) depends
 * on what else the process queued (a virtual clock, a subscriber's `nextTick`), not on the engine: two runs of one
 * workflow may differ there and nowhere else. Everything else is kept as is (keys, their order, undefined values).
 */
export function withoutTickFrames<T>(value: T): T {
  if (typeof value === 'string') return value.replace(TICK_FRAME, '') as T;
  if (Array.isArray(value)) return value.map((v) => withoutTickFrames(v)) as T;
  if (value === null || typeof value !== 'object') return value;
  const proto = Object.getPrototypeOf(value) as object | null;
  // Plain objects only (null-prototype ones too, as `result.nodes`), rebuilt with their prototype.
  if (proto !== null && proto !== Object.prototype) return value;
  const out = Object.create(proto) as Record<string, unknown>;
  for (const [k, v] of Object.entries(value)) out[k] = withoutTickFrames(v);
  return out as T;
}
